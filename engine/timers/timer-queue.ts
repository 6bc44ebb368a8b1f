import type { TimerKind } from '../model/events/timers.js';

/** A request to be woken: the handler of `kind` is called for `subjectId` at `fireAt`. */
export interface Timer {
  /** Deterministic id (`timerIdFor`): asking twice for the same timer schedules it once. */
  timerId: string;
  kind: TimerKind;
  subjectId: string;
  /** Epoch milliseconds. */
  fireAt: number;
  attempt?: number;
}

/**
 * The timer port. Adapters: the local queue of embedded mode (in memory, driven by the clock;
 * re-derived from projections after a restart by anti-entropy) and Cloud Tasks (an HTTP task per
 * timer to the timer-ingest endpoint, named after the timer id so re-creating it dedupes).
 *
 * Delivery is at-least-once: a timer may fire twice or late; handlers are idempotent on the timer
 * id. `schedule` of an existing timer id is a no-op.
 */
export interface TimerQueue {
  schedule(timer: Timer): Promise<void>;
  /** Timers scheduled and not yet delivered (for health and anti-entropy), when the adapter can tell. */
  pending?(): readonly Timer[];
  /**
   * A number that changes whenever `pending()` would list other timers (for answers computed from
   * them, which may be reused while it stays the same). Offered with `pending`.
   */
  pendingVersion?(): number;
}

/**
 * Called by an adapter with timers that are due, several at once when many fell due together (after
 * downtime every schedule is due at once, and deciding them in one pass writes far fewer segments).
 * Must be idempotent on each `timerId`.
 */
export type TimerHandler = (timers: Timer[]) => Promise<void>;
