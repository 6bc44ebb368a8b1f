import { ErrorCode, isServoError } from '../../errors.js';
import { type Logger, silentLogger } from '../../logging.js';
import type { SensorResult } from '../code-location.js';
import type { InProcessCodeLocation } from '../in-process/in-process-code-location.js';
import { describeError } from '../in-process/task-error.js';
import { DispatchEnvelope } from '../task-protocol.js';
import {
  bearerMatches,
  CodeServerErrorCode,
  CodeServerPaths,
  DEFAULT_SENSOR_TIMEOUT_MS,
  type ErrorBody,
  EvaluateRequest,
  MAX_SENSOR_TIMEOUT_MS,
  PushMessageRequest,
  TIMEOUT_HEADER,
} from './protocol.js';

/** A request as any transport hands it over. */
export interface CodeServerRequest {
  method: string;
  /** The path, without the query string. */
  path: string;
  /** Header values by lowercase name. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
}

export interface CodeServerResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface CodeServerHandlerOptions {
  location: InProcessCodeLocation;
  /**
   * The bearer secret every request must carry. Without one nothing is checked: the transport must
   * then listen on loopback only.
   */
  secret?: string;
  /** Sensor timeout when the request has no `x-servo-timeout-ms`. @default 60_000 */
  defaultSensorTimeoutMs?: number;
  logger?: Logger;
}

export type CodeServerHandler = (request: CodeServerRequest) => Promise<CodeServerResponse>;

const SENSOR_ROUTE = /^\/sensors\/([^/]+)\/(evaluate|message)$/;

const fail = (
  status: number,
  code: string,
  message: string,
  extra: Omit<ErrorBody['error'], 'code' | 'message'> = {},
  headers?: Record<string, string>,
): CodeServerResponse => ({
  status,
  body: { error: { code, message, ...extra } } satisfies ErrorBody,
  ...(headers === undefined ? {} : { headers }),
});

/**
 * The code server as one transport-free function: authenticates, routes and validates a request,
 * calls the in-process code location, and maps the outcome to a status and JSON body. The Node HTTP
 * adapter (`server/code-server.ts`) only moves bytes. See docs/code-location-protocol.md.
 */
