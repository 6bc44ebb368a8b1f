import DataLoader from 'dataloader';
import type { ProjectionTables } from '../engine/fold/state.js';
import type { BackfillRow, RunRow } from '../engine/projections/tables/index.js';
import {
  type AssetBackfillCounts,
  type BackfillRunFilter,
  backfillAssetStatuses,
  backfillFailureReason,
  backfillPartitionRuns,
  backfillRunStatusCounts,
  backfillRuns,
  backfillTargetedPartitions,
  type TargetedPartitions,
} from '../engine/queries/backfill-details.js';
import type { ProjectionReads } from './context.js';

/**
 * The batched lookups behind `PartitionBackfill`'s computed fields. A page of N backfills asks each
 * one of them for the same field; every loader answers the whole batch with one projection read, so
 * the reads of a page do not grow with N. Keys carry the request's time (`now`, epoch ms) because a
 * time-window partition space depends on it.
 */

/**
 * Most partitions `partitionNames` and `partitionStatuses` list: a larger backfill gives null there
 * (its partitions are described by `partitionsTargetedForAssetKey` ranges and paged by
 * `partitionStatusPage`).
 */
export const MAX_LISTED_PARTITIONS = 1000;

/** Most keys `partitionsTargetedForAssetKey` lists where ranges do not apply (static, dynamic, multi). */
export const MAX_TARGETED_KEYS = 10_000;

export interface BackfillKey {
  backfillId: string;
  now: number;
}

export interface BackfillRunsKey {
  backfillId: string;
  filter: BackfillRunFilter;
  limit: number;
}

export interface PartitionRun {
  partitionKey: string;
  run: RunRow | null;
}

export interface BackfillLoaders {
  runs: DataLoader<BackfillRunsKey, RunRow[], string>;
  partitionRuns: DataLoader<BackfillKey, PartitionRun[] | null, string>;
  runStatusCounts: DataLoader<string, { runStatus: string; count: number }[]>;
  assetStatuses: DataLoader<string, AssetBackfillCounts[] | null>;
  targetedPartitions: DataLoader<BackfillKey, TargetedPartitions | null, string>;
  failureReason: DataLoader<BackfillKey, string | null, string>;
}

function perBackfill<K extends { backfillId: string } | string, V>(
  reads: ProjectionReads,
  compute: (tables: ProjectionTables, backfill: BackfillRow, key: K) => V,
  missing: V,
): DataLoader<K, V, string> {
  return new DataLoader<K, V, string>(
    async (keys) =>
      reads.read((tables) =>
        keys.map((key) => {
          const backfill = tables.backfills.get(typeof key === 'string' ? key : key.backfillId);
          return backfill === undefined ? missing : compute(tables, backfill, key);
        }),
      ),
    { maxBatchSize: 10_000, cacheKeyFn: (key) => (typeof key === 'string' ? key : JSON.stringify(key)) },
  );
}

export function createBackfillLoaders(reads: ProjectionReads): BackfillLoaders {
  return {
    runs: perBackfill(
      reads,
      (tables, backfill, key: BackfillRunsKey) => backfillRuns(tables, backfill, key.filter, key.limit),
      [] as RunRow[],
    ),
    partitionRuns: perBackfill(
      reads,
      (tables, backfill, key: BackfillKey) =>
        backfill.totalPartitions > MAX_LISTED_PARTITIONS
          ? null
          : backfillPartitionRuns(tables, backfill, key.now, MAX_LISTED_PARTITIONS),
      null,
    ),
    runStatusCounts: perBackfill(reads, (tables, backfill) => backfillRunStatusCounts(tables, backfill), []),
    assetStatuses: perBackfill(reads, (tables, backfill) => backfillAssetStatuses(tables, backfill), null),
    targetedPartitions: perBackfill(
      reads,
      (tables, backfill, key: BackfillKey) =>
        backfillTargetedPartitions(tables, backfill, key.now, MAX_TARGETED_KEYS),
      null,
    ),
    failureReason: perBackfill(
      reads,
      (tables, backfill, key: BackfillKey) => backfillFailureReason(tables, backfill, key.now),
      null,
    ),
  };
}
