import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { canonicalJson } from '../model/canonical-json.js';
import type { PartitionsDefinition } from '../model/common.js';
import { createPartitionSpace, type PartitionSpace } from '../model/partitions/index.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import { compositeKey } from '../projections/table-def.js';
import type { AssetDefinitionRow, PartitionStatusRow } from '../projections/tables/index.js';

/** How a partition is shown (Dagster's precedence: MATERIALIZING > FAILED > MATERIALIZED > MISSING). */
export type PartitionDisplayStatus = 'MATERIALIZED' | 'FAILED' | 'MATERIALIZING' | 'MISSING';

export type StaleReason =
  | 'NEVER_MATERIALIZED'
  | 'CODE_CHANGED'
  | 'UPSTREAM_NEVER_MATERIALIZED'
  | 'UPSTREAM_CHANGED'
  | 'FRESHNESS_DEADLINE';

export interface Staleness {
  stale: boolean;
  reason: StaleReason | null;
  /** Since when it is stale, when that is known (an upstream materialized later, a deadline passed). */
  since: number | null;
  /** The upstream asset (and partition) that made it stale, if any. */
  cause: string | null;
}

/** The status of one partition from its row (or its absence) and whether its in-flight run still runs. */
export function displayStatus(
  row: PartitionStatusRow | undefined,
  tables: ProjectionTables,
): PartitionDisplayStatus {
  if (row === undefined) return 'MISSING';
  if (row.inFlightRunId !== null) {
    const run = tables.runs.get(row.inFlightRunId);
    if (run !== undefined && !isTerminalRun(run.status)) return 'MATERIALIZING';
  }
  const attemptAfterMaterialization =
    row.lastAttemptAt !== null &&
    (row.lastMaterializationAt === null || row.lastAttemptAt > row.lastMaterializationAt);
  if (row.lastAttemptOutcome === 'FAILED' && attemptAfterMaterialization) return 'FAILED';
  if (row.lastMaterializationRunId !== null) return 'MATERIALIZED';
  return 'MISSING';
}

/**
 * Staleness of one partition, computed when asked (nothing is stored): never materialized; its code
 * version changed since; an upstream partition (the same partition of an identically partitioned
 * upstream, else the upstream's newest materialization) was never materialized or materialized
 * later; or its freshness deadline passed. Reasons are checked in that order.
 */
export function staleness(
  tables: ProjectionTables,
  asset: AssetDefinitionRow,
  partitionKey: string,
  now: number,
  newestOf: (assetKey: string) => number | null,
): Staleness {
  const row = tables.partitionStatus.get(compositeKey(asset.assetKey, partitionKey));
  const materializedAt = row?.lastMaterializationAt ?? null;
  if (row === undefined || materializedAt === null) {
    return { stale: true, reason: 'NEVER_MATERIALIZED', since: null, cause: null };
  }
  if (asset.codeVersion !== null && row.lastMaterializationCodeVersion !== asset.codeVersion) {
    return { stale: true, reason: 'CODE_CHANGED', since: null, cause: asset.codeVersion };
  }
  for (const upstreamKey of asset.dependsOn) {
    const upstream = tables.assetDefinitions.get(upstreamKey);
    const aligned =
      upstream?.partitions != null &&
      asset.partitions !== null &&
      canonicalJson(upstream.partitions) === canonicalJson(asset.partitions);
    const upstreamAt = aligned
      ? (tables.partitionStatus.get(compositeKey(upstreamKey, partitionKey))?.lastMaterializationAt ?? null)
      : newestOf(upstreamKey);
    if (upstreamAt === null) {
      return { stale: true, reason: 'UPSTREAM_NEVER_MATERIALIZED', since: null, cause: upstreamKey };
    }
    if (upstreamAt > materializedAt) {
      return {
        stale: true,
        reason: 'UPSTREAM_CHANGED',
        since: upstreamAt,
        cause: aligned ? `${upstreamKey}[${partitionKey}]` : upstreamKey,
      };
    }
  }
  if (asset.freshnessSeconds !== null && now - materializedAt > asset.freshnessSeconds * 1000) {
    return {
      stale: true,
      reason: 'FRESHNESS_DEADLINE',
      since: materializedAt + asset.freshnessSeconds * 1000,
      cause: null,
    };
  }
  return { stale: false, reason: null, since: null, cause: null };
}

/**
 * The partition-status rows of each asset, kept from the change feed, so a status query costs the
 * partitions an asset has rows for, not the whole table.
 */
