/**
 * The one error type of Servo's engine. Every expected failure carries a stable `code` that clients,
 * tests and the API edge depend on, and says whether retrying the same call can succeed. Anything
 * thrown that is not a `ServoError` is a bug: the API masks it and logs it.
 */
export const ErrorCode = {
  /** Input failed validation (bad cron, unknown zone, malformed event, …). Not retryable. */
  InvalidInput: 'INVALID_INPUT',
  /** An event's `type` is not in the catalog. Not retryable. */
  UnknownEventType: 'UNKNOWN_EVENT_TYPE',
  /** A payload or request is larger than the configured limit. Not retryable. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** An event id's time is too far ahead of the appender's clock. Not retryable with the same id. */
  EventFromFuture: 'EVENT_FROM_FUTURE',
  /** An event belongs to another tenant or workspace than the ledger it was sent to. */
  ScopeMismatch: 'SCOPE_MISMATCH',
  /** The named thing does not exist. */
  NotFound: 'NOT_FOUND',
  /** The operation is not allowed in the current state (e.g. resuming a completed backfill). */
  IllegalState: 'ILLEGAL_STATE',
  /** A storage precondition failed: someone else wrote first. Retryable after reloading. */
  PreconditionFailed: 'PRECONDITION_FAILED',
  /** Optimistic concurrency lost too many times in a row. Retryable later. */
  Contention: 'CONTENTION',
  /** The caller is not allowed to do this. */
  Unauthorized: 'UNAUTHORIZED',
  /** A dependency (storage, code location, queue) failed or timed out. Retryable. */
  Unavailable: 'UNAVAILABLE',
  /** Stored data violates an invariant (corrupt manifest, unreadable segment). Needs an operator. */
  Corrupt: 'CORRUPT',
  /** A configuration value is missing or invalid. */
  Config: 'CONFIG',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const retryableByDefault: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.PreconditionFailed,
  ErrorCode.Contention,
  ErrorCode.Unavailable,
]);

export interface ServoErrorOptions {
  retryable?: boolean;
  /** Structured details safe to show to the caller (field names, limits, ids). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class ServoError extends Error {
  override readonly name = 'ServoError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ServoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault.has(code);
    this.details = options.details ?? {};
  }
}

export function isServoError(error: unknown, code?: ErrorCode): error is ServoError {
  return error instanceof ServoError && (code === undefined || error.code === code);
}

export function invalidInput(message: string, details?: Record<string, unknown>): ServoError {
  return new ServoError(ErrorCode.InvalidInput, message, details ? { details } : {});
}

export function notFound(message: string, details?: Record<string, unknown>): ServoError {
  return new ServoError(ErrorCode.NotFound, message, details ? { details } : {});
}

export function illegalState(message: string, details?: Record<string, unknown>): ServoError {
  return new ServoError(ErrorCode.IllegalState, message, details ? { details } : {});
}
