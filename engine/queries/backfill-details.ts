import {
  backfillSelection,
  backfillSpace,
  chunksOf,
  keyBytes,
  MAX_CHUNK_KEY_BYTES,
} from '../controllers/backfills.js';
import { ErrorCode, isServoError } from '../errors.js';
import { activeChunks, TERMINAL_BACKFILL_STATES } from '../fold/backfills.js';
import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { backfillChunkId } from '../model/ids.js';
import type { PartitionSpace } from '../model/partitions/index.js';
import { RangeSequence } from '../model/partitions/index-sequence.js';
import {
  type BackfillChunkRow,
  type BackfillRow,
  ChunkState,
  type RunRow,
  RunStatus,
} from '../projections/tables/index.js';
import { partitionState } from './backfills.js';

/**
 * Details of one backfill for its pages: its runs, where each asset stands, the partitions it
 * targets as ranges, why it stopped, and a log derived from its chunks. Each is computed from the
 * backfill row and its chunks, never by listing a range: a backfill of a million daily partitions
 * is described by one range, and counting its progress visits its chunks, not its partitions
 * (except those of chunks whose outcome differs per partition).
 */

/** Which of a backfill's runs to list. */
export type BackfillRunFilter = 'all' | 'unfinished' | 'cancelable';

/**
 * The runs of a backfill's planned chunks, newest chunk first, at most `limit`. Unfinished runs are
 * those of active chunks (a chunk is active exactly until its run ends), so that walk stops once
 * every active chunk was seen; cancelable ones are unfinished and not already being canceled.
 */
export function backfillRuns(
  tables: ProjectionTables,
  backfill: BackfillRow,
  filter: BackfillRunFilter,
  limit: number,
): RunRow[] {
  const runs: RunRow[] = [];
  let activeLeft = filter === 'all' ? Number.POSITIVE_INFINITY : activeChunks(backfill);
  for (let index = backfill.plannedChunks - 1; index >= 0 && runs.length < limit && activeLeft > 0; index--) {
    const chunk = tables.backfillChunks.get(backfillChunkId(backfill.backfillId, index));
    if (chunk === undefined) continue;
    const active = chunk.state === ChunkState.Planned || chunk.state === ChunkState.Running;
    if (filter !== 'all') {
      if (!active) continue;
      activeLeft -= 1;
    }
    const run = tables.runs.get(chunk.runId);
    if (run === undefined) continue;
    if (filter === 'unfinished' && isTerminalRun(run.status)) continue;
    if (filter === 'cancelable' && (isTerminalRun(run.status) || run.status === RunStatus.Canceling))
      continue;
    runs.push(run);
  }
  return runs;
}

/** Where one asset of a backfill stands, in partitions (Dagster's `AssetPartitionsStatusCounts`). */
export interface AssetBackfillCounts {
  assetKey: string;
  targeted: number;
  /** Requested (its chunk is planned) and not ended yet for this asset. */
  inProgress: number;
  materialized: number;
  failed: number;
  canceled: number;
}

/**
 * Per asset: partitions targeted, in progress, materialized, failed and canceled. A succeeded chunk
 * materialized every partition of every asset and a planned one has them all in progress, so those
 * count by chunk; chunks running or ended otherwise are looked at per partition and asset.
 */
export function backfillAssetStatuses(
  tables: ProjectionTables,
  backfill: BackfillRow,
): AssetBackfillCounts[] {
  const counts = backfill.assetSelection.map((assetKey) => ({
    assetKey,
    targeted: backfill.totalPartitions,
    inProgress: 0,
    materialized: 0,
    failed: 0,
    canceled: 0,
  }));
  for (const chunk of chunksOf(tables, backfill)) {
    const size = chunk.partitionKeys.length;
    if (chunk.state === ChunkState.Succeeded || chunk.state === ChunkState.Planned) {
      const field = chunk.state === ChunkState.Succeeded ? 'materialized' : 'inProgress';
      for (const count of counts) count[field] += size;
      continue;
    }
    const failed = new Set(chunk.failedPartitions);
    for (const count of counts) {
      for (const partitionKey of chunk.partitionKeys) {
        const state = partitionState(tables, chunk, failed, count.assetKey, partitionKey);
        if (state === 'MATERIALIZED') count.materialized += 1;
        else if (state === 'FAILED') count.failed += 1;
        else if (state === 'CANCELED') count.canceled += 1;
        else count.inProgress += 1;
      }
    }
  }
  return counts;
}

