import type { ProjectionTables } from '../engine/fold/state.js';
import type {
  MultiPartitionSpace,
  PartitionSpace,
  TimePartitionSpace,
} from '../engine/model/partitions/index.js';
import { compositeKey, KEY_SEPARATOR } from '../engine/projections/table-def.js';
import type { AssetDefinitionRow } from '../engine/projections/tables/index.js';
import {
  displayStatus,
  assetPartitionStatuses as engineStatuses,
  type PartitionDisplayStatus,
  PartitionStatusIndex,
  partitionSpaceOf,
} from '../engine/queries/partitions.js';
import type { ApiContext, ApiWorkspace } from './context.js';
import { badRequest } from './errors.js';
import { perAsset, primaryIndex, usesDynamicPartitions } from './partitions.js';
import { changedKeys } from './subscriptions.js';

/**
 * The status of every partition of an asset as Dagster shows it (`assetPartitionStatuses`,
 * `partitionStats`), and the `assetPartitionStatus` subscription. Statuses are computed from the
 * partition-status rows of the asset only, found through the workspace's partition-status index.
 */

export type RangeStatus = Exclude<PartitionDisplayStatus, 'MISSING'>;

export interface TimeRangeModel {
  /** Epoch seconds. */
  startTime: number;
  endTime: number;
  startKey: string;
  endKey: string;
  status: RangeStatus;
}

export interface TimePartitionStatusesModel {
  readonly __typename: 'TimePartitionStatuses';
  ranges: TimeRangeModel[];
}

export interface DefaultPartitionStatusesModel {
  readonly __typename: 'DefaultPartitionStatuses';
  materializedPartitions: string[];
  failedPartitions: string[];
  unmaterializedPartitions: string[];
  materializingPartitions: string[];
}

export interface Range2DModel {
  primaryDimStartKey: string;
  primaryDimEndKey: string;
  primaryDimStartTime: number | null;
  primaryDimEndTime: number | null;
  secondaryDim: TimePartitionStatusesModel | DefaultPartitionStatusesModel;
}

export interface MultiPartitionStatusesModel {
  readonly __typename: 'MultiPartitionStatuses';
  ranges: Range2DModel[];
  primaryDimensionName: string;
}

export type AssetPartitionStatusesModel =
  | TimePartitionStatusesModel
  | DefaultPartitionStatusesModel
  | MultiPartitionStatusesModel;

export interface PartitionStatsModel {
  numMaterialized: number;
  numPartitions: number;
  numFailed: number;
  numMaterializing: number;
}

/** Everything one status read yields for an asset. */
export interface AssetStatusSnapshot {
  statuses: AssetPartitionStatusesModel;
  /** Null for an unpartitioned asset (as Dagster's `partitionStats`). */
  stats: PartitionStatsModel | null;
  /** An unpartitioned asset's own status; null when partitioned. */
  unpartitioned: PartitionDisplayStatus | null;
}

const indexes = new WeakMap<object, PartitionStatusIndex>();

/** The workspace's partition-status index (built on first use, then kept current by the change feed). */
export function statusIndexOf(workspace: ApiWorkspace): PartitionStatusIndex {
  const projections = workspace.automation.workspace.projections;
  let index = indexes.get(projections);
  if (index === undefined) {
    index = new PartitionStatusIndex(projections);
    indexes.set(projections, index);
  }
  return index;
}

function timeRangesOf(
  space: TimePartitionSpace,
  entries: readonly { index: number; key: string; status: RangeStatus }[],
): TimeRangeModel[] {
  const ranges: (TimeRangeModel & { startIndex: number; endIndex: number })[] = [];
  for (const entry of entries) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.status === entry.status && last.endIndex === entry.index - 1) {
      last.endIndex = entry.index;
      last.endKey = entry.key;
      last.endTime = space.windowAt(entry.index).end / 1000;
    } else {
      const window = space.windowAt(entry.index);
      ranges.push({
        startIndex: entry.index,
        endIndex: entry.index,
        startKey: entry.key,
        endKey: entry.key,
        startTime: window.start / 1000,
        endTime: window.end / 1000,
        status: entry.status,
      });
    }
  }
  return ranges.map(({ startTime, endTime, startKey, endKey, status }) => ({
    startTime,
    endTime,
    startKey,
    endKey,
    status,
  }));
}