export class PartitionStatusIndex {
  private readonly byAsset = new Map<string, Set<string>>();
  private readonly newest = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly projections: ProjectionStore) {
    this.rescan();
    this.unsubscribe = projections.subscribe((changes) => {
      for (const key of changes.tables.get('partitionStatus') ?? []) this.refresh(key);
    });
  }

  rescan(): void {
    this.byAsset.clear();
    this.newest.clear();
    for (const [key] of this.projections.state.tables.partitionStatus.entries()) this.refresh(key);
  }

  private refresh(key: string): void {
    const row = this.projections.state.tables.partitionStatus.get(key);
    if (row === undefined) return;
    let keys = this.byAsset.get(row.assetKey);
    if (keys === undefined) {
      keys = new Set();
      this.byAsset.set(row.assetKey, keys);
    }
    keys.add(row.partitionKey);
    if (
      row.lastMaterializationAt !== null &&
      row.lastMaterializationAt > (this.newest.get(row.assetKey) ?? -1)
    ) {
      this.newest.set(row.assetKey, row.lastMaterializationAt);
    }
  }

  /** Partition keys of the asset that have a status row. */
  partitionsOf(assetKey: string): ReadonlySet<string> {
    return this.byAsset.get(assetKey) ?? new Set();
  }

  /** The asset's newest materialization time, or null. */
  newestMaterialization(assetKey: string): number | null {
    return this.newest.get(assetKey) ?? null;
  }

  close(): void {
    this.unsubscribe();
  }
}

export interface StatusRange {
  startKey: string;
  endKey: string;
  startIndex: number;
  endIndex: number;
  /** Window bounds for time-window partitions. */
  startTime?: number;
  endTime?: number;
  status: Exclude<PartitionDisplayStatus, 'MISSING'>;
}

export type AssetPartitionStatuses =
  | { kind: 'unpartitioned'; status: PartitionDisplayStatus }
  /** Time windows: contiguous ranges of materialized, failed and materializing partitions (missing is the rest). */
  | { kind: 'timeWindow'; ranges: StatusRange[]; total: number }
  /** Static, dynamic and multi partitions: keys by status. */
  | {
      kind: 'keys';
      materialized: string[];
      failed: string[];
      materializing: string[];
      unmaterialized: string[];
      total: number;
    };

export function partitionSpaceOf(
  tables: ProjectionTables,
  partitions: PartitionsDefinition,
  now: number,
  label: string,
): PartitionSpace {
  return createPartitionSpace(partitions, {
    now,
    label,
    // In the order they were added (ties by key): the same in every process and after reloads.
    dynamicKeys: (name) => {
      const rows: { key: string; version: string }[] = [];
      for (const row of tables.dynamicPartitions.values()) {
        if (row.partitionsDefName === name) rows.push({ key: row.partitionKey, version: row.rowVersion });
      }
      rows.sort((a, b) => a.version.localeCompare(b.version) || a.key.localeCompare(b.key));
      return rows.map((row) => row.key);
    },
  });
}

/** The partition statuses of an asset, shaped as Dagster's `assetPartitionStatuses` union. */
export function assetPartitionStatuses(
  tables: ProjectionTables,
  index: PartitionStatusIndex,
  asset: AssetDefinitionRow,
  now: number,
): AssetPartitionStatuses {
  if (asset.partitions === null) {
    return {
      kind: 'unpartitioned',
      status: displayStatus(tables.partitionStatus.get(compositeKey(asset.assetKey, '')), tables),
    };
  }
  const space = partitionSpaceOf(tables, asset.partitions, now, asset.assetKey);
  const known: { index: number; key: string; status: PartitionDisplayStatus }[] = [];
  for (const partitionKey of index.partitionsOf(asset.assetKey)) {
    if (!space.has(partitionKey)) continue;
    const status = displayStatus(
      tables.partitionStatus.get(compositeKey(asset.assetKey, partitionKey)),
      tables,
    );
    if (status !== 'MISSING') known.push({ index: space.indexOf(partitionKey), key: partitionKey, status });
  }
  known.sort((a, b) => a.index - b.index);
  if (asset.partitions.kind === 'time') {
    const ranges: StatusRange[] = [];
    for (const entry of known) {
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last.status === entry.status && last.endIndex === entry.index - 1) {
        last.endIndex = entry.index;
        last.endKey = entry.key;
      } else {
        ranges.push({
          startKey: entry.key,
          endKey: entry.key,
          startIndex: entry.index,
          endIndex: entry.index,
          status: entry.status as StatusRange['status'],
        });
      }
    }
    if ('windowAt' in space && typeof space.windowAt === 'function') {
      for (const range of ranges) {
        range.startTime = space.windowAt(range.startIndex).start;
        range.endTime = space.windowAt(range.endIndex).end;
      }
    }
    return { kind: 'timeWindow', ranges, total: space.count() };
  }
  const byStatus = { MATERIALIZED: [] as string[], FAILED: [] as string[], MATERIALIZING: [] as string[] };
  const seen = new Set<number>();
  for (const entry of known) {
    byStatus[entry.status as keyof typeof byStatus].push(entry.key);
    seen.add(entry.index);
  }
  const unmaterialized: string[] = [];
  let position = 0;
  for (const key of space.keys()) {
    if (!seen.has(position)) unmaterialized.push(key);
    position += 1;
  }
  return {
    kind: 'keys',
    materialized: byStatus.MATERIALIZED,
    failed: byStatus.FAILED,
    materializing: byStatus.MATERIALIZING,
    unmaterialized,
    total: space.count(),
  };
}