export function createCodeServerHandler(options: CodeServerHandlerOptions): CodeServerHandler {
  const { location, secret } = options;
  const logger = options.logger ?? silentLogger;
  const definitions = location.definitions;

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      logger.error({ err: error, method: request.method, path: request.path }, 'code server request failed');
      return fail(500, CodeServerErrorCode.Internal, 'internal error of the code server');
    }
  };

  async function route(request: CodeServerRequest): Promise<CodeServerResponse> {
    if (secret !== undefined && !bearerMatches(request.headers.authorization, secret)) {
      return fail(
        401,
        CodeServerErrorCode.Unauthorized,
        'missing or wrong bearer secret',
        {},
        { 'www-authenticate': 'Bearer' },
      );
    }
    const { method, path } = request;
    if (path === CodeServerPaths.health || path === CodeServerPaths.definitions) {
      if (method !== 'GET') return methodNotAllowed('GET');
      if (path === CodeServerPaths.definitions) return { status: 200, body: definitions.spec };
      return {
        status: 200,
        body: {
          status: 'ok',
          codeLocation: definitions.codeLocation,
          codeVersion: definitions.codeVersion,
          runningTasks: location.runningTasks(),
        },
      };
    }
    if (path === CodeServerPaths.execute) {
      if (method !== 'POST') return methodNotAllowed('POST');
      return execute(request);
    }
    const sensorRoute = SENSOR_ROUTE.exec(path);
    if (sensorRoute !== null) {
      if (method !== 'POST') return methodNotAllowed('POST');
      return evaluate(request, sensorRoute[1] ?? '', sensorRoute[2] === 'evaluate' ? 'poll' : 'push');
    }
    return fail(404, CodeServerErrorCode.NotFound, `no route for ${method} ${path}`);
  }

  async function execute(request: CodeServerRequest): Promise<CodeServerResponse> {
    const body = parseJson(request.body);
    if (!body.ok) return body.response;
    const envelope = DispatchEnvelope.safeParse(body.value);
    if (!envelope.success) return invalid('invalid dispatch envelope', envelope.error.issues);
    try {
      await location.execute(envelope.data, request.signal ?? new AbortController().signal);
    } catch (error) {
      if (isServoError(error, ErrorCode.InvalidInput))
        return fail(400, CodeServerErrorCode.InvalidInput, error.message);
      throw error;
    }
    return { status: 202, body: { accepted: true } };
  }

  async function evaluate(
    request: CodeServerRequest,
    encodedName: string,
    kind: 'poll' | 'push',
  ): Promise<CodeServerResponse> {
    let sensorName: string;
    try {
      sensorName = decodeURIComponent(encodedName);
    } catch {
      return fail(400, CodeServerErrorCode.InvalidInput, 'the sensor name is not valid percent-encoding');
    }
    const sensor = definitions.sensor(sensorName);
    if (sensor === undefined)
      return fail(
        404,
        CodeServerErrorCode.NotFound,
        `code location ${definitions.codeLocation} has no sensor ${sensorName}`,
      );
    if (sensor.kind !== kind) {
      const use = sensor.kind === 'poll' ? 'POST /sensors/:name/evaluate' : 'POST /sensors/:name/message';
      return fail(
        400,
        CodeServerErrorCode.InvalidInput,
        `sensor ${sensorName} is a ${sensor.kind} sensor: use ${use}`,
      );
    }
    const timeoutMs = parseTimeout(request.headers[TIMEOUT_HEADER], options.defaultSensorTimeoutMs);
    if (typeof timeoutMs === 'string') return fail(400, CodeServerErrorCode.InvalidInput, timeoutMs);
    const body = parseJson(request.body);
    if (!body.ok) return body.response;
    let call: (signal: AbortSignal) => Promise<SensorResult>;
    if (kind === 'poll') {
      const context = EvaluateRequest.safeParse(body.value);
      if (!context.success) return invalid('invalid evaluation body', context.error.issues);
      call = (signal) => location.evaluateSensor(sensorName, context.data, signal);
    } else {
      const message = PushMessageRequest.safeParse(body.value);
      if (!message.success) return invalid('invalid push message', message.error.issues);
      call = (signal) => location.handleMessage(sensorName, message.data, signal);
    }

    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`sensor ${sensorName} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const signal =
      request.signal === undefined ? deadline.signal : AbortSignal.any([deadline.signal, request.signal]);
    try {
      const result = await call(signal);
      return { status: 200, body: result };
    } catch (error) {
      if (deadline.signal.aborted) {
        logger.warn({ sensor: sensorName, timeoutMs }, 'sensor evaluation timed out');
        return fail(
          504,
          CodeServerErrorCode.Timeout,
          `sensor ${sensorName} did not answer within ${timeoutMs} ms`,
          {
            details: { timeoutMs },
          },
        );
      }
      if (request.signal?.aborted) {
        return fail(503, CodeServerErrorCode.Internal, 'the caller went away before the sensor answered');
      }
      logger.warn({ sensor: sensorName, err: error }, 'sensor code failed');
      return fail(422, CodeServerErrorCode.UserCode, describeError(error).message, describeUserError(error));
    } finally {
      clearTimeout(timer);
    }
  }
}

function methodNotAllowed(allow: string): CodeServerResponse {
  return fail(405, CodeServerErrorCode.MethodNotAllowed, `use ${allow}`, {}, { allow });
}

function describeUserError(error: unknown): { className?: string; stack?: string } {
  const { className, stack } = describeError(error);
  return { ...(className === undefined ? {} : { className }), ...(stack === undefined ? {} : { stack }) };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; response: CodeServerResponse } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      response: fail(400, CodeServerErrorCode.InvalidInput, `the body is not valid JSON: ${reason}`),
    };
  }
}

function invalid(
  what: string,
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): CodeServerResponse {
  const problems = issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
  return fail(400, CodeServerErrorCode.InvalidInput, `${what}: ${problems.join('; ')}`, {
    details: { problems },
  });
}

/** The timeout in ms, or why the header is invalid. */
function parseTimeout(header: string | undefined, fallback = DEFAULT_SENSOR_TIMEOUT_MS): number | string {
  if (header === undefined || header === '') return fallback;
  const value = Number(header);
  if (!Number.isInteger(value) || value < 1 || value > MAX_SENSOR_TIMEOUT_MS)
    return `${TIMEOUT_HEADER} must be an integer from 1 to ${MAX_SENSOR_TIMEOUT_MS}`;
  return value;
}
