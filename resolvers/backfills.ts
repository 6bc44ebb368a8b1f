import { isServoError } from '../engine/errors.js';
import { TERMINAL_BACKFILL_STATES } from '../engine/fold/backfills.js';
import type { BackfillRow, RunRow } from '../engine/projections/tables/index.js';
import type {
  AssetBackfillCounts,
  BackfillLogPosition,
  TargetedPartitions,
} from '../engine/queries/backfill-details.js';
import { backfillLogEvents } from '../engine/queries/backfill-details.js';
import {
  type BackfillCounts,
  type BackfillPartitionPage,
  backfillPartitionStatuses,
  backfillView,
  type ChunkView,
  listBackfillChunks,
  listBackfills as listBackfillRows,
} from '../engine/queries/backfills.js';
import { backfillRunStatus } from '../engine/queries/runs.js';
import { MAX_LISTED_PARTITIONS, type PartitionRun } from './backfill-loaders.js';
import { type ApiContext, roleAllows } from './context.js';
import { badRequest, type PythonErrorModel, pythonError, type Typed, typed } from './errors.js';
import { assetKeyString } from './models.js';

/**
 * Backfills as Dagster's `PartitionBackfill` shows them. Servo's backfills are asset backfills over
 * one partitions definition: they have no partition set, one chunk run per group of partitions,
 * and their progress is counted per asset and partition from their chunks. Fields that depend on
 * more than the backfill row go through the batched loaders of `backfill-loaders.ts`.
 */

/** Dagster's `BulkActionStatus` values. */
export type BulkActionStatus =
  | 'REQUESTED'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELED'
  | 'CANCELING'
  | 'COMPLETED_SUCCESS'
  | 'COMPLETED_FAILED'
  | 'FAILING';

/** Servo's backfill states: Dagster's, plus PAUSED. */
export type BackfillState =
  | 'REQUESTED'
  | 'PAUSED'
  | 'CANCELING'
  | 'CANCELED'
  | 'COMPLETED_SUCCESS'
  | 'COMPLETED_FAILED'
  | 'FAILED';

export const DEFAULT_BACKFILL_PAGE = 50;
/** Most backfills, runs, chunks or log events one field returns. */
export const MAX_PAGE = 1000;
const DEFAULT_RUNS_LIMIT = 1000;
const LOG_PAGE = 200;

export type BackfillNotFoundModel = Typed<'BackfillNotFoundError', { message: string; backfillId: string }>;
export type PartitionBackfillModel = Typed<'PartitionBackfill', BackfillRow>;

export function backfillNotFound(backfillId: string): BackfillNotFoundModel {
  return typed('BackfillNotFoundError', { message: `backfill ${backfillId} does not exist`, backfillId });
}

/** A page size: `fallback` when absent, a BAD_USER_INPUT error outside 1..max. */
export function pageLimit(limit: number | null | undefined, fallback: number, max = MAX_PAGE): number {
  if (limit === null || limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) {
    throw badRequest(`limit must be from 1 to ${max}; got ${limit}`, 'BAD_USER_INPUT', { limit, max });
  }
  return limit;
}

// ---- PartitionBackfill fields ----

/** Dagster has no PAUSED: a paused backfill is still REQUESTED there (`state` tells them apart). */
export function backfillStatus(backfill: BackfillRow): BulkActionStatus {
  return backfill.state === 'PAUSED' ? 'REQUESTED' : (backfill.state as BulkActionStatus);
}

export function backfillState(backfill: BackfillRow): BackfillState {
  return backfill.state as BackfillState;
}

/** The backfill's state on the run-status scale of the runs feed (see `backfillRunStatus`). */
export function backfillRunStatusOf(
  backfill: BackfillRow,
): 'STARTED' | 'SUCCESS' | 'FAILURE' | 'CANCELING' | 'CANCELED' {
  return backfillRunStatus(backfill.state);
}

/** Seconds since the epoch at which the backfill ended; null while it is not in a terminal state. */
export function backfillEndTimestamp(backfill: BackfillRow): number | null {
  return TERMINAL_BACKFILL_STATES.has(backfill.state) && backfill.endedAt !== null
    ? backfill.endedAt / 1000
    : null;
}

/** Partitions that canceling would keep from running: those not requested yet, while it can be canceled. */
export function numCancelable(backfill: BackfillRow): number {
  const cancelable =
    backfill.state === 'REQUESTED' || backfill.state === 'PAUSED' || backfill.state === 'FAILED';
  return cancelable ? backfillView(backfill).counts.notRequestedPartitions : 0;
}

export function backfillCounts(backfill: BackfillRow): BackfillCounts {
  return backfillView(backfill).counts;
}

/** Whether the caller may cancel, pause, resume, re-execute or launch backfills. */
export function canOperate(context: ApiContext): boolean {
  return roleAllows(context.principal.role, 'operator');
}

