/**
 * Thrown by `materialize` when trying again cannot help (bad input data, a missing table, a
 * configuration error): the attempt fails and Servo does not retry the task, whatever attempts are
 * left. Any other error fails the attempt as retryable.
 *
 * @example
 * if (rows.length === 0) throw new NonRetryableError('the export for 2026-01-01 is empty');
 */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for a `NonRetryableError`, also one from another copy of the SDK (matched by name). */
export function isNonRetryable(error: unknown): boolean {
  return error instanceof NonRetryableError || (error instanceof Error && error.name === 'NonRetryableError');
}
