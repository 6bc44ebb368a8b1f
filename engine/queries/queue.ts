import {
  type AdmissionPolicy,
  type AdmittedRun,
  admissionLookbackMs,
  decideAdmissions,
  type QueuedRun,
  type WaitCause,
} from '../controllers/admission.js';
import { invalidInput } from '../errors.js';
import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { compositeKey } from '../projections/table-def.js';
import { type RunRow, RunStatus } from '../projections/tables/index.js';

/**
 * The run queue as admission sees it: the queued runs in admission order with their position and
 * why each waits (what the API's queued-run views show), and the backlog of each lane with the age
 * of its oldest pending work (automation health). The view is computed with the same decision the
 * admission reactor makes, from the same rows, so it explains exactly what the reactor will do.
 */

export const DEFAULT_QUEUE_PAGE = 100;
export const MAX_QUEUE_PAGE = 1000;

/** Whether a run waits for admission: QUEUED, planned, not asked to stop. */
export function isAwaitingAdmission(run: RunRow): boolean {
  return run.status === RunStatus.Queued && run.taskKeys.length > 0 && !run.cancelRequested;
}

/**
 * Whether an admitted run matters to admission: it has not ended (it holds its slots), or it was
 * admitted at or after `horizon` (rate windows and aging look back that far).
 */
export function countsForAdmission(run: RunRow, horizon: number): boolean {
  return run.admittedAt !== null && (!isTerminalRun(run.status) || run.admittedAt >= horizon);
}

/** The pools a queued run's tasks use, each once, sorted (read from its plan). */
export function poolsOfRun(tables: ProjectionTables, run: RunRow): string[] {
  const pools = new Set<string>();
  for (const taskKey of run.taskKeys) {
    const pool = tables.tasks.get(compositeKey(run.runId, taskKey))?.pool;
    if (pool !== null && pool !== undefined) pools.add(pool);
  }
  return [...pools].sort();
}

export function queuedRunOf(run: RunRow, pools: readonly string[]): QueuedRun {
  return {
    runId: run.runId,
    lane: run.lane,
    priority: run.priority,
    createdAt: run.createdAt,
    tags: run.tags,
    pools,
  };
}

/** An admitted run as admission counts it: the pools recorded when it was admitted. */
export function admittedRunOf(run: RunRow): AdmittedRun {
  return {
    runId: run.runId,
    lane: run.lane,
    tags: run.tags,
    pools: run.pools,
    admittedAt: run.admittedAt ?? 0,
    active: !isTerminalRun(run.status),
  };
}

export interface QueuedRunView {
  runId: string;
  runKey: string;
  lane: string;
  /** The lane it competes in now: its own, or a higher one after waiting long (aging). */
  effectiveLane: string;
  priority: number;
  pools: string[];
  backfillId: string | null;
  createdAt: number;
  waitingMs: number;
  /** 1-based place in admission order; runs admissible now come first. */
  position: number;
  /** Nothing holds it back: the admission reactor starts it on its next pass. */
  admissible: boolean;
  reason: string;
  /** What holds it back, as data; null when admissible. */
  cause: WaitCause | null;
}

export interface QueueView {
  runs: QueuedRunView[];
  /** Queued runs in all (the page is a slice of them). */
  totalCount: number;
  /** When a rate limit next lets a waiting run through, if one holds any back. */
  nextRateWindowAt: number | null;
}

export interface QueuePage {
  offset?: number;
  limit?: number;
}

/** Scans the runs table for admission's inputs (the reactor keeps them in row indexes instead). */
function admissionInputs(tables: ProjectionTables, policy: AdmissionPolicy, now: number) {
  const horizon = now - admissionLookbackMs(policy);
  const queued: QueuedRun[] = [];
  const admitted: AdmittedRun[] = [];
  for (const run of tables.runs.values()) {
    if (isAwaitingAdmission(run)) queued.push(queuedRunOf(run, poolsOfRun(tables, run)));
    else if (countsForAdmission(run, horizon)) admitted.push(admittedRunOf(run));
  }
  return { queued, admitted };
}

/** What holds a queued run back, if anything (null: nothing; it starts on the next pass). */
type Waiting = { reason: string; cause: WaitCause; effectiveLane: string } | undefined;

/**
 * Every queued run in admission order, each with what holds it back: the runs admission would
 * start now first, then the waiting ones.
 */
function rankQueue(tables: ProjectionTables, policy: AdmissionPolicy, now: number) {
  const { queued, admitted } = admissionInputs(tables, policy, now);
  const decision = decideAdmissions(queued, admitted, policy, now);
  const order: { runId: string; waiting: Waiting }[] = [
    ...decision.admit.map((run) => ({ runId: run.runId, waiting: undefined })),
    ...decision.waiting.map((run) => ({ runId: run.runId, waiting: run })),
  ];
  return { queued, order, wakeAt: decision.wakeAt };
}

