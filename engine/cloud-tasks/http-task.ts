/**
 * What the Cloud Tasks timer and dispatch queues share: creating one named HTTP task through the
 * official client, and the rules Cloud Tasks puts on names, headers and sizes, checked before the
 * call so a misconfiguration fails with a clear CONFIG or PAYLOAD_TOO_LARGE error instead of an
 * opaque INVALID_ARGUMENT from the service.
 *
 * Errors: `ALREADY_EXISTS` (gRPC code 6) is success — the task name is derived from Servo's own id,
 * so a task with that name is the same work, created earlier by this or another process (or run or
 * deleted within the queue's dedupe window). Every other failure becomes a retryable `UNAVAILABLE`
 * carrying the client's error as `cause` and its gRPC code in `details.grpcCode`; retrying is safe
 * because the retry has the same name.
 */
import type { CloudTasksClient, protos } from '@google-cloud/tasks';
import { ErrorCode, ServoError } from '../errors.js';

/** The one client method the queues call; a `CloudTasksClient` satisfies it. */
export type TaskCreator = Pick<CloudTasksClient, 'createTask'>;

/** Cloud Tasks mints a Google-signed OIDC ID token for every delivery and sends it as `Authorization: Bearer …`. */
export interface OidcTokenOptions {
  /** The service account whose identity the token carries (the queue's caller needs `iam.serviceAccounts.actAs` on it). */
  serviceAccountEmail: string;
  /** The token's `aud` claim. Default (Cloud Tasks'): the target URL. */
  audience?: string;
}

export interface HttpTaskSpec {
  /** `projects/{project}/locations/{location}/queues/{queue}`. */
  queuePath: string;
  /** The task id (last segment of the name): `[A-Za-z0-9_-]{1,500}`. */
  taskId: string;
  url: string;
  /** Sent with the request; already checked with `checkTaskHeaders`. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Epoch milliseconds; absent = as soon as possible. */
  scheduleTimeMs?: number;
  oidc?: OidcTokenOptions;
  dispatchDeadlineSeconds?: number;
}

/** Cloud Tasks' largest task (body, headers and the rest of the message). */
export const MAX_TASK_BYTES = 1024 * 1024;
/** Cloud Tasks' bounds for the dispatch deadline of HTTP tasks. */
export const MIN_DISPATCH_DEADLINE_SECONDS = 15;
export const MAX_DISPATCH_DEADLINE_SECONDS = 1800;

const GRPC_ALREADY_EXISTS = 6;
const QUEUE_PATH = /^projects\/[A-Za-z0-9.:-]+\/locations\/[A-Za-z0-9-]+\/queues\/[A-Za-z0-9-]{1,100}$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers Cloud Tasks computes, reserves or silently replaces: setting them would be a lie. */
const RESERVED_HEADER = /^(host|content-length|user-agent|x-google-.*|x-appengine-.*|x-cloudtasks-.*)$/i;

export function assertQueuePath(queuePath: string): void {
  if (!QUEUE_PATH.test(queuePath)) {
    throw new ServoError(
      ErrorCode.Config,
      `Cloud Tasks queue path ${JSON.stringify(queuePath)} must look like projects/{project}/locations/{location}/queues/{queue}`,
      { details: { queuePath } },
    );
  }
}

export function assertTargetUrl(url: string, what: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new ServoError(ErrorCode.Config, `${what} ${JSON.stringify(url)} must be an absolute http(s) URL`, {
      details: { url },
    });
  }
}

export function assertDispatchDeadline(seconds: number): void {
  if (
    !Number.isInteger(seconds) ||
    seconds < MIN_DISPATCH_DEADLINE_SECONDS ||
    seconds > MAX_DISPATCH_DEADLINE_SECONDS
  ) {
    throw new ServoError(
      ErrorCode.Config,
      `the Cloud Tasks dispatch deadline must be a whole number of seconds from ${MIN_DISPATCH_DEADLINE_SECONDS} to ${MAX_DISPATCH_DEADLINE_SECONDS}, got ${seconds}`,
      { details: { dispatchDeadlineSeconds: seconds } },
    );
  }
}