function emptyDefault(): DefaultPartitionStatusesModel {
  return {
    __typename: 'DefaultPartitionStatuses',
    materializedPartitions: [],
    failedPartitions: [],
    unmaterializedPartitions: [],
    materializingPartitions: [],
  };
}

function countsOf(statuses: Iterable<RangeStatus>, total: number): PartitionStatsModel {
  const stats = { numMaterialized: 0, numPartitions: total, numFailed: 0, numMaterializing: 0 };
  for (const status of statuses) {
    if (status === 'MATERIALIZED') stats.numMaterialized += 1;
    else if (status === 'FAILED') stats.numFailed += 1;
    else stats.numMaterializing += 1;
  }
  return stats;
}

/** The known (not missing) partitions of an asset with their status, in space order. */
function knownPartitions(
  tables: ProjectionTables,
  index: PartitionStatusIndex,
  asset: AssetDefinitionRow,
  space: PartitionSpace,
): { index: number; key: string; status: RangeStatus }[] {
  const known: { index: number; key: string; status: RangeStatus }[] = [];
  for (const key of index.partitionsOf(asset.assetKey)) {
    if (!space.has(key)) continue;
    const status = displayStatus(tables.partitionStatus.get(compositeKey(asset.assetKey, key)), tables);
    if (status !== 'MISSING') known.push({ index: space.indexOf(key), key, status });
  }
  return known.sort((a, b) => a.index - b.index);
}

/**
 * Dagster's `MultiPartitionStatuses`: ranges of the primary dimension's keys over which the
 * secondary dimension's statuses are the same. Primary keys with nothing materialized, failed or
 * materializing are left out.
 */
function multiStatuses(
  tables: ProjectionTables,
  index: PartitionStatusIndex,
  asset: AssetDefinitionRow,
  space: MultiPartitionSpace,
): { statuses: MultiPartitionStatusesModel; stats: PartitionStatsModel } {
  const primaryAt = primaryIndex(space.dimensions.map((d) => ({ partitions: { kind: d.space.kind } })));
  const primary = space.dimensions[primaryAt]!;
  const secondary = space.dimensions[1 - primaryAt]!;
  const known = knownPartitions(tables, index, asset, space);
  const byPrimary = new Map<
    number,
    { key: string; entries: { index: number; key: string; status: RangeStatus }[] }
  >();
  for (const entry of known) {
    const dimensions = space.dimensionsOf(entry.key);
    const primaryKey = dimensions[primary.name]!;
    const secondaryKey = dimensions[secondary.name]!;
    const at = primary.space.indexOf(primaryKey);
    let slot = byPrimary.get(at);
    if (slot === undefined) {
      slot = { key: primaryKey, entries: [] };
      byPrimary.set(at, slot);
    }
    slot.entries.push({
      index: secondary.space.indexOf(secondaryKey),
      key: secondaryKey,
      status: entry.status,
    });
  }
  const ranges: (Range2DModel & { endIndex: number; signature: string })[] = [];
  for (const at of [...byPrimary.keys()].sort((a, b) => a - b)) {
    const slot = byPrimary.get(at)!;
    slot.entries.sort((a, b) => a.index - b.index);
    const signature = slot.entries.map((entry) => `${entry.index}:${entry.status}`).join(',');
    const window = primary.space.kind === 'time' ? primary.space.windowAt(at) : undefined;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.signature === signature && last.endIndex === at - 1) {
      last.endIndex = at;
      last.primaryDimEndKey = slot.key;
      last.primaryDimEndTime = window === undefined ? null : window.end / 1000;
      continue;
    }
    ranges.push({
      endIndex: at,
      signature,
      primaryDimStartKey: slot.key,
      primaryDimEndKey: slot.key,
      primaryDimStartTime: window === undefined ? null : window.start / 1000,
      primaryDimEndTime: window === undefined ? null : window.end / 1000,
      secondaryDim: secondaryStatuses(secondary.space, slot.entries),
    });
  }
  return {
    statuses: {
      __typename: 'MultiPartitionStatuses',
      primaryDimensionName: primary.name,
      ranges: ranges.map(({ endIndex: _endIndex, signature: _signature, ...range }) => range),
    },
    stats: countsOf(
      known.map((entry) => entry.status),
      space.count(),
    ),
  };
}

