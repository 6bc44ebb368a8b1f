import { ErrorCode, ServoError } from '../errors.js';
import type { PutOptions } from './object-store.js';

/** The errors every `ObjectStore` adapter raises, built in one place so their codes and details agree. */

/** Someone else wrote first (or the key is missing): reload and retry. */
export function preconditionFailed(key: string, reason: string, cause?: unknown): ServoError {
  return new ServoError(ErrorCode.PreconditionFailed, `precondition failed for ${key}: ${reason}`, {
    details: { key },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The storage backend failed; retrying the same call may succeed. */
export function storageUnavailable(operation: string, key: string, cause: unknown): ServoError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ServoError(ErrorCode.Unavailable, `object store ${operation} failed for ${key}: ${reason}`, {
    details: { operation, key },
    cause,
  });
}

/**
 * `ifNotExists` and `ifGenerationMatch` together can never both hold, so asking for both is a caller
 * bug, not a lost race.
 */
export function assertPutOptions(options: PutOptions): void {
  if (options.ifNotExists === true && options.ifGenerationMatch !== undefined) {
    throw new TypeError('put: set either ifNotExists or ifGenerationMatch, not both');
  }
}