/**
 * The headers of a task: `Content-Type: application/json` plus the caller's extra headers, which
 * must be valid header names that Cloud Tasks passes through unchanged. With OIDC, Cloud Tasks
 * writes the `Authorization` header itself, so an extra `Authorization` would be replaced and is
 * refused instead.
 */
export function checkTaskHeaders(
  extra: Readonly<Record<string, string>> | undefined,
  oidc: OidcTokenOptions | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  for (const [name, value] of Object.entries(extra ?? {})) {
    const problem = headerProblem(name, value, oidc);
    if (problem !== undefined) {
      throw new ServoError(ErrorCode.Config, `task header ${JSON.stringify(name)} ${problem}`, {
        details: { header: name },
      });
    }
    headers[name] = value;
  }
  return headers;
}

function headerProblem(name: string, value: string, oidc: OidcTokenOptions | undefined): string | undefined {
  const lower = name.toLowerCase();
  if (!HEADER_NAME.test(name)) return 'is not a valid header name';
  if (lower === 'content-type') return 'is always application/json';
  if (RESERVED_HEADER.test(name)) return 'is set or replaced by Cloud Tasks';
  if (oidc !== undefined && lower === 'authorization') {
    return 'is replaced by the OIDC token when OIDC is configured (use another header for a shared secret)';
  }
  if (/[\r\n]/.test(value)) return 'has a value with a line break';
  return undefined;
}

/**
 * Creates the task `{queuePath}/tasks/{taskId}`. Resolves with its full name, and whether this call
 * created it (false: a task with that name already existed or ran recently).
 */
export async function createHttpTask(
  client: TaskCreator,
  spec: HttpTaskSpec,
): Promise<{ name: string; created: boolean }> {
  if (!TASK_ID.test(spec.taskId)) {
    throw new ServoError(
      ErrorCode.InvalidInput,
      `Cloud Tasks task id ${JSON.stringify(spec.taskId)} is not valid`,
    );
  }
  const name = `${spec.queuePath}/tasks/${spec.taskId}`;
  const headerBytes = Object.entries(spec.headers).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  const size = spec.body.byteLength + headerBytes + Buffer.byteLength(spec.url) + name.length;
  if (size > MAX_TASK_BYTES) {
    throw new ServoError(
      ErrorCode.PayloadTooLarge,
      `a Cloud Task is at most ${MAX_TASK_BYTES} bytes; this one would be about ${size}`,
      { details: { taskName: name, bytes: size, limit: MAX_TASK_BYTES } },
    );
  }
  const httpRequest: protos.google.cloud.tasks.v2.IHttpRequest = {
    url: spec.url,
    httpMethod: 'POST',
    headers: spec.headers,
    body: spec.body,
  };
  if (spec.oidc !== undefined) {
    httpRequest.oidcToken = {
      serviceAccountEmail: spec.oidc.serviceAccountEmail,
      ...(spec.oidc.audience === undefined ? {} : { audience: spec.oidc.audience }),
    };
  }
  const task: protos.google.cloud.tasks.v2.ITask = { name, httpRequest };
  if (spec.scheduleTimeMs !== undefined) task.scheduleTime = timestamp(spec.scheduleTimeMs);
  if (spec.dispatchDeadlineSeconds !== undefined) {
    task.dispatchDeadline = { seconds: spec.dispatchDeadlineSeconds, nanos: 0 };
  }
  try {
    await client.createTask({ parent: spec.queuePath, task });
    return { name, created: true };
  } catch (error) {
    const grpcCode = grpcCodeOf(error);
    if (grpcCode === GRPC_ALREADY_EXISTS) return { name, created: false };
    throw new ServoError(
      ErrorCode.Unavailable,
      `creating Cloud Task ${name} failed${grpcCode === undefined ? '' : ` (gRPC code ${grpcCode})`}: ${messageOf(error)}`,
      { retryable: true, cause: error, details: { taskName: name, grpcCode } },
    );
  }
}

function timestamp(epochMs: number): protos.google.protobuf.ITimestamp {
  const seconds = Math.floor(epochMs / 1000);
  return { seconds, nanos: Math.round((epochMs - seconds * 1000) * 1_000_000) };
}

function grpcCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
