import type { ProjectionTables } from '../fold/state.js';
import type { RunRow } from '../projections/tables/index.js';

/**
 * The tags a run shows: those its request carried, plus tags derived from the run itself under
 * Dagster's names (so a Dagster-style UI can filter by schedule, sensor, backfill and partition)
 * and under Servo's own `servo/` prefix. Derived tags win over requested tags of the same key: a
 * request cannot pretend to come from another schedule or partition.
 */

/** Dagster's job name for runs of an asset selection; every Servo run is one. */
export const ASSET_JOB_NAME = '__ASSET_JOB';

export const RunTag = {
  scheduleName: 'dagster/schedule_name',
  sensorName: 'dagster/sensor_name',
  backfill: 'dagster/backfill',
  /** The run's partition, when it runs exactly one. */
  partition: 'dagster/partition',
  /** First and last partition of a run over several (a backfill chunk). */
  partitionRangeStart: 'dagster/asset_partition_range_start',
  partitionRangeEnd: 'dagster/asset_partition_range_end',
  lane: 'servo/lane',
  runKey: 'servo/run_key',
  codeLocation: 'servo/code_location',
} as const;

/** The name part of a schedule or sensor id (`{codeLocation}:{name}`). */
function instigatorName(instigatorId: string): string {
  return instigatorId.slice(instigatorId.indexOf(':') + 1);
}

/** The schedule or sensor that requested a run (`{codeLocation}:{name}`), if one did. */
export function runInstigatorId(run: RunRow): string | null {
  if (run.source.kind === 'schedule') return run.source.scheduleId;
  if (run.source.kind === 'sensor') return run.source.sensorId;
  return null;
}

/**
 * The code location a run belongs to: its schedule's or sensor's, else the one defining its first
 * asset (null when that asset is no longer deployed).
 */
export function runCodeLocation(tables: ProjectionTables, run: RunRow): string | null {
  const instigator = runInstigatorId(run);
  if (instigator !== null) return instigator.slice(0, instigator.indexOf(':'));
  const asset = run.assetSelection[0];
  return asset === undefined ? null : (tables.assetDefinitions.get(asset)?.codeLocation ?? null);
}

/** Every tag of a run: requested and derived (see the module comment). */
export function runTags(run: RunRow, codeLocation: string | null): Record<string, string> {
  const tags: Record<string, string> = { ...run.tags };
  if (run.source.kind === 'schedule') tags[RunTag.scheduleName] = instigatorName(run.source.scheduleId);
  if (run.source.kind === 'sensor') tags[RunTag.sensorName] = instigatorName(run.source.sensorId);
  if (run.backfillId !== null) tags[RunTag.backfill] = run.backfillId;
  const partitions = run.partitionKeys ?? [];
  if (partitions.length === 1) tags[RunTag.partition] = partitions[0] as string;
  if (partitions.length > 1) {
    tags[RunTag.partitionRangeStart] = partitions[0] as string;
    tags[RunTag.partitionRangeEnd] = partitions[partitions.length - 1] as string;
  }
  tags[RunTag.lane] = run.lane;
  tags[RunTag.runKey] = run.runKey;
  if (codeLocation !== null) tags[RunTag.codeLocation] = codeLocation;
  return tags;
}
