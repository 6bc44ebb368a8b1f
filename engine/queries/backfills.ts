import { backfillSelection } from '../controllers/backfills.js';
import { invalidInput, notFound } from '../errors.js';
import { activeChunks, TERMINAL_BACKFILL_STATES } from '../fold/backfills.js';
import type { ProjectionTables } from '../fold/state.js';
import type { PartitionSelector } from '../model/common.js';
import type { BackfillState } from '../model/events/backfills.js';
import { backfillChunkId } from '../model/ids.js';
import { compositeKey } from '../projections/table-def.js';
import { type BackfillChunkRow, type BackfillRow, ChunkState } from '../projections/tables/index.js';

/**
 * Read models of backfills for the API: the backfill with its counts (Dagster's `PartitionBackfill`,
 * `BulkActionStatus`), its chunks, and the status of each targeted partition, paged lazily so a
 * million-partition backfill costs one page per request (`partitionStatuses`,
 * `partitionsTargetedForAssetKey`, `assetBackfillStatuses`).
 */

export const DEFAULT_BACKFILL_PAGE = 50;
export const MAX_BACKFILL_PAGE = 1000;
export const DEFAULT_PARTITION_PAGE = 100;
export const MAX_PARTITION_PAGE = 5000;

export interface BackfillCounts {
  totalPartitions: number;
  /** Partitions in planned chunks (their runs were requested). */
  requestedPartitions: number;
  /** Partitions not planned yet. */
  notRequestedPartitions: number;
  /** Requested partitions whose chunk run has not ended. */
  inProgressPartitions: number;
  materializedPartitions: number;
  failedPartitions: number;
  canceledPartitions: number;
  totalChunks: number;
  plannedChunks: number;
  /** Planned chunks whose run has not been admitted yet. */
  queuedChunks: number;
  runningChunks: number;
  succeededChunks: number;
  failedChunks: number;
  canceledChunks: number;
}

export interface BackfillView {
  backfillId: string;
  /** Dagster's `BulkActionStatus`, plus PAUSED. */
  status: BackfillState;
  isTerminal: boolean;
  stateVersion: number;
  assetSelection: string[];
  selector: PartitionSelector;
  chunkSize: number;
  maxConcurrentRuns: number;
  singleRun: boolean;
  terminateRuns: boolean;
  parentBackfillId: string | null;
  title: string | null;
  description: string | null;
  tags: Record<string, string>;
  requestedBy: string;
  createdAt: number;
  endedAt: number | null;
  counts: BackfillCounts;
}

export function backfillView(row: BackfillRow): BackfillView {
  const requested = Math.min(row.plannedChunks * row.chunkSize, row.totalPartitions);
  const ended = row.partitionsSucceeded + row.partitionsFailed + row.partitionsCanceled;
  const active = activeChunks(row);
  return {
    backfillId: row.backfillId,
    status: row.state as BackfillState,
    isTerminal: TERMINAL_BACKFILL_STATES.has(row.state),
    stateVersion: row.stateVersion,
    assetSelection: row.assetSelection,
    selector: row.selector,
    chunkSize: row.chunkSize,
    maxConcurrentRuns: row.maxConcurrentRuns,
    singleRun: row.singleRun,
    terminateRuns: row.terminateRuns,
    parentBackfillId: row.parentBackfillId,
    title: row.title,
    description: row.description,
    tags: row.tags,
    requestedBy: row.requestedBy,
    createdAt: row.createdAt,
    endedAt: row.endedAt,
    counts: {
      totalPartitions: row.totalPartitions,
      requestedPartitions: requested,
      notRequestedPartitions: row.totalPartitions - requested,
      inProgressPartitions: Math.max(0, requested - ended),
      materializedPartitions: row.partitionsSucceeded,
      failedPartitions: row.partitionsFailed,
      canceledPartitions: row.partitionsCanceled,
      totalChunks: row.totalChunks,
      plannedChunks: row.plannedChunks,
      queuedChunks: Math.max(0, active - row.chunksRunning),
      runningChunks: row.chunksRunning,
      succeededChunks: row.chunksSucceeded,
      failedChunks: row.chunksFailed,
      canceledChunks: row.chunksCanceled,
    },
  };
}

/** One backfill, or undefined when there is none with that id. */
export function getBackfill(tables: ProjectionTables, backfillId: string): BackfillView | undefined {
  const row = tables.backfills.get(backfillId);
  return row === undefined ? undefined : backfillView(row);
}

export interface ListBackfillsOptions {
  /** Only backfills in these states. */
  statuses?: readonly string[];
  /** Only retries of this backfill. */
  parentBackfillId?: string;
  /** Only backfills created before / after these instants (epoch ms, exclusive). */
  createdBefore?: number;
  createdAfter?: number;
  /** The last backfill id of the previous page (Dagster's cursor). */
  cursor?: string;
  limit?: number;
}