/** A backfill's target: inclusive key ranges in partition order, or the keys themselves. */
export interface TargetedPartitions {
  ranges: { start: string; end: string }[] | null;
  partitionKeys: string[] | null;
}

/**
 * The partitions a backfill targets (every asset of a backfill targets the same ones), as Dagster
 * describes a partitions subset: ranges for time windows, keys otherwise. Ranges are computed from
 * the stored selector without listing it; static partitions are listed as keys when there are at
 * most `maxKeys` of them (ranges otherwise), dynamic and multi-dimensional ones only then (null
 * otherwise). Null too when the selection no longer resolves (an asset was removed or repartitioned).
 */
export function backfillTargetedPartitions(
  tables: ProjectionTables,
  backfill: BackfillRow,
  now: number,
  maxKeys: number,
): TargetedPartitions | null {
  let space: PartitionSpace;
  try {
    space = backfillSpace(backfill.assetSelection, { tables, now }).space;
    if (space.kind === 'time' || space.kind === 'static') {
      const runs = selectorIndexRanges(space, backfill);
      if (runs !== null) {
        const ranges = runs.map(([low, high]) => ({ start: space.keyAt(low), end: space.keyAt(high) }));
        if (space.kind === 'time' || backfill.totalPartitions > maxKeys)
          return { ranges, partitionKeys: null };
        const partitionKeys: string[] = [];
        for (const [low, high] of runs)
          for (let index = low; index <= high; index++) partitionKeys.push(space.keyAt(index));
        return { ranges: null, partitionKeys };
      }
    }
  } catch (error) {
    if (isExpected(error)) return null;
    throw error;
  }
  if (backfill.totalPartitions > maxKeys) return null;
  const selection = backfillSelection(backfill, { tables, now });
  if ('unresolvable' in selection) return null;
  return {
    ranges: null,
    partitionKeys: selection.slice(0, Math.min(selection.total, backfill.totalPartitions)),
  };
}

/** Merged inclusive index ranges of a one-dimensional selector, or null when it has none. */
function selectorIndexRanges(space: PartitionSpace, backfill: BackfillRow): [number, number][] | null {
  const selector = backfill.selector;
  switch (selector.kind) {
    case 'range':
      return merged([[space.indexOf(selector.start), space.indexOf(selector.end)]]);
    case 'ranges':
      return merged(selector.ranges.map((range) => [space.indexOf(range.start), space.indexOf(range.end)]));
    case 'explicit':
      return merged(selector.keys.map((key) => [space.indexOf(key), space.indexOf(key)]));
    case 'all':
      // The partitions that existed at launch: windows that ended later are not part of it.
      return backfill.totalPartitions === 0 || backfill.totalPartitions > space.count()
        ? null
        : [[0, backfill.totalPartitions - 1]];
    case 'filter':
      return null;
  }
}

function merged(ranges: [number, number][]): [number, number][] {
  return new RangeSequence(ranges).ranges();
}

/**
 * The targeted partitions from position `offset` (selection order), at most `limit`, with the run
 * of their chunk when it is planned. Null when the selection no longer resolves past the planned
 * chunks.
 */
