import { z } from 'zod';
import { ErrorCode, ServoError } from '../../errors.js';
import {
  type CodeLocation,
  CodeLocationDefinitions,
  type PushMessage,
  type SensorContext,
  SensorResult,
} from '../code-location.js';
import { type DispatchEnvelope, ExecuteReply, type TaskExecutor } from '../task-protocol.js';
import {
  bearer,
  CodeServerPaths,
  DEFAULT_SENSOR_TIMEOUT_MS,
  ErrorBody,
  errorMessageOf,
  TIMEOUT_HEADER,
} from './protocol.js';
import { joinUrl, networkMessage, requestJson } from './request-json.js';

export interface HttpCodeLocationOptions {
  /** The code location's name; `describe` checks the server reports the same. */
  name: string;
  /** Where `servo code-server` listens, e.g. `https://sales-code.run.app`. */
  baseUrl: string;
  /** The code server's `SERVO_CODE_SERVER_SECRET`, sent as a bearer token. */
  secret?: string;
  /**
   * How long a sensor may run (sent as `x-servo-timeout-ms`; make it at least the longest
   * `evaluationTimeoutSeconds`) and how long any request may take. @default 60_000
   */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Extra time past the sensor timeout, so the server's 504 (with its message) arrives first. */
const DEADLINE_GRACE_MS = 5000;

/**
 * An error user code threw inside the code server (HTTP 422), rebuilt on this side with the
 * remote class name as `name` and the remote stack, so it is recorded like a local one.
 */
export class UserCodeError extends Error {
  readonly remoteClassName: string | undefined;

  constructor(info: { message: string; className?: string; stack?: string }) {
    super(info.message);
    this.remoteClassName = info.className;
    this.name = info.className ?? 'Error';
    if (info.stack !== undefined) this.stack = info.stack;
  }
}

export type HttpCodeLocation = CodeLocation & TaskExecutor;

/**
 * The `CodeLocation` and `TaskExecutor` ports over HTTP, talking to `servo code-server`
 * (docs/code-location-protocol.md). Errors thrown by user code reject with a `UserCodeError`; every
 * other failure is a `ServoError`: UNAVAILABLE (retryable) when the server cannot be reached, times
 * out or fails, UNAUTHORIZED for a wrong secret, NOT_FOUND for an unknown sensor, INVALID_INPUT
 * when the server refuses the request. A caller's abort rejects with the signal's reason.
 */
export function createHttpCodeLocation(options: HttpCodeLocationOptions): HttpCodeLocation {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SENSOR_TIMEOUT_MS;
  const auth: Record<string, string> =
    options.secret === undefined ? {} : { authorization: bearer(options.secret) };

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const what = `code location ${options.name}: ${method} ${path}`;
    const exchange = await requestJson({
      method,
      url: joinUrl(options.baseUrl, path),
      headers: { ...auth, ...headers },
      body,
      timeoutMs: timeoutMs + DEADLINE_GRACE_MS,
      ...(signal === undefined ? {} : { signal }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    switch (exchange.kind) {
      case 'aborted':
        throw exchange.reason;
      case 'timeout':
        throw new ServoError(ErrorCode.Unavailable, `${what}: no answer within ${exchange.timeoutMs} ms`);
      case 'network':
        throw new ServoError(
          ErrorCode.Unavailable,
          `${what}: unreachable (${networkMessage(exchange.error)})`,
          {
            cause: exchange.error,
          },
        );
    }
    const { status } = exchange;
    if (status >= 200 && status < 300) return { status, body: exchange.body };
    const message = `${what}: ${errorMessageOf(exchange.body, `HTTP ${status}`)}`;
    const details = { status };
    if (status === 422) {
      const parsed = ErrorBody.safeParse(exchange.body);
      if (parsed.success) throw new UserCodeError(parsed.data.error);
    }
    if (status === 401 || status === 403)
      throw new ServoError(ErrorCode.Unauthorized, message, { details, retryable: false });
    if (status === 404) throw new ServoError(ErrorCode.NotFound, message, { details });
    if (status === 413) throw new ServoError(ErrorCode.PayloadTooLarge, message, { details });
    if (status >= 400 && status < 500 && status !== 408 && status !== 429)
      throw new ServoError(ErrorCode.InvalidInput, message, { details });
    throw new ServoError(ErrorCode.Unavailable, message, { details, retryable: true });
  }

  function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new ServoError(
      ErrorCode.Unavailable,
      `code location ${options.name} answered ${what} with an invalid body: ${z.prettifyError(parsed.error)}`,
      { retryable: false },
    );
  }

  async function sensorCall(path: string, body: unknown, signal: AbortSignal): Promise<SensorResult> {
    const answer = await call('POST', path, body, signal, { [TIMEOUT_HEADER]: String(timeoutMs) });
    return parseAnswer(SensorResult, answer.body, path);
  }

  return {
    name: options.name,

    async describe(signal?: AbortSignal): Promise<CodeLocationDefinitions> {
      const answer = await call('GET', CodeServerPaths.definitions, undefined, signal);
      const definitions = parseAnswer(CodeLocationDefinitions, answer.body, 'GET /definitions');
      if (definitions.codeLocation !== options.name)
        throw new ServoError(
          ErrorCode.Config,
          `the code server at ${options.baseUrl} serves code location ${definitions.codeLocation}, not ${options.name}`,
        );
      return definitions;
    },

    evaluateSensor(sensorName: string, context: SensorContext, signal: AbortSignal) {
      const body = { cursor: context.cursor, lastRunKey: context.lastRunKey, now: context.now };
      return sensorCall(CodeServerPaths.evaluate(sensorName), body, signal);
    },

    handleMessage(sensorName: string, message: PushMessage, signal: AbortSignal) {
      return sensorCall(CodeServerPaths.message(sensorName), message, signal);
    },

    async execute(envelope: DispatchEnvelope, signal: AbortSignal): Promise<void> {
      const answer = await call('POST', CodeServerPaths.execute, envelope, signal);
      const reply = parseAnswer(ExecuteReply, answer.body, 'POST /tasks/execute');
      if (!reply.accepted)
        throw new ServoError(
          ErrorCode.Unavailable,
          `code location ${options.name} did not accept dispatch ${envelope.dispatchId}: ${reply.reason ?? 'no reason given'}`,
        );
    },
  };
}