/** Backfills, newest first, paged by cursor; `cursor` is null on the last page. */
export function listBackfills(
  tables: ProjectionTables,
  options: ListBackfillsOptions = {},
): { backfills: BackfillView[]; cursor: string | null } {
  const limit = pageSize(options.limit, DEFAULT_BACKFILL_PAGE, MAX_BACKFILL_PAGE);
  const statuses = options.statuses === undefined ? undefined : new Set(options.statuses);
  const rows = [...tables.backfills.values()]
    .filter(
      (row) =>
        (statuses === undefined || statuses.has(row.state)) &&
        (options.parentBackfillId === undefined || row.parentBackfillId === options.parentBackfillId) &&
        (options.createdBefore === undefined || row.createdAt < options.createdBefore) &&
        (options.createdAfter === undefined || row.createdAt > options.createdAfter),
    )
    .sort(newerFirst);
  let start = 0;
  if (options.cursor !== undefined) {
    const at = rows.findIndex((row) => row.backfillId === options.cursor);
    if (at < 0 && !tables.backfills.has(options.cursor)) {
      throw invalidInput(`cursor ${options.cursor} is not a backfill id`, { cursor: options.cursor });
    }
    // A cursor backfill the filters exclude: continue after where it would sort.
    start =
      at >= 0
        ? at + 1
        : rows.filter((row) => newerFirst(row, tables.backfills.get(options.cursor!)!) < 0).length;
  }
  const page = rows.slice(start, start + limit);
  const last = page.at(-1);
  return {
    backfills: page.map(backfillView),
    cursor: last !== undefined && start + limit < rows.length ? last.backfillId : null,
  };
}

function newerFirst(a: BackfillRow, b: BackfillRow): number {
  return (
    b.createdAt - a.createdAt || (a.backfillId < b.backfillId ? 1 : a.backfillId > b.backfillId ? -1 : 0)
  );
}

export interface ChunkView {
  chunkId: string;
  chunkIndex: number;
  state: string;
  runId: string;
  runKey: string;
  partitionCount: number;
  firstPartition: string | null;
  lastPartition: string | null;
  failedPartitions: string[];
  plannedAt: number;
  endedAt: number | null;
}

/** The planned chunks of a backfill, by index from `offset`. Throws `NOT_FOUND` for an unknown backfill. */
export function listBackfillChunks(
  tables: ProjectionTables,
  backfillId: string,
  options: { offset?: number; limit?: number } = {},
): { total: number; chunks: ChunkView[] } {
  const row = backfillOrThrow(tables, backfillId);
  const offset = pageOffset(options.offset);
  const limit = pageSize(options.limit, DEFAULT_BACKFILL_PAGE, MAX_BACKFILL_PAGE);
  const chunks: ChunkView[] = [];
  for (let index = offset; index < Math.min(row.plannedChunks, offset + limit); index++) {
    const chunk = tables.backfillChunks.get(backfillChunkId(backfillId, index));
    if (chunk === undefined) continue;
    chunks.push({
      chunkId: chunk.chunkId,
      chunkIndex: chunk.chunkIndex,
      state: chunk.state,
      runId: chunk.runId,
      runKey: chunk.runKey,
      partitionCount: chunk.partitionKeys.length,
      firstPartition: chunk.partitionKeys[0] ?? null,
      lastPartition: chunk.partitionKeys.at(-1) ?? null,
      failedPartitions: chunk.failedPartitions,
      plannedAt: chunk.plannedAt,
      endedAt: chunk.endedAt,
    });
  }
  return { total: row.plannedChunks, chunks };
}

/**
 * Where one targeted partition stands: not planned yet, in a chunk whose run is requested or in
 * progress, or ended (materialized, failed, canceled).
 */
export type BackfillPartitionState =
  | 'NOT_REQUESTED'
  | 'REQUESTED'
  | 'IN_PROGRESS'
  | 'MATERIALIZED'
  | 'FAILED'
  | 'CANCELED';

export interface BackfillPartitionStatus {
  partitionKey: string;
  status: BackfillPartitionState;
  /** The chunk the partition belongs to (planned or not). */
  chunkIndex: number;
  /** The chunk's run, once the chunk is planned. */
  runId: string | null;
}

export interface BackfillPartitionPage {
  total: number;
  offset: number;
  partitions: BackfillPartitionStatus[];
  /** Set when partitions not yet planned can no longer be listed; the page then ends at the planned ones. */
  unresolvable?: string;
}

/** Worst first: the status of a partition over several assets is the first any asset has. */
const PRECEDENCE: readonly BackfillPartitionState[] = [
  'FAILED',
  'CANCELED',
  'IN_PROGRESS',
  'REQUESTED',
  'NOT_REQUESTED',
  'MATERIALIZED',
];

