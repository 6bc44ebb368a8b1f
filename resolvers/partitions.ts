import type { ProjectionTables } from '../engine/fold/state.js';
import type { PartitionsDefinition } from '../engine/model/common.js';
import { DEFAULT_KEY_FORMATS, type PartitionSpace } from '../engine/model/partitions/index.js';
import type { AssetDefinitionRow } from '../engine/projections/tables/index.js';
import { partitionSpaceOf } from '../engine/queries/partitions.js';
import type { ApiContext } from './context.js';
import { badRequest } from './errors.js';
import { requestLoader } from './request-loaders.js';

/**
 * Partitions of assets as Dagster shows them: the definition (`PartitionDefinition`) and its keys
 * (all, paged, or by dimension). Statuses are in `partition-statuses.ts`.
 */

export type PartitionDefinitionType = 'TIME_WINDOW' | 'STATIC' | 'DYNAMIC' | 'MULTIPARTITIONED';

export interface DimensionDefinitionModel {
  name: string;
  description: string;
  type: PartitionDefinitionType;
  isPrimaryDimension: boolean;
  dynamicPartitionsDefinitionName: string | null;
}

export interface PartitionDefinitionModel {
  description: string;
  type: PartitionDefinitionType;
  dimensionTypes: DimensionDefinitionModel[];
  name: string | null;
  fmt: string | null;
}

/** Most keys `partitionKeys` returns; larger spaces are read with `partitionKeyConnection`. */
export const MAX_PARTITION_KEYS = 100_000;
/** Largest `limit` of `partitionKeyConnection`. */
export const MAX_PARTITION_PAGE = 1000;

function typeOf(kind: PartitionsDefinition['kind']): PartitionDefinitionType {
  switch (kind) {
    case 'time':
      return 'TIME_WINDOW';
    case 'static':
      return 'STATIC';
    case 'dynamic':
      return 'DYNAMIC';
    case 'multi':
      return 'MULTIPARTITIONED';
  }
}

/** The primary dimension of a multi-partitions definition: its time dimension, else the first by name. */
export function primaryIndex(dimensions: readonly { partitions: { kind: string } }[]): number {
  const time = dimensions.findIndex((dimension) => dimension.partitions.kind === 'time');
  return Math.max(time, 0);
}

/** How a partitions definition reads in the UI, without the keys of static or dynamic ones. */
function describe(definition: Exclude<PartitionsDefinition, { kind: 'multi' }>): string {
  switch (definition.kind) {
    case 'time':
      return `${definition.cadence} partitions from ${definition.start}${definition.end === undefined ? '' : ` to ${definition.end}`} (${definition.timezone})`;
    case 'static':
      return `static partitions (${definition.keys.length} keys)`;
    case 'dynamic':
      return `dynamic partitions '${definition.name}'`;
  }
}

/** Dagster's `PartitionDefinition` of an asset's partitions. */
export function partitionDefinitionOf(definition: PartitionsDefinition): PartitionDefinitionModel {
  if (definition.kind === 'multi') {
    const dimensions = [...definition.dimensions].sort((a, b) => (a.name < b.name ? -1 : 1));
    const primary = primaryIndex(dimensions);
    return {
      description: `multi partitions (${dimensions.map((d) => `${d.name}: ${describe(d.partitions)}`).join(' × ')})`,
      type: 'MULTIPARTITIONED',
      dimensionTypes: dimensions.map((dimension, index) => ({
        name: dimension.name,
        description: describe(dimension.partitions),
        type: typeOf(dimension.partitions.kind),
        isPrimaryDimension: index === primary,
        dynamicPartitionsDefinitionName:
          dimension.partitions.kind === 'dynamic' ? dimension.partitions.name : null,
      })),
      name: null,
      fmt: null,
    };
  }
  const description = describe(definition);
  return {
    description,
    type: typeOf(definition.kind),
    dimensionTypes: [
      {
        name: 'default',
        description,
        type: typeOf(definition.kind),
        isPrimaryDimension: true,
        dynamicPartitionsDefinitionName: definition.kind === 'dynamic' ? definition.name : null,
      },
    ],
    name: definition.kind === 'dynamic' ? definition.name : null,
    fmt: definition.kind === 'time' ? (definition.format ?? DEFAULT_KEY_FORMATS[definition.cadence]) : null,
  };
}

