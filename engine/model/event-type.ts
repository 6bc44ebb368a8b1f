import type { z } from 'zod';

/**
 * One entry of the event catalog. `type` is the persisted, versioned name (`schedule.ticked.v1`):
 * it is never renamed; a breaking payload change adds a new type (`….v2`) with an upcaster.
 */
export interface EventType<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  /** One sentence: what fact this event records. Rendered into docs/protocol.md. */
  readonly description: string;
  /** The default idempotency key's format, for docs/protocol.md (`idempotencyKey` is the truth). */
  readonly keyFormat: string;
  readonly payload: S;
  /**
   * The default idempotency key, derived from the payload. The fold ignores an event whose key it
   * has already recorded; keys are recorded only for events that changed state.
   */
  idempotencyKey(payload: z.infer<S>): string;
}

export function defineEvent<const T extends string, S extends z.ZodType>(
  definition: EventType<T, S>,
): EventType<T, S> {
  return definition;
}
