import type { z } from 'zod';
import { invalidInput } from '../../errors.js';

/**
 * Parses a definition with its port schema, or throws one `INVALID_INPUT` error naming the
 * definition and every problem (`asset orders: partitions.start: …`), so a bad module fails when it
 * is loaded, not when Servo first calls it.
 */
export function parseSpec<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`,
  );
  throw invalidInput(`${what} is invalid: ${problems.join('; ')}`, { problems });
}

/** Throws `INVALID_INPUT` unless `value` is a function. */
export function requireFunction(value: unknown, what: string): void {
  if (typeof value !== 'function') throw invalidInput(`${what} must be a function`);
}
