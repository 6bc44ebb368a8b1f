import {
  type AdmissionPolicy,
  type AdmissionPolicyInput,
  admissionLookbackMs,
  admissionPolicy,
  decideAdmissions,
  poolSlots,
  type QueuedRun,
  workspaceLimit,
} from '../controllers/admission.js';
import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { timerIdFor } from '../model/ids.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import {
  admittedRunOf,
  countsForAdmission,
  isAwaitingAdmission,
  poolsOfRun,
  queuedRunOf,
} from '../queries/queue.js';
import type { Timer } from '../timers/timer-queue.js';
import type { Reactor } from './automation.js';
import type { TimerDomain } from './context.js';
import { RowIndex } from './row-index.js';

/** Admissions per segment: each is its own decision, several share a write. */
const MAX_ADMISSIONS_PER_SEGMENT = 500;

/** Subject of the wake-up timer a rate limit asks for. */
const ADMISSION_WAKE_SUBJECT = 'admission';

/** The kind of the wake-up timer set when a rate window will open again. */
const WAKE_KIND = 'admission_wake';

export interface AdmissionReactor extends Reactor {
  readonly policy: AdmissionPolicy;
  /** Wakes admission when a rate window opens again (register it with the automation's domains). */
  readonly domain: TimerDomain;
  close(): void;
}

/**
 * The admission reactor: after every change that can open room (a run ended) or add a candidate (a
 * run joined the queue) it decides (engine/controllers/admission.ts) which queued runs start and
 * appends their `run.admitted.v1` events, several per segment, so a slot freed by a run that ended
 * is filled in the pass that follows, at the same instant. It finds its inputs through row indexes:
 * the queued runs, and the admitted runs that still count (not ended, or admitted within the
 * look-back). Rate windows are derived from those runs' `admittedAt`, so a restarted process decides
 * as the previous one would have. When a rate limit holds a run back, a timer at the moment the
 * window lets one more through wakes the reactor. Aging needs no timer: it only matters when room
 * opens, and room opens with a change (a run ending) that makes the reactor decide again.
 * Idempotent: `run_admit:{runId}`, and the fold admits only a run that is still QUEUED.
 */
export function createAdmissionReactor(
  projections: ProjectionStore,
  input: AdmissionPolicyInput = {},
): AdmissionReactor {
  const policy = admissionPolicy(input);
  const lookbackMs = admissionLookbackMs(policy);
  let horizon = -Infinity;
  const queued = new RowIndex(projections, 'runs', isAwaitingAdmission);
  const admitted = new RowIndex(projections, 'runs', (run) => countsForAdmission(run, horizon));
  /** Queued runs as the controller sees them, by run id (a plan never changes: pools are read once). */
  const cache = new Map<string, { rowVersion: string; run: QueuedRun }>();
  let wake: Timer | undefined;
  // A decision is due after a change that can open room (a run ended, a rate window opened: `full`)
  // or that adds a candidate (`joined`). Admissions, starts and task progress call for none.
  let full = true;
  const joined = new Set<string>();
  const unsubscribe = projections.subscribe((changes) => {
    const runs = projections.state.tables.runs;
    for (const key of changes.tables.get('runs') ?? []) {
      const row = runs.get(key);
      if (row === undefined || isTerminalRun(row.status)) full = true;
      else if (isAwaitingAdmission(row)) joined.add(key);
    }
  });

  /**
   * Whether every run that joined since the last decision is held back by the workspace limit or a
   * full pool. Then a decision would admit nothing: the last one admitted all it could, and no room
   * has opened since. This keeps a flood of new runs into a full pool from costing a decision each.
   */
  const joinedCannotStart = (tables: ProjectionTables): boolean => {
    let activeRuns = 0;
    const used = new Map<string, number>();
    for (const run of admitted.rows()) {
      if (isTerminalRun(run.status)) continue;
      activeRuns += 1;
      for (const pool of run.pools) used.set(pool, (used.get(pool) ?? 0) + 1);
    }
    for (const runId of joined) {
      const run = tables.runs.get(runId);
      if (run === undefined || !isAwaitingAdmission(run)) continue;
      if (activeRuns >= workspaceLimit(policy)) continue;
      const pools = poolsOfRun(tables, run);
      if (!pools.some((pool) => (used.get(pool) ?? 0) >= poolSlots(policy, pool))) return false;
    }
    return true;
  };

  const reactor: AdmissionReactor = {
    name: 'admission',
    policy,
    async react(ctx) {
      await ctx.sync();
      if ((!full && joined.size === 0) || queued.size === 0) return false;
      const tables = ctx.tables();
      const skip = !full && joinedCannotStart(tables);
      full = false;
      joined.clear();
      if (skip) return false;
      const now = ctx.clock.now();
      const at = now.getTime();
      horizon = at - lookbackMs;
      const waiting: QueuedRun[] = [];
      for (const row of queued.rows()) {
        let entry = cache.get(row.runId);
        if (entry?.rowVersion !== row.rowVersion) {
          entry = { rowVersion: row.rowVersion, run: queuedRunOf(row, poolsOfRun(tables, row)) };
          cache.set(row.runId, entry);
        }
        waiting.push(entry.run);
      }
      if (cache.size > 2 * waiting.length + 1000) {
        const keep = new Set(waiting.map((run) => run.runId));
        for (const runId of cache.keys()) if (!keep.has(runId)) cache.delete(runId);
      }
      const decision = decideAdmissions(waiting, [...admitted.rows()].map(admittedRunOf), policy, at);
      let drafts: EventDraft[] = [];
      for (const { runId, pools } of decision.admit) {
        drafts.push(draft('run.admitted.v1', { runId, pools }, now));
        cache.delete(runId);
        if (drafts.length >= MAX_ADMISSIONS_PER_SEGMENT) {
          await ctx.append(drafts);
          drafts = [];
        }
      }
      if (drafts.length > 0) await ctx.append(drafts);
      if (decision.wakeAt !== null) {
        // Timer ids have whole seconds; rounding up keeps a wake-up from ever coming early.
        const fireAt = Math.ceil(decision.wakeAt / 1000) * 1000;
        wake = {
          timerId: timerIdFor(WAKE_KIND, ADMISSION_WAKE_SUBJECT, fireAt),
          kind: WAKE_KIND,
          subjectId: ADMISSION_WAKE_SUBJECT,
          fireAt,
        };
        await ctx.schedule([wake]);
      }
      return decision.admit.length > 0;
    },
    domain: {
      kinds: [WAKE_KIND],
      async handle(ctx) {
        full = true;
        await ctx.sync();
        ctx.kick();
      },
      desiredTimers() {
        return queued.size > 0 && wake !== undefined ? [wake] : [];
      },
    },
    close() {
      unsubscribe();
      queued.close();
      admitted.close();
    },
  };
  return reactor;
}
