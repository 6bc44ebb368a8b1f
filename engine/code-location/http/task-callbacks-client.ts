import { z } from 'zod';
import { ErrorCode, ServoError } from '../../errors.js';
import { type Logger, silentLogger } from '../../logging.js';
import {
  TaskCallbackReply,
  type TaskCallbacks,
  type TaskFinishedBody,
  type TaskHeartbeatBody,
  type TaskStartedBody,
} from '../task-protocol.js';
import { CallbackPaths, errorMessageOf } from './protocol.js';
import { joinUrl, networkMessage, requestJson } from './request-json.js';

export interface HttpTaskCallbacksClientOptions {
  /** The dispatch envelope's `callbackBaseUrl`. */
  baseUrl: string;
  /** How long transient failures (network, timeouts, 5xx, 408, 429) are retried. @default 120_000 */
  retryForMs?: number;
  /** Deadline of each request. @default 30_000 */
  requestTimeoutMs?: number;
  /** First wait between tries; doubles, with jitter, up to `maxBackoffMs`. @default 250 */
  initialBackoffMs?: number;
  /** @default 10_000 */
  maxBackoffMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  logger?: Logger;
}

const FinishedReply = z.object({ acknowledged: z.boolean(), serverTime: z.string() });

/**
 * The worker's side of the task callbacks: `POST {callbackBaseUrl}/tasks/started|heartbeat|finished`
 * with `Authorization: Bearer <taskToken>`. Transient failures are retried with backoff for a
 * bounded time, then reject as UNAVAILABLE. Servo's refusals are final and reject at once: 401/403
 * as UNAUTHORIZED (bad or expired token, or a stale attempt), 409/410 as ILLEGAL_STATE (the attempt
 * is not the current one or its task already finished), any other 4xx as INVALID_INPUT.
 */
export function createHttpTaskCallbacksClient(options: HttpTaskCallbacksClientOptions): TaskCallbacks {
  const retryForMs = options.retryForMs ?? 120_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const logger = options.logger ?? silentLogger;

  async function post(path: string, token: string, body: unknown): Promise<unknown> {
    const url = joinUrl(options.baseUrl, path);
    const started = performance.now();
    let backoffMs = initialBackoffMs;
    for (let tries = 1; ; tries += 1) {
      const exchange = await requestJson({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}` },
        body,
        timeoutMs: requestTimeoutMs,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      let problem: string;
      let retryAfterMs = 0;
      if (exchange.kind === 'response') {
        const { status } = exchange;
        if (status >= 200 && status < 300) return exchange.body;
        const message = `${path} answered ${status}: ${errorMessageOf(exchange.body, 'no message')}`;
        const details = { status, body: exchange.body };
        if (status === 401 || status === 403)
          throw new ServoError(ErrorCode.Unauthorized, message, { details, retryable: false });
        if (status === 409 || status === 410)
          throw new ServoError(ErrorCode.IllegalState, message, { details });
        if (status < 500 && status !== 408 && status !== 429)
          throw new ServoError(ErrorCode.InvalidInput, message, { details });
        problem = message;
        retryAfterMs = retryAfterOf(exchange.headers.get('retry-after'));
      } else if (exchange.kind === 'timeout') {
        problem = `${path}: no answer within ${exchange.timeoutMs} ms`;
      } else {
        problem = `${path}: ${exchange.kind === 'network' ? networkMessage(exchange.error) : 'aborted'}`;
      }
      const waitMs = Math.min(maxBackoffMs, Math.max(retryAfterMs, backoffMs * (0.5 + Math.random() / 2)));
      if (performance.now() - started + waitMs > retryForMs) {
        throw new ServoError(ErrorCode.Unavailable, `task callback failed after ${tries} tries: ${problem}`, {
          details: { url, tries },
        });
      }
      logger.warn({ url, tries, waitMs: Math.round(waitMs), problem }, 'task callback failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
    }
  }

  function parseReply<S extends z.ZodType>(schema: S, body: unknown, path: string): z.output<S> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new ServoError(
      ErrorCode.InvalidInput,
      `${path} answered with an invalid body: ${z.prettifyError(parsed.error)}`,
    );
  }

  return {
    async started(token: string, body: TaskStartedBody) {
      return parseReply(
        TaskCallbackReply,
        await post(CallbackPaths.started, token, body),
        CallbackPaths.started,
      );
    },
    async heartbeat(token: string, body: TaskHeartbeatBody) {
      return parseReply(
        TaskCallbackReply,
        await post(CallbackPaths.heartbeat, token, body),
        CallbackPaths.heartbeat,
      );
    },
    async finished(token: string, body: TaskFinishedBody) {
      return parseReply(
        FinishedReply,
        await post(CallbackPaths.finished, token, body),
        CallbackPaths.finished,
      );
    },
  };
}

/** `Retry-After` in seconds (HTTP dates are rare from APIs and ignored). */
function retryAfterOf(header: string | null): number {
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}
