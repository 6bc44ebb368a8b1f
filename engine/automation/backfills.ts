import {
  type BackfillSelection,
  backfillSelection,
  PLANNER_ACTOR,
  planChunks,
  terminateDrafts,
} from '../controllers/backfills.js';
import { activeChunks } from '../fold/backfills.js';
import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { timerIdFor } from '../model/ids.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import type { BackfillRow } from '../projections/tables/index.js';
import type { Timer } from '../timers/timer-queue.js';
import type { Reactor } from './automation.js';
import type { AutomationContext, TimerDomain } from './context.js';
import { RowIndex } from './row-index.js';

/**
 * Backfill planning in the automation runtime. The planner reactor runs after every change: a chunk
 * run that ends frees a slot and the next chunk is planned in the same pass, so a backfill never
 * waits for a timer between chunks. The `backfill_reconcile` timers (every 30 s per backfill that
 * still has work) are the safety net for processes that missed a change; both paths make the same
 * decision from the same state, and the fold keeps only the first of two racing plans.
 */

/** Period of the reconcile timer of a backfill that still has work. */
export const BACKFILL_RECONCILE_INTERVAL_MS = 30_000;

/** Partition keys per segment of chunk plans (each chunk stays whole). */
const MAX_KEYS_PER_SEGMENT = 50_000;

/** Cancel requests per segment when a canceling backfill stops its runs. */
const MAX_CANCELS_PER_SEGMENT = 1000;

/** Whether a backfill has chunks left to plan. */
export function hasChunksToPlan(row: BackfillRow): boolean {
  return row.state === 'REQUESTED' && row.plannedChunks < row.totalChunks;
}

/** Whether a backfill still needs its controller: chunks to plan, or runs to stop. */
export function needsReconcile(row: BackfillRow): boolean {
  return hasChunksToPlan(row) || (row.state === 'CANCELING' && row.terminateRuns);
}

/**
 * Resolved selections by backfill id, so planning chunk k costs one slice, not a resolution. Every
 * entry is dropped when asset definitions or dynamic partitions change (a selection may resolve
 * differently then); an unresolvable selection is never kept.
 */
export class BackfillSelections {
  private readonly cache = new Map<string, BackfillSelection>();
  private readonly unsubscribe: () => void;

  constructor(projections: ProjectionStore) {
    this.unsubscribe = projections.subscribe((changes) => {
      if (changes.tables.has('assetDefinitions') || changes.tables.has('dynamicPartitions'))
        this.cache.clear();
    });
  }

  get(tables: ProjectionTables, row: BackfillRow, now: number): BackfillSelection {
    const cached = this.cache.get(row.backfillId);
    if (cached !== undefined) return cached;
    const selection = backfillSelection(row, { tables, now });
    if (!('unresolvable' in selection)) this.cache.set(row.backfillId, selection);
    return selection;
  }

  /** Drops the selections of backfills with nothing left to plan. */
  prune(tables: ProjectionTables): void {
    for (const backfillId of this.cache.keys()) {
      const row = tables.backfills.get(backfillId);
      if (row === undefined || !hasChunksToPlan(row)) this.cache.delete(backfillId);
    }
  }

  get size(): number {
    return this.cache.size;
  }

  close(): void {
    this.unsubscribe();
  }
}

type SelectionOf = (tables: ProjectionTables, row: BackfillRow, now: number) => BackfillSelection;

const resolveFresh: SelectionOf = (tables, row, now) => backfillSelection(row, { tables, now });

/**
 * Plans chunks of one backfill until its slots are used up or its chunks are all planned, one
 * bounded segment at a time. `first` events (a timer's own events) ride in the first segment.
 * Returns the number of segments appended.
 */
async function planBackfill(
  ctx: AutomationContext,
  backfillId: string,
  selectionOf: SelectionOf,
  first: { before: EventDraft[]; after: EventDraft[] } = { before: [], after: [] },
): Promise<number> {
  let segments = 0;
  for (;;) {
    const tables = ctx.tables();
    const row = tables.backfills.get(backfillId);
    if (row === undefined || !hasChunksToPlan(row)) break;
    const active = activeChunks(row);
    if (active >= row.maxConcurrentRuns) break;
    const now = ctx.clock.now();
    const maxChunks = Math.max(1, Math.floor(MAX_KEYS_PER_SEGMENT / row.chunkSize));
    const drafts = planChunks(row, selectionOf(tables, row, now.getTime()), active, now, { maxChunks });
    if (drafts.length === 0) break;
    await ctx.append(segments === 0 ? [...first.before, ...drafts, ...first.after] : drafts);
    segments += 1;
    // A plan the fold rejected (another planner got there first) changes nothing: stop, react again later.
    if (ctx.tables().backfills.get(backfillId)?.rowVersion === row.rowVersion) break;
  }
  return segments;
}

/**
 * The planner reactor: plans every REQUESTED backfill up to its free slots, and stops the runs of
 * canceling backfills that asked for it, including runs triggered after the cancel. `selections` may
 * be shared with the reconcile timer domain of the same process.
 */