/** A per-request loader of something computed for each asset; a batch of assets is one read. */
export function perAsset<V>(
  context: ApiContext,
  name: string,
  load: (tables: ProjectionTables, asset: AssetDefinitionRow) => V,
) {
  return requestLoader<string, V | null>(context, name, (tables, keys) =>
    keys.map((key) => {
      const asset = tables.assetDefinitions.get(key);
      return asset === undefined ? null : load(tables, asset);
    }),
  );
}

function spaceLoader(context: ApiContext) {
  const now = context.now().getTime();
  return perAsset(context, 'partitionSpace', (tables, asset) =>
    asset.partitions === null ? null : partitionSpaceOf(tables, asset.partitions, now, asset.assetKey),
  );
}

/** Every partition key of the asset in order; an empty list when it is not partitioned. */
export async function partitionKeysOf(context: ApiContext, assetKey: string): Promise<string[]> {
  const space = await spaceLoader(context).load(assetKey);
  if (space === null) return [];
  if (space.count() > MAX_PARTITION_KEYS) {
    throw badRequest(
      `asset ${assetKey} has ${space.count()} partitions, more than partitionKeys returns (${MAX_PARTITION_KEYS}); page through them with partitionKeyConnection`,
      'PARTITION_SPACE_TOO_LARGE',
    );
  }
  return [...space.keys()];
}

export interface PartitionKeyPage {
  results: string[];
  cursor: string;
  hasMore: boolean;
}

function encodeCursor(position: number): string {
  return Buffer.from(`v1:${position}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^v1:(\d{1,15})$/.exec(decoded);
  if (match === null) throw badRequest('malformed partition key cursor', 'BAD_USER_INPUT', { cursor });
  return Number(match[1]);
}

/**
 * A page of partition keys (Dagster's `partitionKeyConnection`). Ascending pages go from the oldest
 * key; descending ones from the newest. The cursor is opaque: pass it back for the next page.
 */
export async function partitionKeyPage(
  context: ApiContext,
  assetKey: string,
  args: { limit: number; ascending: boolean; cursor: string | null },
): Promise<PartitionKeyPage | null> {
  if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > MAX_PARTITION_PAGE) {
    throw badRequest(`limit must be from 1 to ${MAX_PARTITION_PAGE}`, 'BAD_USER_INPUT', {
      limit: args.limit,
    });
  }
  const space = await spaceLoader(context).load(assetKey);
  if (space === null) return null;
  const total = space.count();
  // Positions count from the first key in the order asked for.
  const from = args.cursor === null || args.cursor === '' ? 0 : decodeCursor(args.cursor);
  const to = Math.min(total, from + args.limit);
  const results: string[] = [];
  for (let position = from; position < to; position++) {
    results.push(space.keyAt(args.ascending ? position : total - 1 - position));
  }
  return { results, cursor: encodeCursor(to), hasMore: to < total };
}

export interface DimensionPartitionKeysModel {
  name: string;
  partitionKeys: string[];
  type: PartitionDefinitionType;
}

/** The keys of each dimension (one `default` dimension for single-dimension partitions). */
export async function partitionKeysByDimension(
  context: ApiContext,
  asset: AssetDefinitionRow,
  range: { startIdx: number | null; endIdx: number | null },
): Promise<DimensionPartitionKeysModel[]> {
  const space = await spaceLoader(context).load(asset.assetKey);
  if (space === null || asset.partitions === null) return [];
  const slice = (of: PartitionSpace): string[] => {
    const start = range.startIdx ?? 0;
    const end = range.endIdx === null ? of.count() : range.endIdx + 1;
    if (end - start > MAX_PARTITION_KEYS) {
      throw badRequest(
        `asset ${asset.assetKey} has more than ${MAX_PARTITION_KEYS} keys in one dimension; pass startIdx and endIdx`,
        'PARTITION_SPACE_TOO_LARGE',
      );
    }
    return [...of.keys(start, end)];
  };
  if (space.kind === 'multi') {
    return space.dimensions.map((dimension) => ({
      name: dimension.name,
      partitionKeys: slice(dimension.space),
      type: typeOf(dimension.space.kind),
    }));
  }
  return [{ name: 'default', partitionKeys: slice(space), type: typeOf(asset.partitions.kind) }];
}

/** Whether the asset's partitions (any dimension) use the dynamic partitions definition `name`. */
export function usesDynamicPartitions(asset: AssetDefinitionRow, name: string): boolean {
  const partitions = asset.partitions;
  if (partitions === null) return false;
  if (partitions.kind === 'dynamic') return partitions.name === name;
  return (
    partitions.kind === 'multi' &&
    partitions.dimensions.some((d) => d.partitions.kind === 'dynamic' && d.partitions.name === name)
  );
}
