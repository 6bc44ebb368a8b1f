import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** One result of a subscription, as a client received it. */
export interface Delivery<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  receivedAt: number;
}

/**
 * A subscription held open by a test: every delivery is kept, and `waitFor` resolves with the first
 * one (already received or still to come) that satisfies a condition.
 */
export interface HeldSubscription<T> {
  readonly deliveries: readonly Delivery<T>[];
  waitFor(what: string, accept: (delivery: Delivery<T>) => boolean, timeoutMs: number): Promise<Delivery<T>>;
  close(): Promise<void>;
}

class DeliveryLog<T> {
  readonly deliveries: Delivery<T>[] = [];
  private readonly waiters = new Set<() => void>();
  ended: Error | undefined;

  push(delivery: Delivery<T>): void {
    this.deliveries.push(delivery);
    for (const waiter of this.waiters) waiter();
  }

  end(error: Error): void {
    this.ended ??= error;
    for (const waiter of this.waiters) waiter();
  }

  waitFor(what: string, accept: (delivery: Delivery<T>) => boolean, timeoutMs: number): Promise<Delivery<T>> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const check = (): void => {
        for (; seen < this.deliveries.length; seen++) {
          const delivery = this.deliveries[seen] as Delivery<T>;
          if (accept(delivery)) {
            done();
            resolve(delivery);
            return;
          }
        }
        if (this.ended !== undefined) {
          done();
          reject(
            new Error(`${what}: the subscription ended (${this.ended.message}) after ${seen} deliveries`),
          );
        }
      };
      const timeout = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; ${this.deliveries.length} deliveries: ${JSON.stringify(this.deliveries.slice(-3))}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timeout);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** Subscribes over graphql-ws (`ws://…/graphql`), the protocol GraphiQL and Dagster's UI use. */
export function subscribeOverWebSocket<T>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  connectionParams: Record<string, unknown> = {},
): HeldSubscription<T> {
  const log = new DeliveryLog<T>();
  const client: Client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
  });
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) =>
        log.push({
          ...(result.data == null ? {} : { data: result.data as T }),
          ...(result.errors === undefined ? {} : { errors: [...result.errors] }),
          receivedAt: Date.now(),
        }),
      error: (error) => log.end(error instanceof Error ? error : new Error(JSON.stringify(error))),
      complete: () => log.end(new Error('completed')),
    },
  );
  return {
    deliveries: log.deliveries,
    waitFor: (what, accept, timeoutMs) => log.waitFor(what, accept, timeoutMs),
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/**
 * Subscribes over GraphQL over SSE (yoga's "distinct connections" mode): a GET with
 * `accept: text/event-stream`, whose body is a stream of `event: next` / `data: {…}` messages.
 */
export function subscribeOverSse<T>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): HeldSubscription<T> {
  const log = new DeliveryLog<T>();
  const abort = new AbortController();
  const url = `${baseUrl}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  const reading = (async () => {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    if (!response.ok || response.body === null) {
      throw new Error(`SSE subscription answered ${response.status}: ${await response.text()}`);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data === '') continue;
        const result = JSON.parse(data) as { data?: T; errors?: Delivery<T>['errors'] };
        log.push({ ...result, receivedAt: Date.now() });
      }
    }
    log.end(new Error('the event stream ended'));
  })().catch((error: unknown) => log.end(error instanceof Error ? error : new Error(String(error))));
  return {
    deliveries: log.deliveries,
    waitFor: (what, accept, timeoutMs) => log.waitFor(what, accept, timeoutMs),
    async close() {
      abort.abort();
      await reading;
    },
  };
}
