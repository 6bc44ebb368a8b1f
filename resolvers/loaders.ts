import DataLoader from 'dataloader';
import type { ProjectionTables } from '../engine/fold/state.js';
import type { RowOf, TableName } from '../engine/projections/tables/index.js';
import { type BackfillLoaders, createBackfillLoaders } from './backfill-loaders.js';
import type { ProjectionReads } from './context.js';

/** Looks up rows of one table by key; a batch of keys is one projection read. */
function rowLoader<T extends TableName>(
  reads: ProjectionReads,
  table: T,
): DataLoader<string, RowOf<T> | undefined> {
  return new DataLoader<string, RowOf<T> | undefined>(
    async (keys) =>
      reads.read((tables: ProjectionTables) =>
        keys.map((key) => tables[table].get(key) as RowOf<T> | undefined),
      ),
    { maxBatchSize: 10_000 },
  );
}

/**
 * A batched lookup by key over any read of the projections: `load(keys)` receives every key a
 * request asked for in one tick and reads the projections once.
 */
export function batchLoader<K, V>(
  reads: ProjectionReads,
  load: (tables: ProjectionTables, keys: readonly K[]) => V[],
  cacheKeyFn?: (key: K) => string,
): DataLoader<K, V, string> {
  return new DataLoader<K, V, string>(async (keys) => reads.read((tables) => load(tables, keys)), {
    maxBatchSize: 10_000,
    cacheKeyFn: cacheKeyFn ?? ((key) => (typeof key === 'string' ? key : JSON.stringify(key))),
  });
}

/** The DataLoaders of one request. Add loaders here; resolvers never read tables in a loop. */
export interface Loaders {
  scheduleDefinition: DataLoader<string, RowOf<'scheduleDefinitions'> | undefined>;
  scheduleState: DataLoader<string, RowOf<'scheduleState'> | undefined>;
  scheduleTick: DataLoader<string, RowOf<'scheduleTicks'> | undefined>;
  sensorDefinition: DataLoader<string, RowOf<'sensorDefinitions'> | undefined>;
  sensorState: DataLoader<string, RowOf<'sensorState'> | undefined>;
  sensorEval: DataLoader<string, RowOf<'sensorEvals'> | undefined>;
  run: DataLoader<string, RowOf<'runs'> | undefined>;
  backfill: DataLoader<string, RowOf<'backfills'> | undefined>;
  /** A backfill's runs, partitions and per-asset progress (resolvers/backfill-loaders.ts). */
  backfills: BackfillLoaders;
  assetDefinition: DataLoader<string, RowOf<'assetDefinitions'> | undefined>;
  codeLocation: DataLoader<string, RowOf<'codeLocations'> | undefined>;
  /** By `compositeKey(assetKey, partitionKey)` (`''` for an unpartitioned asset). */
  partitionStatus: DataLoader<string, RowOf<'partitionStatus'> | undefined>;
}

export function createLoaders(reads: ProjectionReads): Loaders {
  return {
    scheduleDefinition: rowLoader(reads, 'scheduleDefinitions'),
    scheduleState: rowLoader(reads, 'scheduleState'),
    scheduleTick: rowLoader(reads, 'scheduleTicks'),
    sensorDefinition: rowLoader(reads, 'sensorDefinitions'),
    sensorState: rowLoader(reads, 'sensorState'),
    sensorEval: rowLoader(reads, 'sensorEvals'),
    run: rowLoader(reads, 'runs'),
    backfill: rowLoader(reads, 'backfills'),
    backfills: createBackfillLoaders(reads),
    assetDefinition: rowLoader(reads, 'assetDefinitions'),
    codeLocation: rowLoader(reads, 'codeLocations'),
    partitionStatus: rowLoader(reads, 'partitionStatus'),
  };
}
