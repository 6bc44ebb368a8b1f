import type { z } from 'zod';

/**
 * One entry of the event catalog. `type` is the persisted, versioned name (`schedule.ticked.v1`):
 * it is never renamed; a breaking payload change adds a new type (`….v2`) with an upcaster.
 */
/**
 * How the fold recognises a copy of an event it has already folded (appends and deliveries are
 * at-least-once, see docs/semantics.md). Either way a copy changes nothing; what differs is what
 * the fold keeps to know it:
 * - `key`: the event's idempotency key is recorded in `idempotency_keys` when the event changes
 *   state, and an event whose key is recorded changes nothing (while the key is kept:
 *   `idempotencyKeyDays`, 30 by default). For events that leave nothing in the state that tells a
 *   copy from a new decision: definitions and operator actions (each names its request), run
 *   requests (a copy of a conflicting request would be a second conflict), backfill creation and
 *   transitions, quarantined messages.
 * - `state`: the event carries a natural dedupe key (a tick, evaluation, timer or chunk id, a task
 *   attempt) and its handler applies it only from a state that applying it leaves for good:
 *   `guard` says which, and for how long a copy is rejected (run and task events: for as long as
 *   the ledger exists, since a missing row rejects them too; ticks, evaluations and timers: while
 *   their row is kept). The key is neither looked up nor recorded. These are most of the events,
 *   and recording their keys cost more than the rest of their fold and held a row per event.
 */
export type Dedupe = { readonly by: 'key' } | { readonly by: 'state'; readonly guard: string };

export interface EventType<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  /** One sentence: what fact this event records. Rendered into docs/protocol.md. */
  readonly description: string;
  /** The default idempotency key's format, for docs/protocol.md (`idempotencyKey` is the truth). */
  readonly keyFormat: string;
  /** How a copy of this event is recognised: by its recorded key, or by the state it moved. */
  readonly dedupe: Dedupe;
  readonly payload: S;
  /**
   * The default idempotency key, derived from the payload. For `dedupe.by === 'key'` the fold
   * ignores an event whose key it has already recorded, and records keys only for events that
   * changed state.
   */
  idempotencyKey(payload: z.infer<S>): string;
}

export function defineEvent<const T extends string, S extends z.ZodType>(
  definition: EventType<T, S>,
): EventType<T, S> {
  return definition;
}
