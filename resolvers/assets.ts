import { compositeKey } from '../engine/projections/table-def.js';
import type { AssetDefinitionRow, RunRow } from '../engine/projections/tables/index.js';
import { type Staleness, staleness } from '../engine/queries/partitions.js';
import type { ApiContext } from './context.js';
import { badRequest, type Typed, typed } from './errors.js';
import { type AssetKeyModel, type AssetModel, assetKeyOf, REPOSITORY_NAME } from './models.js';
import { statusIndexOf } from './partition-statuses.js';
import { requestLoader } from './request-loaders.js';

/**
 * Assets as Dagster's API shows them: `Asset` (a key), `AssetNode` (its definition in a code
 * location), the asset-graph edges, staleness, and the root fields that find them.
 */

/** Dagster's group for assets defined without one. */
export const DEFAULT_GROUP_NAME = 'default';

/**
 * Servo runs any asset selection as one implicit job per code location, named as Dagster names
 * its implicit asset job; it is the only job an asset, schedule or sensor can point at.
 */
export const ASSET_JOB_NAME = '__ASSET_JOB';

/** Most assets `assetsOrError` returns in one page. */
export const MAX_ASSET_PAGE = 1000;

export type AssetNotFoundModel = Typed<'AssetNotFoundError', { message: string }>;

function assetNotFound(assetKey: string): AssetNotFoundModel {
  return typed('AssetNotFoundError', { message: `no asset ${assetKey} is defined or recorded` });
}

export function assetsOf(keys: readonly string[]): AssetModel[] {
  return keys.map((assetKey) => ({ assetKey }));
}

/** A selection in Dagster's asset selection syntax: `key:"a/b" or key:"c"`. */
export function assetSelectionString(keys: readonly string[]): string | null {
  if (keys.length === 0) return null;
  return keys.map((key) => `key:${JSON.stringify(key)}`).join(' or ');
}

export async function assetDefinitionOf(
  context: ApiContext,
  assetKey: string,
): Promise<AssetDefinitionRow | null> {
  return (await context.loaders.assetDefinition.load(assetKey)) ?? null;
}

function recordedLoader(context: ApiContext) {
  return requestLoader<string, boolean>(context, 'assetRecorded', (_tables, keys) => {
    const index = statusIndexOf(context.workspace);
    return keys.map((key) => index.partitionsOf(key).size > 0);
  });
}

/** A deployed definition, or any partition status Servo recorded for the key. */
export async function hasDefinitionOrRecord(context: ApiContext, assetKey: string): Promise<boolean> {
  if ((await assetDefinitionOf(context, assetKey)) !== null) return true;
  return recordedLoader(context).load(assetKey);
}

export async function assetOrError(
  context: ApiContext,
  assetKey: string,
): Promise<Typed<'Asset', AssetModel> | AssetNotFoundModel> {
  return (await hasDefinitionOrRecord(context, assetKey))
    ? typed('Asset', { assetKey })
    : assetNotFound(assetKey);
}

export async function assetNodeOrError(
  context: ApiContext,
  assetKey: string,
): Promise<Typed<'AssetNode', AssetDefinitionRow> | AssetNotFoundModel> {
  const definition = await assetDefinitionOf(context, assetKey);
  return definition === null ? assetNotFound(assetKey) : typed('AssetNode', { ...definition });
}

export function groupNameOf(asset: AssetDefinitionRow): string {
  return asset.groupName ?? DEFAULT_GROUP_NAME;
}

export interface AssetNodesFilter {
  group: { groupName: string; repositoryLocationName: string } | null;
  pipeline: { pipelineName: string; repositoryLocationName: string; assetSelection: string[] | null } | null;
  assetKeys: string[] | null;
}

/**
 * Asset definitions, sorted by key: all of them, or those of a group (`AssetGroupSelector`), of a
 * code location's implicit asset job (`PipelineSelector` naming `__ASSET_JOB`; any other job name
 * selects nothing), or with the given keys (unknown keys are left out, as Dagster does).
 */