export function backfillPartitionRuns(
  tables: ProjectionTables,
  backfill: BackfillRow,
  now: number,
  limit: number,
): { partitionKey: string; run: RunRow | null }[] | null {
  const end = Math.min(backfill.totalPartitions, limit);
  const partitions: { partitionKey: string; run: RunRow | null }[] = [];
  let chunk: BackfillChunkRow | undefined;
  const plannedEnd = Math.min(end, backfill.plannedChunks * backfill.chunkSize);
  for (let position = 0; position < plannedEnd; position++) {
    const chunkIndex = Math.floor(position / backfill.chunkSize);
    if (chunk?.chunkIndex !== chunkIndex)
      chunk = tables.backfillChunks.get(backfillChunkId(backfill.backfillId, chunkIndex));
    const partitionKey = chunk?.partitionKeys[position - chunkIndex * backfill.chunkSize];
    if (chunk === undefined || partitionKey === undefined) continue;
    partitions.push({ partitionKey, run: tables.runs.get(chunk.runId) ?? null });
  }
  if (plannedEnd < end) {
    const selection = backfillSelection(backfill, { tables, now });
    if ('unresolvable' in selection) return null;
    for (const partitionKey of selection.slice(plannedEnd, end - plannedEnd))
      partitions.push({ partitionKey, run: null });
  }
  return partitions;
}

/**
 * Partitions by the status of the run that covers them (Dagster's `PartitionStatusCounts`):
 * partitions of a planned chunk count under its run's status, the rest as NOT_STARTED. Counted by
 * chunk, so it costs the chunks, not the partitions.
 */
export function backfillRunStatusCounts(
  tables: ProjectionTables,
  backfill: BackfillRow,
): { runStatus: string; count: number }[] {
  const counts = new Map<string, number>();
  let planned = 0;
  for (const chunk of chunksOf(tables, backfill)) {
    const status = tables.runs.get(chunk.runId)?.status ?? RunStatus.Queued;
    counts.set(status, (counts.get(status) ?? 0) + chunk.partitionKeys.length);
    planned += chunk.partitionKeys.length;
  }
  const notStarted = backfill.totalPartitions - planned;
  if (notStarted > 0) counts.set('NOT_STARTED', notStarted);
  return [...counts.entries()].map(([runStatus, count]) => ({ runStatus, count }));
}

/**
 * Why a FAILED backfill stopped planning, as it stands now: the selection no longer resolves, it
 * selects fewer partitions than at launch, or its next chunk's keys are too large for a run. When
 * none of these holds any more, says so (resuming it will continue). Null for other states.
 */
export function backfillFailureReason(
  tables: ProjectionTables,
  backfill: BackfillRow,
  now: number,
): string | null {
  if (backfill.state !== 'FAILED') return null;
  const stopped = `planning stopped at chunk ${backfill.plannedChunks} of ${backfill.totalChunks}`;
  const selection = backfillSelection(backfill, { tables, now });
  if ('unresolvable' in selection) return `${stopped}: ${selection.unresolvable}`;
  if (selection.total < backfill.totalPartitions) {
    return `${stopped}: the selector now selects ${selection.total} partitions, fewer than the ${backfill.totalPartitions} it selected at launch (were partitions deleted?)`;
  }
  const offset = backfill.plannedChunks * backfill.chunkSize;
  if (offset < backfill.totalPartitions) {
    const bytes = keyBytes(
      selection.slice(offset, Math.min(backfill.chunkSize, backfill.totalPartitions - offset)),
    );
    if (bytes > MAX_CHUNK_KEY_BYTES) {
      return `${stopped}: its next chunk holds ${bytes} bytes of partition keys; at most ${MAX_CHUNK_KEY_BYTES} fit in one run`;
    }
  }
  return `${stopped}; what stopped it no longer holds: resume the backfill to continue`;
}

export type BackfillLogLevel = 'INFO' | 'WARNING' | 'ERROR';

export interface BackfillLogEvent {
  /** Epoch ms. */
  at: number;
  /** Order among events of the same millisecond: creation, then chunk by chunk, then the end. */
  rank: number;
  level: BackfillLogLevel;
  message: string;
}