const ADMISSIBLE_REASON = 'nothing holds it back: it starts on the next admission pass';

/** The queued runs in admission order, one page, with position and reason. */
export function queuedRuns(
  tables: ProjectionTables,
  policy: AdmissionPolicy,
  now: number,
  page: QueuePage = {},
): QueueView {
  const offset = page.offset ?? 0;
  const limit = page.limit ?? DEFAULT_QUEUE_PAGE;
  if (!Number.isInteger(offset) || offset < 0) throw invalidInput('offset must be a non-negative integer');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUEUE_PAGE) {
    throw invalidInput(`limit must be an integer from 1 to ${MAX_QUEUE_PAGE}`);
  }
  const { queued, order, wakeAt } = rankQueue(tables, policy, now);
  const byId = new Map(queued.map((run) => [run.runId, run]));
  const view = (runId: string, position: number, waiting: Waiting): QueuedRunView => {
    const row = tables.runs.get(runId)!;
    return {
      runId,
      runKey: row.runKey,
      lane: row.lane,
      effectiveLane: waiting?.effectiveLane ?? row.lane,
      priority: row.priority,
      pools: [...(byId.get(runId)?.pools ?? [])],
      backfillId: row.backfillId,
      createdAt: row.createdAt,
      waitingMs: Math.max(0, now - row.createdAt),
      position,
      admissible: waiting === undefined,
      reason: waiting?.reason ?? ADMISSIBLE_REASON,
      cause: waiting?.cause ?? null,
    };
  };
  const runs = order
    .slice(offset, offset + limit)
    .map((place, index) => view(place.runId, offset + index + 1, place.waiting));
  return { runs, totalCount: queued.length, nextRateWindowAt: wakeAt };
}

export interface QueuePlace {
  /** 1-based place in admission order. */
  position: number;
  admissible: boolean;
  reason: string;
}

/**
 * Where each of `runIds` that is queued stands (the same order and reasons as `queuedRuns`).
 * Other runs are left out. Costs one pass over the runs, whatever the number asked about.
 */
export function queuePlaces(
  tables: ProjectionTables,
  policy: AdmissionPolicy,
  now: number,
  runIds: readonly string[],
): Map<string, QueuePlace> {
  const places = new Map<string, QueuePlace>();
  const wanted = new Set(runIds.filter((runId) => tables.runs.get(runId)?.status === RunStatus.Queued));
  if (wanted.size === 0) return places;
  rankQueue(tables, policy, now).order.forEach((place, index) => {
    if (!wanted.has(place.runId)) return;
    places.set(place.runId, {
      position: index + 1,
      admissible: place.waiting === undefined,
      reason: place.waiting?.reason ?? ADMISSIBLE_REASON,
    });
  });
  return places;
}

export interface LaneBacklog {
  lane: string;
  /** Runs planned and waiting for admission. */
  queuedRuns: number;
  /** Run requests not yet turned into runs. */
  pendingRequests: number;
  /** Age of the oldest of either, in ms; null when the lane has nothing pending. */
  oldestPendingAgeMs: number | null;
  /** When the oldest queued run was created; null when none is queued. */
  oldestQueuedAt: number | null;
}

/** Backlog per lane, in the policy's lane order (automation health). */
export function laneBacklog(tables: ProjectionTables, policy: AdmissionPolicy, now: number): LaneBacklog[] {
  const lanes = new Map<string, LaneBacklog>();
  for (const lane of policy.laneOrder) {
    lanes.set(lane, {
      lane,
      queuedRuns: 0,
      pendingRequests: 0,
      oldestPendingAgeMs: null,
      oldestQueuedAt: null,
    });
  }
  const laneOf = (lane: string): LaneBacklog => {
    let backlog = lanes.get(lane);
    if (backlog === undefined) {
      backlog = { lane, queuedRuns: 0, pendingRequests: 0, oldestPendingAgeMs: null, oldestQueuedAt: null };
      lanes.set(lane, backlog);
    }
    return backlog;
  };
  const pendingSince = (backlog: LaneBacklog, since: number) => {
    backlog.oldestPendingAgeMs = Math.max(backlog.oldestPendingAgeMs ?? 0, now - since);
  };
  for (const run of tables.runs.values()) {
    if (run.status !== RunStatus.Queued || run.cancelRequested) continue;
    const backlog = laneOf(run.lane);
    backlog.queuedRuns += 1;
    backlog.oldestQueuedAt = Math.min(backlog.oldestQueuedAt ?? Infinity, run.createdAt);
    pendingSince(backlog, run.createdAt);
  }
  for (const request of tables.runKeyIndex.values()) {
    if (request.status !== 'PENDING') continue;
    const backlog = laneOf(request.lane);
    backlog.pendingRequests += 1;
    pendingSince(backlog, request.requestedAt);
  }
  return [...lanes.values()];
}