export async function assetNodes(
  context: ApiContext,
  filter: AssetNodesFilter,
): Promise<AssetDefinitionRow[]> {
  let rows: AssetDefinitionRow[];
  if (filter.assetKeys !== null) {
    const loaded = await context.loaders.assetDefinition.loadMany(filter.assetKeys);
    rows = loaded.filter((row): row is AssetDefinitionRow => row !== undefined && !(row instanceof Error));
  } else {
    rows = context.reads.read((tables) => [...tables.assetDefinitions.values()]);
  }
  const { group, pipeline } = filter;
  if (group !== null) {
    rows = rows.filter(
      (row) => row.codeLocation === group.repositoryLocationName && groupNameOf(row) === group.groupName,
    );
  }
  if (pipeline !== null) {
    const selected = pipeline.assetSelection === null ? null : new Set(pipeline.assetSelection);
    rows =
      pipeline.pipelineName !== ASSET_JOB_NAME
        ? []
        : rows.filter(
            (row) =>
              row.codeLocation === pipeline.repositoryLocationName &&
              (selected === null || selected.has(row.assetKey)),
          );
  }
  const unique = new Map(rows.map((row) => [row.assetKey, row]));
  return [...unique.values()].sort((a, b) =>
    a.assetKey < b.assetKey ? -1 : a.assetKey > b.assetKey ? 1 : 0,
  );
}

export interface AssetPage {
  readonly __typename: 'AssetConnection';
  nodes: AssetModel[];
  cursor: string | null;
}

function decodeAssetCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith('v1:')) throw badRequest('malformed asset cursor', 'BAD_USER_INPUT', { cursor });
  return decoded.slice(3);
}

/**
 * Defined assets by key, paged (Dagster's `assetsOrError`). An asset whose definition was removed
 * is not listed, but `assetKeys` and `assetOrError` still find it while Servo has records of it.
 */
export async function assetsOrError(
  context: ApiContext,
  args: { prefix: string[] | null; assetKeys: string[] | null; cursor: string | null; limit: number | null },
): Promise<AssetPage> {
  const limit = args.limit ?? MAX_ASSET_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ASSET_PAGE) {
    throw badRequest(`limit must be from 1 to ${MAX_ASSET_PAGE}`, 'BAD_USER_INPUT', { limit });
  }
  let keys: string[];
  if (args.assetKeys !== null) {
    const found = await Promise.all(
      args.assetKeys.map(async (key) => ((await hasDefinitionOrRecord(context, key)) ? key : null)),
    );
    keys = [...new Set(found.filter((key): key is string => key !== null))];
  } else {
    keys = context.reads.read((tables) =>
      [...tables.assetDefinitions.values()].map((asset) => asset.assetKey),
    );
  }
  if (args.prefix !== null && args.prefix.length > 0) {
    const prefix = args.prefix;
    keys = keys.filter((key) => {
      const path = key.split('/');
      return prefix.every((part, index) => path[index] === part);
    });
  }
  keys.sort();
  const after = args.cursor === null || args.cursor === '' ? null : decodeAssetCursor(args.cursor);
  const from = after === null ? keys : keys.filter((key) => key > after);
  const page = from.slice(0, limit);
  const last = page[page.length - 1];
  return {
    __typename: 'AssetConnection',
    nodes: assetsOf(page),
    cursor:
      from.length > limit && last !== undefined
        ? Buffer.from(`v1:${last}`, 'utf8').toString('base64url')
        : null,
  };
}

function dependentsLoader(context: ApiContext) {
  return requestLoader<string, string[]>(context, 'assetDependents', (tables, keys) => {
    const wanted = new Set(keys);
    const dependents = new Map<string, string[]>();
    for (const asset of tables.assetDefinitions.values()) {
      for (const upstream of asset.dependsOn) {
        if (!wanted.has(upstream)) continue;
        const list = dependents.get(upstream) ?? [];
        list.push(asset.assetKey);
        dependents.set(upstream, list);
      }
    }
    return keys.map((key) => (dependents.get(key) ?? []).sort());
  });
}

/** Keys of the assets that depend on this one (Dagster's `dependedByKeys`). */
export async function dependedByKeys(context: ApiContext, assetKey: string): Promise<AssetKeyModel[]> {
  return (await dependentsLoader(context).load(assetKey)).map(assetKeyOf);
}

/**
 * The newest run that planned this partition: the one materializing it now, else the newer of
 * its last attempt and its last materialization.
 */
