import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A route handler: returns true when it handled the request. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;

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
