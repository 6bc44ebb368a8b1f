import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CRC32C } from '@google-cloud/storage';

/**
 * A test stand-in for Google Cloud Storage: an in-process HTTP server speaking the subset of the
 * JSON API that the real `@google-cloud/storage` client uses for `GcsObjectStore` (no emulator runs
 * on this platform). Point the client at it with
 * `new Storage({ apiEndpoint: server.endpoint, projectId: 'test' })`; a custom endpoint makes the
 * client skip authentication, so nothing reaches Google or the GCE metadata server.
 *
 * Implemented: simple uploads (`uploadType=media|multipart`) with `ifGenerationMatch` (0 = must not
 * exist), object metadata and `alt=media` downloads (with the `x-goog-hash` crc32c/md5 header the
 * client validates, and `generation` pinning), listing with `prefix`, `startOffset` (inclusive),
 * `maxResults` and `pageToken`, and deletes with `ifGenerationMatch`. Like GCS, names are ordered by
 * their UTF-8 bytes and every write gets a new, increasing generation. Buckets exist on first use.
 */
export interface GcsFakeServer {
  /** Base URL for the client's `apiEndpoint`, e.g. `http://127.0.0.1:43123`. */
  endpoint: string;
  /** Answers the next `count` requests with `status` and a GCS-style error body. */
  failNextRequests(status: number, count?: number): void;
  close(): Promise<void>;
}

interface FakeObject {
  name: string;
  bucket: string;
  generation: string;
  contentType: string;
  body: Buffer;
  md5: string;
  crc32c: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startGcsFakeServer(): Promise<GcsFakeServer> {
  const buckets = new Map<string, Map<string, FakeObject>>();
  // Microsecond-like and strictly increasing, as GCS generations are.
  let lastGeneration = Date.now() * 1000;
  let failures: { status: number; remaining: number } | undefined;

  const objectsOf = (bucket: string) => {
    const existing = buckets.get(bucket);
    if (existing !== undefined) return existing;
    const created = new Map<string, FakeObject>();
    buckets.set(bucket, created);
    return created;
  };

  const resource = (object: FakeObject) => ({
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: '1',
    contentType: object.contentType,
    size: String(object.body.byteLength),
    md5Hash: object.md5,
    crc32c: object.crc32c,
  });

  const checkGeneration = (current: FakeObject | undefined, expected: string | null) => {
    if (expected === null) return;
    if (expected === '0' ? current !== undefined : current?.generation !== expected) {
      throw new HttpError(412, 'At least one of the pre-conditions you specified did not hold.');
    }
  };

  function upload(bucket: string, url: URL, contentType: string, body: Buffer) {
    let name = url.searchParams.get('name');
    let media = body;
    let mediaType = contentType;
    if (url.searchParams.get('uploadType') === 'multipart') {
      const parts = splitMultipart(body, contentType);
      const metadata = JSON.parse(parts[0]?.body.toString('utf8') ?? '{}') as {
        name?: string;
        contentType?: string;
      };
      name = metadata.name ?? name;
      media = parts[1]?.body ?? Buffer.alloc(0);
      mediaType = metadata.contentType ?? parts[1]?.contentType ?? 'application/octet-stream';
    } else if (url.searchParams.get('uploadType') !== 'media') {
      throw new HttpError(501, 'only simple uploads are implemented');
    }
    if (name === null || name === '') throw new HttpError(400, 'object name required');
    const objects = objectsOf(bucket);
    checkGeneration(objects.get(name), url.searchParams.get('ifGenerationMatch'));
    lastGeneration += 1;
    const object: FakeObject = {
      name,
      bucket,
      generation: String(lastGeneration),
      contentType: mediaType,
      body: Buffer.from(media),
      md5: createHash('md5').update(media).digest('base64'),
      crc32c: crc32cOf(media),
    };
    objects.set(name, object);
    return resource(object);
  }

  function list(bucket: string, url: URL) {
    const prefix = url.searchParams.get('prefix') ?? '';
    const startOffset = url.searchParams.get('startOffset');
    const token = url.searchParams.get('pageToken');
    const after = token === null ? undefined : Buffer.from(token, 'base64url');
    const maxResults = Math.min(Number(url.searchParams.get('maxResults') ?? 1000), 1000);
    const matching = [...objectsOf(bucket).values()]
      .filter((object) => object.name.startsWith(prefix))
      .map((object) => ({ object, sortKey: Buffer.from(object.name, 'utf8') }))
      .filter(({ sortKey }) => startOffset === null || Buffer.compare(sortKey, Buffer.from(startOffset)) >= 0)
      .filter(({ sortKey }) => after === undefined || Buffer.compare(sortKey, after) > 0)
      .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    const page = matching.slice(0, maxResults);
    const last = page.at(-1);
    return {
      kind: 'storage#objects',
      items: page.map(({ object }) => resource(object)),
      ...(matching.length > maxResults && last !== undefined
        ? { nextPageToken: last.sortKey.toString('base64url') }
        : {}),
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const body = await readBody(request);
    if (failures !== undefined && failures.remaining > 0) {
      failures.remaining -= 1;
      throw new HttpError(failures.status, 'injected failure');
    }
    const method = request.method ?? 'GET';
    let match = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (match !== null && method === 'POST') {
      return sendJson(
        response,
        200,
        upload(decode(match[1]!), url, request.headers['content-type'] ?? '', body),
      );
    }
    match = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (match !== null && method === 'GET') return sendJson(response, 200, list(decode(match[1]!), url));
    match = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (match === null) throw new HttpError(404, `no route for ${method} ${url.pathname}`);
    const objects = objectsOf(decode(match[1]!));
    const name = decode(match[2]!);
    const current = objects.get(name);
    const pinned = url.searchParams.get('generation');
    if (current === undefined || (pinned !== null && pinned !== current.generation)) {
      throw new HttpError(404, `No such object: ${name}`);
    }
    if (method === 'DELETE') {
      checkGeneration(current, url.searchParams.get('ifGenerationMatch'));
      objects.delete(name);
      response.writeHead(204).end();
    } else if (method === 'GET' && url.searchParams.get('alt') === 'media') {
      response
        .writeHead(200, {
          'content-type': current.contentType,
          'content-length': current.body.byteLength,
          'x-goog-generation': current.generation,
          'x-goog-hash': `crc32c=${current.crc32c},md5=${current.md5}`,
          'x-goog-stored-content-encoding': 'identity',
          'x-goog-stored-content-length': current.body.byteLength,
        })
        .end(current.body);
    } else if (method === 'GET') {
      sendJson(response, 200, resource(current));
    } else {
      throw new HttpError(405, `${method} not implemented`);
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      sendJson(response, status, { error: { code: status, message, errors: [{ message, reason: 'fake' }] } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    failNextRequests(status, count = 1) {
      failures = { status, remaining: count };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

function crc32cOf(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

function decode(component: string): string {
  return decodeURIComponent(component);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(text);
}

/** Splits a `multipart/related` body into its parts (headers are only read for Content-Type). */
function splitMultipart(body: Buffer, contentType: string): { contentType?: string; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (boundary === undefined) throw new HttpError(400, 'multipart upload without boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { contentType?: string; body: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      // The part ends with the CRLF that precedes the next delimiter.
      const partBody = part.subarray(headerEnd + 4, part.length - 2);
      const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
      parts.push(type === undefined ? { body: partBody } : { contentType: type, body: partBody });
    }
    start = next;
  }
  return parts;
}