export function createBackfillPlanner(
  projections: ProjectionStore,
  selections = new BackfillSelections(projections),
): Reactor & { close(): void } {
  const planning = new RowIndex(projections, 'backfills', hasChunksToPlan);
  // Runs of backfills that have not ended and were not asked to stop: at most the chunks in flight.
  const running = new RowIndex(
    projections,
    'runs',
    (run) => run.backfillId !== null && !run.cancelRequested && !isTerminalRun(run.status),
  );
  const selectionOf: SelectionOf = (tables, row, now) => selections.get(tables, row, now);
  return {
    name: 'backfill-planner',
    async react(ctx) {
      await ctx.sync();
      let did = false;
      if (running.size > 0) did = (await stopCanceledRuns(ctx, running.rows())) || did;
      if (planning.size === 0) {
        if (selections.size > 0) selections.prune(ctx.tables());
        return did;
      }
      const ids = [...planning.rows()].map((row) => row.backfillId);
      for (const backfillId of ids) {
        if ((await planBackfill(ctx, backfillId, selectionOf)) > 0) did = true;
      }
      selections.prune(ctx.tables());
      return did;
    },
    close() {
      planning.close();
      running.close();
      selections.close();
    },
  };
}

/** Cancel requests for runs whose backfill is CANCELING with `terminateRuns`. */
async function stopCanceledRuns(
  ctx: AutomationContext,
  runs: Iterable<{ runId: string; backfillId: string | null }>,
): Promise<boolean> {
  const tables = ctx.tables();
  const now = ctx.clock.now();
  let drafts: EventDraft[] = [];
  let did = false;
  for (const run of runs) {
    const backfill = tables.backfills.get(run.backfillId ?? '');
    if (backfill?.state !== 'CANCELING' || !backfill.terminateRuns) continue;
    drafts.push(
      draft(
        'run.cancel-requested.v1',
        {
          runId: run.runId,
          force: false,
          requestedBy: PLANNER_ACTOR,
          reason: `backfill ${backfill.backfillId} was canceled`,
        },
        now,
      ),
    );
    if (drafts.length >= MAX_CANCELS_PER_SEGMENT) {
      await ctx.append(drafts);
      drafts = [];
      did = true;
    }
  }
  if (drafts.length > 0) {
    await ctx.append(drafts);
    did = true;
  }
  return did;
}

/** The reconcile timer of a backfill: the first 30-second boundary after `after` (same id everywhere). */
export function backfillReconcileTimer(backfillId: string, after: number): Timer {
  const fireAt = (Math.floor(after / BACKFILL_RECONCILE_INTERVAL_MS) + 1) * BACKFILL_RECONCILE_INTERVAL_MS;
  return {
    timerId: timerIdFor('backfill_reconcile', backfillId, fireAt),
    kind: 'backfill_reconcile',
    subjectId: backfillId,
    fireAt,
  };
}

function timerPayload(timer: Timer) {
  return {
    timerId: timer.timerId,
    kind: timer.kind,
    subjectId: timer.subjectId,
    fireAt: new Date(timer.fireAt).toISOString(),
  };
}

/**
 * `backfill_reconcile` timers: every backfill with chunks to plan or runs to stop has one, every
 * 30 s. The handler plans what the reactor would (and stops what a canceling backfill should), and
 * appends its decision with the `TimerFired` and the next `TimerRequested` in one segment; a timer
 * that finds nothing to do only schedules the next. Idempotent: a timer already fired, or delivered
 * twice, decides from the current state, where the work is already done.
 */
export function createBackfillReconcileDomain(selections?: BackfillSelections): TimerDomain {
  const selectionOf: SelectionOf =
    selections === undefined ? resolveFresh : (tables, row, now) => selections.get(tables, row, now);
  return {
    kinds: ['backfill_reconcile'],

    async handle(ctx, timer) {
      await ctx.sync();
      const tables = ctx.tables();
      const row = tables.backfills.get(timer.subjectId);
      if (row === undefined || !needsReconcile(row)) return;
      const now = ctx.clock.now();
      const next = backfillReconcileTimer(row.backfillId, Math.max(now.getTime(), timer.fireAt));
      if (tables.timers.get(timer.timerId)?.state !== 'FIRED') {
        const fired = draft('timer.fired.v1', timerPayload(timer), now);
        const requested = draft('timer.requested.v1', timerPayload(next), now);
        const stops = row.state === 'CANCELING' ? terminateDrafts(tables, row, PLANNER_ACTOR, now) : [];
        const planned = await planBackfill(ctx, row.backfillId, selectionOf, {
          before: [fired, ...stops],
          after: [requested],
        });
        if (planned === 0 && stops.length > 0) await ctx.append([fired, ...stops, requested]);
      }
      await ctx.schedule([next]);
    },

    desiredTimers(ctx) {
      const now = ctx.clock.now().getTime();
      const timers: Timer[] = [];
      for (const row of ctx.tables().backfills.values()) {
        if (needsReconcile(row)) timers.push(backfillReconcileTimer(row.backfillId, now));
      }
      return timers;
    },
  };
}
