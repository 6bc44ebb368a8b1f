import { isNonRetryable } from '../sdk/non-retryable-error.js';
import type { TaskFinishedBody } from '../task-protocol.js';
import { defaultRetryable } from '../task-protocol.js';

export type TaskError = NonNullable<TaskFinishedBody['error']>;

const MAX_MESSAGE = 16_384;
const MAX_CLASS_NAME = 256;
const MAX_STACK = 65_536;

/**
 * The failure of user code as the protocol carries it: category USER_CODE, retryable unless it is a
 * `NonRetryableError`.
 */
export function userCodeError(error: unknown): TaskError {
  return {
    ...describeError(error),
    category: 'USER_CODE',
    retryable: isNonRetryable(error) ? false : defaultRetryable('USER_CODE'),
  };
}

/** A failure no retry can fix (unknown asset, a dispatch that does not fit the definition). */
export function nonRetryableError(message: string): TaskError {
  return { message: message.slice(0, MAX_MESSAGE), category: 'USER_CODE', retryable: false };
}

export function describeError(error: unknown): { message: string; className?: string; stack?: string } {
  if (error instanceof Error) {
    return {
      message: (error.message || error.name).slice(0, MAX_MESSAGE),
      className: error.name.slice(0, MAX_CLASS_NAME),
      ...(error.stack === undefined ? {} : { stack: error.stack.slice(0, MAX_STACK) }),
    };
  }
  return { message: String(error).slice(0, MAX_MESSAGE) };
}