/**
 * The status of the backfill's partitions from position `offset` (partition-space order for range,
 * filter and all selectors, the given order for explicit ones), from each partition's chunk and its
 * `partition_status` row: per asset when `assetKey` is given, else the worst over the backfill's
 * assets. Planned chunks give their own keys; the rest are sliced from the lazily resolved selector.
 */
export function backfillPartitionStatuses(
  tables: ProjectionTables,
  backfillId: string,
  options: { offset?: number; limit?: number; assetKey?: string; now: number },
): BackfillPartitionPage {
  const row = backfillOrThrow(tables, backfillId);
  const offset = pageOffset(options.offset);
  const limit = pageSize(options.limit, DEFAULT_PARTITION_PAGE, MAX_PARTITION_PAGE);
  if (options.assetKey !== undefined && !row.assetSelection.includes(options.assetKey)) {
    throw notFound(`backfill ${backfillId} does not target asset ${options.assetKey}`, {
      backfillId,
      assetKey: options.assetKey,
    });
  }
  const assets = options.assetKey === undefined ? row.assetSelection : [options.assetKey];
  const end = Math.min(row.totalPartitions, offset + limit);
  const page: BackfillPartitionPage = { total: row.totalPartitions, offset, partitions: [] };
  const plannedEnd = Math.min(end, row.plannedChunks * row.chunkSize);
  let chunk: BackfillChunkRow | undefined;
  let failed: ReadonlySet<string> = new Set();
  for (let position = offset; position < plannedEnd; position++) {
    const chunkIndex = Math.floor(position / row.chunkSize);
    if (chunk?.chunkIndex !== chunkIndex) {
      chunk = tables.backfillChunks.get(backfillChunkId(backfillId, chunkIndex));
      failed = new Set(chunk?.failedPartitions ?? []);
    }
    const partitionKey = chunk?.partitionKeys[position - chunkIndex * row.chunkSize];
    if (chunk === undefined || partitionKey === undefined) continue;
    const statuses = assets.map((assetKey) => partitionState(tables, chunk!, failed, assetKey, partitionKey));
    const status = PRECEDENCE.find((state) => statuses.includes(state)) ?? 'MATERIALIZED';
    page.partitions.push({ partitionKey, status, chunkIndex, runId: chunk.runId });
  }
  const from = Math.max(offset, plannedEnd);
  if (from < end) {
    const selection = backfillSelection(row, { tables, now: options.now });
    if ('unresolvable' in selection) return { ...page, unresolvable: selection.unresolvable };
    selection.slice(from, end - from).forEach((partitionKey, n) => {
      page.partitions.push({
        partitionKey,
        status: 'NOT_REQUESTED',
        chunkIndex: Math.floor((from + n) / row.chunkSize),
        runId: null,
      });
    });
  }
  return page;
}

/** Where one partition of a planned chunk stands for one asset. */
export function partitionState(
  tables: ProjectionTables,
  chunk: BackfillChunkRow,
  failed: ReadonlySet<string>,
  assetKey: string,
  partitionKey: string,
): BackfillPartitionState {
  if (chunk.state === ChunkState.Planned) return 'REQUESTED';
  const status = tables.partitionStatus.get(compositeKey(assetKey, partitionKey));
  const attempted = status !== undefined && status.lastAttemptRunId === chunk.runId;
  // Still in flight for this run (a retry waits, or the task has not finished yet).
  if (chunk.state === ChunkState.Running && (!attempted || status.inFlightRunId === chunk.runId)) {
    return 'IN_PROGRESS';
  }
  if (attempted) {
    if (status.lastAttemptOutcome === 'SUCCEEDED') return 'MATERIALIZED';
    if (status.lastAttemptOutcome === 'CANCELED') return 'CANCELED';
    return 'FAILED';
  }
  // Not attempted by the chunk's run (skipped, canceled before it started, or a later run attempted it).
  if (chunk.state === ChunkState.Canceled) return 'CANCELED';
  if (chunk.state === ChunkState.Failed && failed.has(partitionKey)) return 'FAILED';
  return 'MATERIALIZED';
}

function backfillOrThrow(tables: ProjectionTables, backfillId: string): BackfillRow {
  const row = tables.backfills.get(backfillId);
  if (row === undefined) throw notFound(`backfill ${backfillId} does not exist`, { backfillId });
  return row;
}

function pageSize(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) {
    throw invalidInput(`limit ${limit} must be an integer from 1 to ${max}`, { limit, max });
  }
  return limit;
}

function pageOffset(offset: number | undefined): number {
  if (offset === undefined) return 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw invalidInput(`offset ${offset} must be a non-negative integer`, { offset });
  }
  return offset;
}
