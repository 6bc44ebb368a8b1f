import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCallback {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export type CallbackAnswer = { status: number; body?: unknown; headers?: Record<string, string> };

export interface CallbackServerDouble {
  /** Base URL to put in an envelope's `callbackBaseUrl`. */
  url: string;
  readonly requests: RecordedCallback[];
  /** Resolves once `count` requests to `path` arrived. */
  waitFor(path: string, count?: number): Promise<void>;
  close(): Promise<void>;
}

const acknowledged = { acknowledged: true, shouldCancel: false, serverTime: '2026-01-01T00:00:00.000Z' };

/**
 * Servo's task-callback endpoints for tests, on a real socket (port 0): records every request and
 * answers as `answer` says (by default 200 with an acknowledgement).
 */
export async function startCallbackServerDouble(
  answer: (request: RecordedCallback, nth: number) => CallbackAnswer = () => ({
    status: 200,
    body: acknowledged,
  }),
): Promise<CallbackServerDouble> {
  const requests: RecordedCallback[] = [];
  let waiters: Array<() => void> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedCallback = {
        path: request.url ?? '',
        authorization: request.headers.authorization,
        body: text === '' ? undefined : JSON.parse(text),
      };
      requests.push(recorded);
      const reply = answer(recorded, requests.length);
      const body = JSON.stringify(reply.body ?? acknowledged);
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(body);
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/servo`,
    requests,
    async waitFor(path, count = 1) {
      const matching = () => requests.filter((request) => request.path.endsWith(path)).length;
      while (matching() < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
