import type { BackfillState } from '../model/events/backfills.js';
import { type BackfillRow, ChunkState, type RunRow, RunStatus } from '../projections/tables/index.js';
import type { FoldEnv } from './context.js';
import type { HandlerMap } from './handler.js';
import type { ProjectionTables } from './state.js';

export const TERMINAL_BACKFILL_STATES: ReadonlySet<string> = new Set([
  'COMPLETED_SUCCESS',
  'COMPLETED_FAILED',
  'FAILED',
  'CANCELED',
]);

/**
 * Transitions an operator (or planner) may ask for. The fold derives the others itself: REQUESTED →
 * COMPLETED_* when the last chunk ends, CANCELING → CANCELED when no chunk is active.
 */
const REQUESTABLE_TRANSITIONS: Readonly<Record<string, readonly BackfillState[]>> = {
  REQUESTED: ['PAUSED', 'CANCELING', 'FAILED'],
  PAUSED: ['REQUESTED', 'CANCELING'],
  FAILED: ['REQUESTED', 'CANCELING'],
  // Only to upgrade a cancel to one that also terminates running runs.
  CANCELING: ['CANCELING'],
  CANCELED: [],
  COMPLETED_SUCCESS: [],
  COMPLETED_FAILED: [],
};

export function isRequestableTransition(from: string, to: BackfillState): boolean {
  return REQUESTABLE_TRANSITIONS[from]?.includes(to) ?? false;
}

/** Chunks planned whose runs have not ended. */
export function activeChunks(row: BackfillRow): number {
  return row.plannedChunks - row.chunksSucceeded - row.chunksFailed - row.chunksCanceled;
}

/**
 * Applies the derived transitions after any change to a backfill's counters or state: completion
 * when every chunk has ended, and CANCELING → CANCELED once nothing is active.
 */
export function settleBackfill(tables: ProjectionTables, row: BackfillRow, env: FoldEnv): BackfillRow {
  let next = row;
  const ended = row.chunksSucceeded + row.chunksFailed + row.chunksCanceled;
  if (row.state === 'REQUESTED' && row.plannedChunks >= row.totalChunks && ended >= row.totalChunks) {
    const state =
      row.chunksFailed === 0 && row.chunksCanceled === 0 ? 'COMPLETED_SUCCESS' : 'COMPLETED_FAILED';
    next = { ...row, state, stateVersion: row.stateVersion + 1, endedAt: env.at };
  } else if (row.state === 'CANCELING' && activeChunks(row) === 0) {
    next = { ...row, state: 'CANCELED', stateVersion: row.stateVersion + 1, endedAt: env.at };
  }
  if (next !== row) tables.backfills.set(next.backfillId, { ...next, rowVersion: env.eventId });
  return next;
}

/** Called when a backfill run is admitted: its chunk starts running. */
export function chunkRunStarted(tables: ProjectionTables, run: RunRow, env: FoldEnv): void {
  if (run.chunkId === null || run.backfillId === null) return;
  const chunk = tables.backfillChunks.get(run.chunkId);
  if (chunk === undefined || chunk.state !== ChunkState.Planned) return;
  tables.backfillChunks.set(chunk.chunkId, { ...chunk, state: ChunkState.Running, rowVersion: env.eventId });
  const backfill = tables.backfills.get(run.backfillId);
  if (backfill === undefined) return;
  tables.backfills.set(backfill.backfillId, {
    ...backfill,
    chunksRunning: backfill.chunksRunning + 1,
    rowVersion: env.eventId,
  });
}

/**
 * Called once when a backfill run reaches a terminal status: the chunk takes the run's outcome, the
 * backfill's counters follow, and completion is settled.
 */
