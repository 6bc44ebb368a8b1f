import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, ServoError } from '../engine/errors.js';

/** A route handler: returns true when it handled the request. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;

/**
 * Reads a JSON request body of at most `maxBytes`. Throws `ServoError` PAYLOAD_TOO_LARGE or
 * INVALID_INPUT (malformed JSON) so callers answer 413 or 400.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes)
      throw new ServoError(ErrorCode.PayloadTooLarge, `request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    throw new ServoError(ErrorCode.InvalidInput, 'request body is not valid JSON');
  }
}

/** Reads a raw request body, or undefined when it exceeds `maxBytes` (the rest is discarded). */
export async function readRawBody(
  request: IncomingMessage,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  return tooLarge ? undefined : new Uint8Array(Buffer.concat(chunks));
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * The process's one HTTP server: each handler gets a chance in order; unmatched requests get a JSON
 * 404, and a handler that throws gets a masked 500 (the error is passed to `onError` to log).
 */
export function createHttpServer(handlers: RouteHandler[], onError: (error: unknown) => void): Server {
  return createServer((request, response) => {
    void (async () => {
      try {
        for (const handler of handlers) if (await handler(request, response)) return;
        sendJson(response, 404, {
          error: 'not_found',
          message: `no route for ${request.method} ${request.url}`,
        });
      } catch (error) {
        onError(error);
        if (!response.headersSent)
          sendJson(response, 500, { error: 'internal', message: 'internal server error' });
        else response.destroy();
      }
    })();
  });
}

export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
