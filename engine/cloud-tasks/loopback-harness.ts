import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';

/**
 * Test support for the Cloud Tasks adapters: an HTTP endpoint on a loopback port that records what
 * the fake Cloud Tasks server delivers, and a recorder of every outgoing TCP connection, so a test
 * can prove that nothing (no Google API, no GCE metadata server) was reached beyond 127.0.0.1.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the endpoint answers: a status, and a JSON-able body. */
export interface EndpointReply {
  status: number;
  body?: unknown;
}

export interface RecordingEndpoint {
  /** `http://127.0.0.1:{port}`. */
  baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Replaces the answering function (default: 200 `{}`). */
  answerWith(answer: (request: RecordedRequest) => EndpointReply | Promise<EndpointReply>): void;
  close(): Promise<void>;
}

export async function startRecordingEndpoint(): Promise<RecordingEndpoint> {
  const requests: RecordedRequest[] = [];
  let answer: (request: RecordedRequest) => EndpointReply | Promise<EndpointReply> = () => ({ status: 200 });
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(request);
      Promise.resolve()
        .then(() => answer(request))
        .then(
          (reply) => {
            response.writeHead(reply.status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(reply.body ?? {}));
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ message: error instanceof Error ? error.message : String(error) }));
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    answerWith(next) {
      answer = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface ConnectionRecorder {
  /** `host:port` of every TCP connection opened since `recordConnections()`. */
  readonly targets: string[];
  restore(): void;
}

/** Records every TCP connection this process opens until `restore()`. */
export function recordConnections(): ConnectionRecorder {
  const targets: string[] = [];
  const original = Socket.prototype.connect;
  Socket.prototype.connect = function connect(this: Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const target =
      typeof first === 'object' && first !== null
        ? (first as { host?: string; port?: number; path?: string })
        : {};
    targets.push(target.path ?? `${target.host ?? 'localhost'}:${target.port ?? String(first)}`);
    return Reflect.apply(original, this, args) as Socket;
  } as typeof original;
  return {
    targets,
    restore() {
      Socket.prototype.connect = original;
    },
  };
}