function secondaryStatuses(
  space: PartitionSpace,
  entries: readonly { index: number; key: string; status: RangeStatus }[],
): TimePartitionStatusesModel | DefaultPartitionStatusesModel {
  if (space.kind === 'time')
    return { __typename: 'TimePartitionStatuses', ranges: timeRangesOf(space, entries) };
  const model = emptyDefault();
  const seen = new Set(entries.map((entry) => entry.key));
  for (const entry of entries) listOf(model, entry.status).push(entry.key);
  for (const key of space.keys()) if (!seen.has(key)) model.unmaterializedPartitions.push(key);
  return model;
}

function listOf(model: DefaultPartitionStatusesModel, status: RangeStatus): string[] {
  return status === 'MATERIALIZED'
    ? model.materializedPartitions
    : status === 'FAILED'
      ? model.failedPartitions
      : model.materializingPartitions;
}

/** The partition statuses of one asset, read from the projections at `now`. */
export function statusSnapshot(
  tables: ProjectionTables,
  index: PartitionStatusIndex,
  asset: AssetDefinitionRow,
  now: number,
): AssetStatusSnapshot {
  if (asset.partitions === null) {
    const status = displayStatus(tables.partitionStatus.get(compositeKey(asset.assetKey, '')), tables);
    return { statuses: emptyDefault(), stats: null, unpartitioned: status };
  }
  if (asset.partitions.kind === 'multi') {
    const space = partitionSpaceOf(tables, asset.partitions, now, asset.assetKey) as MultiPartitionSpace;
    return { ...multiStatuses(tables, index, asset, space), unpartitioned: null };
  }
  const result = engineStatuses(tables, index, asset, now);
  if (result.kind === 'timeWindow') {
    const definition = asset.partitions;
    // The engine gives each range its window bounds; the space is built only if one lacks them.
    let space: TimePartitionSpace | undefined;
    const windowAt = (index: number) => {
      space ??= partitionSpaceOf(tables, definition, now, asset.assetKey) as TimePartitionSpace;
      return space.windowAt(index);
    };
    const stats = { numMaterialized: 0, numPartitions: result.total, numFailed: 0, numMaterializing: 0 };
    const ranges = result.ranges.map((range) => {
      const size = range.endIndex - range.startIndex + 1;
      if (range.status === 'MATERIALIZED') stats.numMaterialized += size;
      else if (range.status === 'FAILED') stats.numFailed += size;
      else stats.numMaterializing += size;
      return {
        startKey: range.startKey,
        endKey: range.endKey,
        startTime: (range.startTime ?? windowAt(range.startIndex).start) / 1000,
        endTime: (range.endTime ?? windowAt(range.endIndex).end) / 1000,
        status: range.status,
      };
    });
    return { statuses: { __typename: 'TimePartitionStatuses', ranges }, stats, unpartitioned: null };
  }
  if (result.kind === 'keys') {
    return {
      statuses: {
        __typename: 'DefaultPartitionStatuses',
        materializedPartitions: result.materialized,
        failedPartitions: result.failed,
        unmaterializedPartitions: result.unmaterialized,
        materializingPartitions: result.materializing,
      },
      stats: {
        numMaterialized: result.materialized.length,
        numPartitions: result.total,
        numFailed: result.failed.length,
        numMaterializing: result.materializing.length,
      },
      unpartitioned: null,
    };
  }
  return { statuses: emptyDefault(), stats: null, unpartitioned: result.status };
}