export async function latestRunForPartition(
  context: ApiContext,
  asset: AssetDefinitionRow,
  partition: string,
): Promise<RunRow | null> {
  const row = await context.loaders.partitionStatus.load(
    compositeKey(asset.assetKey, asset.partitions === null ? '' : partition),
  );
  if (row === undefined) return null;
  const attemptIsNewer = (row.lastAttemptAt ?? -1) >= (row.lastMaterializationAt ?? -1);
  const runId =
    row.inFlightRunId ?? (attemptIsNewer ? row.lastAttemptRunId : row.lastMaterializationRunId) ?? null;
  if (runId === null) return null;
  return (await context.loaders.run.load(runId)) ?? null;
}

function stalenessLoader(context: ApiContext) {
  const now = context.now().getTime();
  return requestLoader<{ assetKey: string; partition: string }, Staleness | null>(
    context,
    'assetStaleness',
    (tables, keys) => {
      const index = statusIndexOf(context.workspace);
      return keys.map(({ assetKey, partition }) => {
        const asset = tables.assetDefinitions.get(assetKey);
        return asset === undefined
          ? null
          : staleness(tables, asset, partition, now, (key) => index.newestMaterialization(key));
      });
    },
    ({ assetKey, partition }) => compositeKey(assetKey, partition),
  );
}

/** Staleness of a partition (`''` for an unpartitioned asset); null when it does not apply. */
async function stalenessOf(
  context: ApiContext,
  asset: AssetDefinitionRow,
  partition: string | null,
): Promise<Staleness | null> {
  if (asset.partitions !== null && (partition === null || partition === '')) return null;
  return stalenessLoader(context).load({
    assetKey: asset.assetKey,
    partition: asset.partitions === null ? '' : (partition as string),
  });
}

export type StaleStatusValue = 'MISSING' | 'STALE' | 'FRESH';

/**
 * Dagster's `StaleStatus`: MISSING when never materialized, STALE for any other reason Servo
 * finds, FRESH otherwise. A partitioned asset has a status per partition only (null without one).
 */
export async function staleStatus(
  context: ApiContext,
  asset: AssetDefinitionRow,
  partition: string | null,
): Promise<StaleStatusValue | null> {
  const found = await stalenessOf(context, asset, partition);
  if (found === null) return null;
  if (!found.stale) return 'FRESH';
  return found.reason === 'NEVER_MATERIALIZED' ? 'MISSING' : 'STALE';
}

export interface StaleCauseModel {
  key: AssetKeyModel;
  partitionKey: string | null;
  category: 'CODE' | 'DATA' | 'DEPENDENCIES';
  reason: string;
  dependency: AssetKeyModel | null;
  dependencyPartitionKey: string | null;
}

/** Why a partition is stale, as Dagster's `StaleCause` (at most one cause: the first Servo finds). */
export async function staleCauses(
  context: ApiContext,
  asset: AssetDefinitionRow,
  partition: string | null,
): Promise<StaleCauseModel[]> {
  const found = await stalenessOf(context, asset, partition);
  if (found === null || !found.stale || found.reason === null || found.reason === 'NEVER_MATERIALIZED')
    return [];
  const base = {
    key: assetKeyOf(asset.assetKey),
    partitionKey: asset.partitions === null ? null : partition,
    dependency: null,
    dependencyPartitionKey: null,
  };
  switch (found.reason) {
    case 'CODE_CHANGED':
      return [{ ...base, category: 'CODE', reason: `has a new code version (${found.cause ?? 'unknown'})` }];
    case 'FRESHNESS_DEADLINE':
      return [{ ...base, category: 'DATA', reason: 'was not materialized within its freshness window' }];
    case 'UPSTREAM_NEVER_MATERIALIZED':
    case 'UPSTREAM_CHANGED': {
      const cause = found.cause ?? '';
      const bracket = /^(.*)\[(.*)\]$/.exec(cause);
      const dependency = bracket === null ? cause : (bracket[1] as string);
      return [
        {
          ...base,
          category: 'DATA',
          reason:
            found.reason === 'UPSTREAM_CHANGED'
              ? 'has a new dependency materialization'
              : 'has a dependency that was never materialized',
          dependency: dependency === '' ? null : assetKeyOf(dependency),
          dependencyPartitionKey: bracket === null ? null : (bracket[2] as string),
        },
      ];
    }
  }
}

/** The asset node's id, as Dagster's: code location, repository and key. */
export function assetNodeId(asset: AssetDefinitionRow): string {
  return `${asset.codeLocation}.${REPOSITORY_NAME}.${asset.assetKey}`;
}