export async function backfillRuns(
  context: ApiContext,
  backfill: BackfillRow,
  filter: 'all' | 'unfinished' | 'cancelable',
  limit: number | null | undefined,
): Promise<RunRow[]> {
  const max = pageLimit(limit, DEFAULT_RUNS_LIMIT);
  return context.loaders.backfills.runs.load({ backfillId: backfill.backfillId, filter, limit: max });
}

function partitionRuns(context: ApiContext, backfill: BackfillRow): Promise<PartitionRun[] | null> {
  return context.loaders.backfills.partitionRuns.load({
    backfillId: backfill.backfillId,
    now: context.now().getTime(),
  });
}

/** The targeted partition keys, in selection order; null above `MAX_LISTED_PARTITIONS`. */
export async function partitionNames(context: ApiContext, backfill: BackfillRow): Promise<string[] | null> {
  if (backfill.totalPartitions > MAX_LISTED_PARTITIONS) return null;
  const partitions = await partitionRuns(context, backfill);
  return partitions === null ? null : partitions.map((partition) => partition.partitionKey);
}

/** Dagster's `PartitionStatus`: a partition and the run that covers it. */
export interface PartitionStatusModel {
  id: string;
  partitionName: string;
  runId: string | null;
  runStatus: string | null;
  /** Seconds the run took, once it has ended. */
  runDuration: number | null;
}

export interface PartitionStatusesModel {
  readonly __typename: 'PartitionStatuses';
  results: PartitionStatusModel[];
}

export function partitionStatusOf(
  owner: string,
  partitionKey: string,
  run: RunRow | null,
): PartitionStatusModel {
  return {
    id: `${owner}:${partitionKey}`,
    partitionName: partitionKey,
    runId: run?.runId ?? null,
    runStatus: run?.status ?? null,
    runDuration:
      run === null || run.endedAt === null ? null : (run.endedAt - (run.startedAt ?? run.createdAt)) / 1000,
  };
}

/** Each targeted partition with its chunk's run; null above `MAX_LISTED_PARTITIONS`. */
export async function backfillPartitionStatusList(
  context: ApiContext,
  backfill: BackfillRow,
): Promise<PartitionStatusesModel | null> {
  if (backfill.totalPartitions > MAX_LISTED_PARTITIONS) return null;
  const partitions = await partitionRuns(context, backfill);
  if (partitions === null) return null;
  return {
    __typename: 'PartitionStatuses',
    results: partitions.map(({ partitionKey, run }) =>
      partitionStatusOf(backfill.backfillId, partitionKey, run),
    ),
  };
}

export function partitionStatusCounts(
  context: ApiContext,
  backfill: BackfillRow,
): Promise<{ runStatus: string; count: number }[]> {
  return context.loaders.backfills.runStatusCounts.load(backfill.backfillId);
}

/** What the backfill targets for one of its assets (all its assets share one target); null for others. */
export async function partitionsTargetedForAssetKey(
  context: ApiContext,
  backfill: BackfillRow,
  assetKey: { path: readonly string[] } | null | undefined,
): Promise<TargetedPartitions | null> {
  if (
    assetKey !== null &&
    assetKey !== undefined &&
    !backfill.assetSelection.includes(assetKeyString(assetKey))
  ) {
    return null;
  }
  return context.loaders.backfills.targetedPartitions.load({
    backfillId: backfill.backfillId,
    now: context.now().getTime(),
  });
}

export type AssetPartitionsStatusCountsModel = Typed<'AssetPartitionsStatusCounts', AssetBackfillCounts>;

export async function assetBackfillStatuses(
  context: ApiContext,
  backfill: BackfillRow,
): Promise<AssetPartitionsStatusCountsModel[]> {
  const counts = (await context.loaders.backfills.assetStatuses.load(backfill.backfillId)) ?? [];
  return counts.map((count) => typed('AssetPartitionsStatusCounts', { ...count }));
}

/** A FAILED backfill's reason, as a `PythonError`; null otherwise. */
export async function backfillError(
  context: ApiContext,
  backfill: BackfillRow,
): Promise<PythonErrorModel | null> {
  if (backfill.state !== 'FAILED') return null;
  const reason = await context.loaders.backfills.failureReason.load({
    backfillId: backfill.backfillId,
    now: context.now().getTime(),
  });
  return reason === null ? null : { ...pythonError({ message: reason }), className: 'BackfillFailed' };
}

export interface InstigationEventModel {
  message: string;
  /** Epoch milliseconds, as a string (Dagster's type). */
  timestamp: string;
  level: 'INFO' | 'WARNING' | 'ERROR';
}

export interface InstigationEventConnectionModel {
  events: InstigationEventModel[];
  cursor: string;
  hasMore: boolean;
}

function encodeLogCursor(position: BackfillLogPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.rank])).toString('base64url');
}

function decodeLogCursor(cursor: string): BackfillLogPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((n) => Number.isSafeInteger(n))) {
      return { at: value[0] as number, rank: value[1] as number };
    }
  } catch {
    // Reported below.
  }
  throw badRequest(`cursor ${JSON.stringify(cursor)} is not a backfill log cursor`, 'BAD_USER_INPUT');
}