/** One projection read per batch of assets a request asks statuses of. */
function statusLoader(context: ApiContext) {
  const now = context.now().getTime();
  return perAsset(context, 'partitionStatuses', (tables, asset) =>
    statusSnapshot(tables, statusIndexOf(context.workspace), asset, now),
  );
}

/** The asset's statuses as of this request (an unknown asset has none). */
export async function assetStatusSnapshot(
  context: ApiContext,
  assetKey: string,
): Promise<AssetStatusSnapshot> {
  return (
    (await statusLoader(context).load(assetKey)) ?? {
      statuses: emptyDefault(),
      stats: null,
      unpartitioned: 'MISSING',
    }
  );
}

/** One update of the `assetPartitionStatus` subscription. */
export interface AssetPartitionStatusUpdateModel {
  assetKey: string;
  /** Partitions whose status row changed, or that were added to or deleted from the asset. */
  partitionKeys: string[];
  snapshot: AssetStatusSnapshot;
  /** When the change was delivered, epoch ms. */
  at: number;
}

/**
 * Yields the asset's partition statuses at once (with no changed partitions), then each time a
 * partition of it changes status or is added to or deleted from its dynamic partitions, whichever
 * process made the change. The feed is followed before the first statuses are read, so no change
 * falls between them. Statuses are computed when the change is delivered, with the clock's time
 * then, and never cached.
 */
export async function* assetPartitionStatusUpdates(
  context: ApiContext,
  assetKey: string,
): AsyncGenerator<AssetPartitionStatusUpdateModel> {
  const known = context.reads.read(
    (tables) =>
      tables.assetDefinitions.has(assetKey) ||
      statusIndexOf(context.workspace).partitionsOf(assetKey).size > 0,
  );
  if (!known) throw badRequest(`no asset ${assetKey} is defined or recorded`, 'NOT_FOUND', { assetKey });
  const prefix = compositeKey(assetKey, '');
  const batches = changedKeys(
    context.workspace,
    ['partitionStatus', 'dynamicPartitions', 'assetDefinitions'],
    (table, key) =>
      table === 'partitionStatus'
        ? key.startsWith(prefix)
        : table === 'dynamicPartitions' || key === assetKey,
  );
  const updateOf = (tables: ProjectionTables, asset: AssetDefinitionRow, partitionKeys: string[]) => {
    const now = context.workspace.automation.clock.now().getTime();
    const snapshot = statusSnapshot(tables, statusIndexOf(context.workspace), asset, now);
    return { assetKey, partitionKeys, snapshot, at: now };
  };
  try {
    const first = context.reads.read((tables) => {
      const asset = tables.assetDefinitions.get(assetKey);
      return asset === undefined ? undefined : updateOf(tables, asset, []);
    });
    if (first !== undefined) yield first;
    for await (const batch of batches) {
      const update = context.reads.read((tables): AssetPartitionStatusUpdateModel | undefined => {
        const asset = tables.assetDefinitions.get(assetKey);
        if (asset === undefined) return undefined;
        const changed = new Set<string>();
        for (const key of batch.get('partitionStatus') ?? []) {
          if (asset.partitions !== null) changed.add(key.slice(prefix.length));
        }
        for (const key of batch.get('dynamicPartitions') ?? []) {
          const [name, partitionKey] = key.split(KEY_SEPARATOR) as [string, string];
          if (usesDynamicPartitions(asset, name)) changed.add(partitionKey);
        }
        if (changed.size === 0 && !batch.has('assetDefinitions') && !batch.has('partitionStatus'))
          return undefined;
        return updateOf(tables, asset, [...changed].sort());
      });
      if (update !== undefined) yield update;
    }
  } finally {
    await batches.return?.();
  }
}