/** Where a log page ends: the time and rank of its last event. */
export interface BackfillLogPosition {
  at: number;
  rank: number;
}

/**
 * A log of the backfill derived from what its projections hold: its creation, each chunk planned
 * and ended, and its end. Events after `after` in (time, rank) order, at most `limit`. Operator
 * pauses and resumes are not part of it (the backfill's state shows the latest).
 */
export function backfillLogEvents(
  tables: ProjectionTables,
  backfill: BackfillRow,
  options: { after?: BackfillLogPosition; limit: number; now: number },
): { events: BackfillLogEvent[]; hasMore: boolean } {
  const events: BackfillLogEvent[] = [];
  const assets = backfill.assetSelection.join(', ');
  const retry =
    backfill.parentBackfillId === null
      ? ''
      : ` (retry of the failed partitions of ${backfill.parentBackfillId})`;
  events.push({
    at: backfill.createdAt,
    rank: 0,
    level: 'INFO',
    message:
      `backfill requested by ${backfill.requestedBy}${retry}: ${backfill.totalPartitions} partition${plural(backfill.totalPartitions)} ` +
      `of ${assets} in ${backfill.totalChunks} chunk${plural(backfill.totalChunks)} of up to ${backfill.chunkSize}, ` +
      `at most ${backfill.maxConcurrentRuns} run${plural(backfill.maxConcurrentRuns)} at once`,
  });
  for (const chunk of chunksOf(tables, backfill)) {
    const k = chunk.chunkIndex;
    const keys = chunk.partitionKeys;
    const span = keys.length === 1 ? keys[0] : `${keys[0]} … ${keys.at(-1)}`;
    events.push({
      at: chunk.plannedAt,
      rank: 1 + 2 * k,
      level: 'INFO',
      message: `chunk ${k} planned: ${keys.length} partition${plural(keys.length)} (${span}), run ${chunk.runId}`,
    });
    if (chunk.endedAt === null) continue;
    const failed = chunk.failedPartitions;
    const detail =
      failed.length === 0
        ? ''
        : `; failed partition${plural(failed.length)}: ${failed.slice(0, 10).join(', ')}${failed.length > 10 ? `, and ${failed.length - 10} more` : ''}`;
    events.push({
      at: chunk.endedAt,
      rank: 2 + 2 * k,
      level:
        chunk.state === ChunkState.Failed
          ? 'ERROR'
          : chunk.state === ChunkState.Canceled
            ? 'WARNING'
            : 'INFO',
      message: `chunk ${k} ${chunk.state.toLowerCase()}: run ${chunk.runId}${detail}`,
    });
  }
  if (backfill.endedAt !== null && TERMINAL_BACKFILL_STATES.has(backfill.state)) {
    const reason = backfillFailureReason(tables, backfill, options.now);
    events.push({
      at: backfill.endedAt,
      rank: Number.MAX_SAFE_INTEGER,
      level:
        backfill.state === 'COMPLETED_SUCCESS' ? 'INFO' : backfill.state === 'CANCELED' ? 'WARNING' : 'ERROR',
      message:
        `backfill ${backfill.state}: ${backfill.partitionsSucceeded} materialized, ${backfill.partitionsFailed} failed, ` +
        `${backfill.partitionsCanceled} canceled of ${backfill.totalPartitions}${reason === null ? '' : `; ${reason}`}`,
    });
  }
  const after = options.after;
  const pending = events
    .filter(
      (event) =>
        after === undefined || event.at > after.at || (event.at === after.at && event.rank > after.rank),
    )
    .sort((a, b) => a.at - b.at || a.rank - b.rank);
  return { events: pending.slice(0, options.limit), hasMore: pending.length > options.limit };
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}

function isExpected(error: unknown): boolean {
  return isServoError(error, ErrorCode.InvalidInput) || isServoError(error, ErrorCode.NotFound);
}