export function chunkRunEnded(
  tables: ProjectionTables,
  run: RunRow,
  failedPartitions: string[],
  env: FoldEnv,
): void {
  if (run.chunkId === null || run.backfillId === null) return;
  const chunk = tables.backfillChunks.get(run.chunkId);
  if (chunk === undefined) return;
  if (chunk.state !== ChunkState.Planned && chunk.state !== ChunkState.Running) return;
  // A run that succeeded but reported some partitions failed (single-run) leaves a failed chunk,
  // so those partitions count as failed and retry-failed finds them.
  const state =
    run.status === RunStatus.Success && failedPartitions.length === 0
      ? ChunkState.Succeeded
      : run.status === RunStatus.Canceled
        ? ChunkState.Canceled
        : ChunkState.Failed;
  tables.backfillChunks.set(chunk.chunkId, {
    ...chunk,
    state,
    failedPartitions,
    endedAt: env.at,
    rowVersion: env.eventId,
  });
  const backfill = tables.backfills.get(run.backfillId);
  if (backfill === undefined) return;
  const size = chunk.partitionKeys.length;
  const failed = state === ChunkState.Failed ? Math.min(failedPartitions.length, size) : 0;
  const canceled = state === ChunkState.Canceled ? size : 0;
  const counted: BackfillRow = {
    ...backfill,
    chunksRunning: backfill.chunksRunning - (chunk.state === ChunkState.Running ? 1 : 0),
    chunksSucceeded: backfill.chunksSucceeded + (state === ChunkState.Succeeded ? 1 : 0),
    chunksFailed: backfill.chunksFailed + (state === ChunkState.Failed ? 1 : 0),
    chunksCanceled: backfill.chunksCanceled + (state === ChunkState.Canceled ? 1 : 0),
    partitionsSucceeded: backfill.partitionsSucceeded + size - failed - canceled,
    partitionsFailed: backfill.partitionsFailed + failed,
    partitionsCanceled: backfill.partitionsCanceled + canceled,
    rowVersion: env.eventId,
  };
  tables.backfills.set(counted.backfillId, counted);
  settleBackfill(tables, counted, env);
}

export const backfillHandlers: HandlerMap = {
  'backfill.created.v1'(t, e, env) {
    const p = e.payload;
    if (t.backfills.has(p.backfillId)) return false;
    const totalChunks = p.totalPartitions === 0 ? 0 : Math.ceil(p.totalPartitions / p.chunkSize);
    const row: BackfillRow = {
      backfillId: p.backfillId,
      requestId: p.requestId,
      assetSelection: p.assetSelection,
      selector: p.selector,
      totalPartitions: p.totalPartitions,
      chunkSize: p.chunkSize,
      maxConcurrentRuns: p.maxConcurrentRuns,
      singleRun: p.singleRun,
      parentBackfillId: p.parentBackfillId ?? null,
      title: p.title ?? null,
      description: p.description ?? null,
      tags: p.tags,
      codeVersion: p.codeVersion ?? null,
      requestedBy: p.requestedBy,
      state: 'REQUESTED',
      stateVersion: 1,
      terminateRuns: false,
      totalChunks,
      plannedChunks: 0,
      chunksRunning: 0,
      chunksSucceeded: 0,
      chunksFailed: 0,
      chunksCanceled: 0,
      partitionsSucceeded: 0,
      partitionsFailed: 0,
      partitionsCanceled: 0,
      createdAt: env.at,
      endedAt: null,
      rowVersion: env.eventId,
    };
    t.backfills.set(row.backfillId, row);
    // An empty selection completes at once.
    settleBackfill(t, row, env);
    return true;
  },

  'backfill.chunk-planned.v1'(t, e, env) {
    const p = e.payload;
    const backfill = t.backfills.get(p.backfillId);
    // A chunk is planned only while the backfill runs, and only in order: a planner that raced a
    // pause or cancel, or another planner, is rejected here and its run request is dropped with it.
    if (backfill === undefined || backfill.state !== 'REQUESTED') return false;
    if (p.chunkIndex !== backfill.plannedChunks || p.chunkIndex >= backfill.totalChunks) return false;
    if (t.backfillChunks.has(p.chunkId)) return false;
    t.backfillChunks.set(p.chunkId, {
      chunkId: p.chunkId,
      backfillId: p.backfillId,
      chunkIndex: p.chunkIndex,
      partitionKeys: p.partitionKeys,
      runKey: p.runKey,
      runId: env.runId(p.runKey),
      state: ChunkState.Planned,
      failedPartitions: [],
      plannedAt: env.at,
      endedAt: null,
      rowVersion: env.eventId,
    });
    t.backfills.set(backfill.backfillId, {
      ...backfill,
      plannedChunks: backfill.plannedChunks + 1,
      rowVersion: env.eventId,
    });
    return true;
  },

  'backfill.state-changed.v1'(t, e, env) {
    const p = e.payload;
    const row = t.backfills.get(p.backfillId);
    if (row === undefined) return false;
    if (row.state !== p.fromState || p.stateVersion !== row.stateVersion + 1) return false;
    if (!isRequestableTransition(row.state, p.toState)) return false;
    if (row.state === 'CANCELING' && (row.terminateRuns || p.terminateRuns !== true)) return false;
    const next: BackfillRow = {
      ...row,
      state: p.toState,
      stateVersion: p.stateVersion,
      terminateRuns: p.toState === 'CANCELING' ? (p.terminateRuns ?? false) : row.terminateRuns,
      endedAt: TERMINAL_BACKFILL_STATES.has(p.toState) ? env.at : row.endedAt,
      rowVersion: env.eventId,
    };
    t.backfills.set(row.backfillId, next);
    settleBackfill(t, next, env);
    return true;
  },
};