/**
 * The backfill's log (see `backfillLogEvents`): 200 events a page after `cursor`; the returned
 * cursor continues after the last event (it is the given one when there is nothing new).
 */
export function backfillLog(
  context: ApiContext,
  backfill: BackfillRow,
  cursor: string | null | undefined,
): InstigationEventConnectionModel {
  const after =
    cursor === null || cursor === undefined || cursor === '' ? undefined : decodeLogCursor(cursor);
  const page = context.reads.read((tables) =>
    backfillLogEvents(tables, backfill, {
      ...(after === undefined ? {} : { after }),
      limit: LOG_PAGE,
      now: context.now().getTime(),
    }),
  );
  const last = page.events.at(-1);
  return {
    events: page.events.map((event) => ({
      message: event.message,
      timestamp: String(event.at),
      level: event.level,
    })),
    cursor: last === undefined ? (cursor ?? '') : encodeLogCursor(last),
    hasMore: page.hasMore,
  };
}

/** Servo's paged view of the targeted partitions (any size), per asset or the worst over them. */
export function partitionStatusPage(
  context: ApiContext,
  backfill: BackfillRow,
  args: { offset?: number | null; limit?: number | null; assetKey?: { path: readonly string[] } | null },
): BackfillPartitionPage {
  const limit = pageLimit(args.limit, 100);
  const offset = args.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw badRequest(`offset must be a non-negative integer; got ${offset}`, 'BAD_USER_INPUT');
  }
  const assetKey =
    args.assetKey === null || args.assetKey === undefined ? undefined : assetKeyString(args.assetKey);
  try {
    return context.reads.read((tables) =>
      backfillPartitionStatuses(tables, backfill.backfillId, {
        offset,
        limit,
        now: context.now().getTime(),
        ...(assetKey === undefined ? {} : { assetKey }),
      }),
    );
  } catch (error) {
    if (isServoError(error))
      throw badRequest(error.message, error.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'BAD_USER_INPUT');
    throw error;
  }
}

export function backfillChunks(
  context: ApiContext,
  backfill: BackfillRow,
  args: { offset?: number | null; limit?: number | null },
): ChunkView[] {
  const limit = pageLimit(args.limit, DEFAULT_BACKFILL_PAGE);
  const offset = args.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw badRequest(`offset must be a non-negative integer; got ${offset}`, 'BAD_USER_INPUT');
  }
  return context.reads.read(
    (tables) => listBackfillChunks(tables, backfill.backfillId, { offset, limit }).chunks,
  );
}

// ---- Root fields ----

export async function getBackfill(
  context: ApiContext,
  backfillId: string,
): Promise<PartitionBackfillModel | BackfillNotFoundModel> {
  const row = await context.loaders.backfill.load(backfillId);
  return row === undefined ? backfillNotFound(backfillId) : typed('PartitionBackfill', { ...row });
}

export interface ListBackfillsArgs {
  status?: BulkActionStatus | null;
  cursor?: string | null;
  limit?: number | null;
  filters?: {
    statuses?: readonly BulkActionStatus[] | null;
    createdBefore?: number | null;
    createdAfter?: number | null;
  } | null;
}

/** Servo states a Dagster status filter matches (REQUESTED includes PAUSED; COMPLETED both outcomes). */
function statesOf(status: BulkActionStatus): BackfillState[] {
  switch (status) {
    case 'REQUESTED':
      return ['REQUESTED', 'PAUSED'];
    case 'COMPLETED':
      return ['COMPLETED_SUCCESS', 'COMPLETED_FAILED'];
    case 'FAILING':
      return [];
    default:
      return [status];
  }
}

export function listBackfills(
  context: ApiContext,
  args: ListBackfillsArgs,
): Typed<'PartitionBackfills', { results: BackfillRow[] }> | PythonErrorModel {
  const limit = pageLimit(args.limit, DEFAULT_BACKFILL_PAGE);
  let statuses: Set<string> | undefined;
  const filters = [
    args.status === null || args.status === undefined ? undefined : [args.status],
    args.filters?.statuses,
  ];
  for (const filter of filters) {
    if (filter === undefined || filter === null) continue;
    const allowed = new Set<string>(filter.flatMap(statesOf));
    statuses =
      statuses === undefined ? allowed : new Set([...statuses].filter((state) => allowed.has(state)));
  }
  const before = args.filters?.createdBefore;
  const after = args.filters?.createdAfter;
  try {
    const rows = context.reads.read((tables) => {
      const page = listBackfillRows(tables, {
        limit,
        ...(statuses === undefined ? {} : { statuses: [...statuses] }),
        ...(args.cursor === null || args.cursor === undefined ? {} : { cursor: args.cursor }),
        ...(before === null || before === undefined ? {} : { createdBefore: before * 1000 }),
        ...(after === null || after === undefined ? {} : { createdAfter: after * 1000 }),
      });
      return page.backfills.flatMap((view) => tables.backfills.get(view.backfillId) ?? []);
    });
    return typed('PartitionBackfills', { results: rows });
  } catch (error) {
    if (isServoError(error)) return pythonError(error);
    throw error;
  }
}
