import type { Clock } from '../clock.js';
import type { CodeLocationRegistry } from '../code-location/code-location.js';
import type { AdmissionPolicy } from '../controllers/admission.js';
import type { ProjectionTables } from '../fold/state.js';
import type { Segment } from '../ledger/ledger.js';
import type { Logger } from '../logging.js';
import type { EventDraft } from '../model/catalog.js';
import type { TimerKind } from '../model/events/timers.js';
import type { Workspace } from '../runtime/workspace.js';
import type { Timer, TimerQueue } from '../timers/timer-queue.js';
import type { AutomationLimits } from './limits.js';

/**
 * What automation handlers and commands work with: the workspace's projections (read after
 * catching up with the ledger head), the clock, appends, timers and code locations. It is the
 * only place they touch I/O; the decisions themselves are pure functions in engine/controllers.
 */
export interface AutomationContext {
  readonly workspace: Workspace;
  readonly clock: Clock;
  readonly timers: TimerQueue;
  readonly codeLocations: CodeLocationRegistry;
  readonly limits: AutomationLimits;
  /** The admission policy runs are started under (the queue view explains it). */
  readonly admission: AdmissionPolicy;
  readonly logger: Logger;
  /** The projections as folded so far (call `sync()` first to see the ledger head). */
  tables(): ProjectionTables;
  /**
   * Freshness check: folds whatever the ledger holds beyond the projections' watermark, so a
   * decision is made from the ledger head, not from a stale view.
   */
  sync(): Promise<void>;
  /** Appends one decision as one segment, folds it, and lets interested controllers react. */
  append(drafts: readonly EventDraft[]): Promise<Segment>;
  /** Schedules timers (idempotent on timer id). */
  schedule(timers: readonly Timer[]): Promise<void>;
  /** Asks the reactors (run requests, backfill planning, admission, dispatch) to run soon. */
  kick(): void;
}

/** A domain's part in timer handling and anti-entropy. */
export interface TimerDomain {
  readonly kinds: readonly TimerKind[];
  /** Handles one delivered timer. Idempotent on the timer id; may be called late or twice. */
  handle(context: AutomationContext, timer: Timer): Promise<void>;
  /** Handles many timers due together (optional; `handle` is called for each one otherwise). */
  handleBatch?(context: AutomationContext, timers: Timer[]): Promise<void>;
  /**
   * Every timer the domain's current state calls for (anti-entropy): a missing timer is recreated,
   * so nothing depends on a first timer having been created or a delivery having arrived.
   */
  desiredTimers(context: AutomationContext): Timer[];
  /**
   * The timer one subject (a schedule or sensor id) needs now, if any: called when its definition
   * or state changed (a deploy, an upsert, a start), so its timer exists without waiting for
   * anti-entropy.
   */
  timerFor?(context: AutomationContext, subjectId: string): Timer | undefined;
}
