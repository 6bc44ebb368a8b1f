import { backfillSpace } from '../controllers/backfills.js';
import { ErrorCode, isServoError } from '../errors.js';
import type { ProjectionTables } from '../fold/state.js';
import { canonicalJson } from '../model/canonical-json.js';
import type { PartitionSpace } from '../model/partitions/index.js';
import { compositeKey } from '../projections/table-def.js';
import type { RunRow, ScheduleDefinitionRow } from '../projections/tables/index.js';

/**
 * Partition sets (Dagster's `PartitionSet`): Servo has no partitioned jobs, but a schedule whose
 * assets share one partitions definition targets a set of partitions, and the schedule page shows
 * the latest run of each. A schedule `nightly` has the partition set `nightly_partition_set`.
 */

export const PARTITION_SET_SUFFIX = '_partition_set';

export interface PartitionSetView {
  codeLocation: string;
  name: string;
  scheduleName: string;
  assetSelection: string[];
}

/** The space of assets that share one partitions definition, or undefined when they do not. */
export function sharedPartitionSpace(
  tables: ProjectionTables,
  assetSelection: readonly string[],
  now: number,
): PartitionSpace | undefined {
  if (assetSelection.length === 0) return undefined;
  try {
    return backfillSpace(assetSelection, { tables, now }).space;
  } catch (error) {
    if (isServoError(error, ErrorCode.InvalidInput) || isServoError(error, ErrorCode.NotFound))
      return undefined;
    throw error;
  }
}

function hasSharedDefinition(tables: ProjectionTables, assetSelection: readonly string[]): boolean {
  let first: string | undefined;
  for (const assetKey of assetSelection) {
    const partitions = tables.assetDefinitions.get(assetKey)?.partitions ?? null;
    if (partitions === null) return false;
    const canonical = canonicalJson(partitions);
    if (first === undefined) first = canonical;
    else if (canonical !== first) return false;
  }
  return first !== undefined;
}

/** The partition set of a schedule, or undefined when its assets are not partitioned alike. */
export function partitionSetOfSchedule(
  tables: ProjectionTables,
  schedule: ScheduleDefinitionRow,
): PartitionSetView | undefined {
  if (!hasSharedDefinition(tables, schedule.assetSelection)) return undefined;
  return {
    codeLocation: schedule.codeLocation,
    name: `${schedule.name}${PARTITION_SET_SUFFIX}`,
    scheduleName: schedule.name,
    assetSelection: schedule.assetSelection,
  };
}

/** The partition sets of a code location, by name. */
export function partitionSetsOf(tables: ProjectionTables, codeLocation: string): PartitionSetView[] {
  const sets: PartitionSetView[] = [];
  for (const schedule of tables.scheduleDefinitions.values()) {
    if (schedule.codeLocation !== codeLocation) continue;
    const set = partitionSetOfSchedule(tables, schedule);
    if (set !== undefined) sets.push(set);
  }
  return sets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function partitionSetNamed(
  tables: ProjectionTables,
  codeLocation: string,
  name: string,
): PartitionSetView | undefined {
  if (!name.endsWith(PARTITION_SET_SUFFIX)) return undefined;
  const scheduleName = name.slice(0, -PARTITION_SET_SUFFIX.length);
  const schedule = tables.scheduleDefinitions.get(`${codeLocation}:${scheduleName}`);
  return schedule === undefined ? undefined : partitionSetOfSchedule(tables, schedule);
}

/**
 * The newest `limit` partitions of the assets' shared space (all of them when there are fewer), in
 * partition order, each with the newest run that attempted or is materializing it for any of the
 * assets. Null when the assets no longer share a definition.
 */
export function latestPartitionRuns(
  tables: ProjectionTables,
  assetSelection: readonly string[],
  now: number,
  limit: number,
): { partitionKey: string; run: RunRow | null }[] | null {
  const space = sharedPartitionSpace(tables, assetSelection, now);
  if (space === undefined) return null;
  const partitions: { partitionKey: string; run: RunRow | null }[] = [];
  const count = space.count();
  for (let index = Math.max(0, count - limit); index < count; index++) {
    const partitionKey = space.keyAt(index);
    let latest: RunRow | null = null;
    for (const assetKey of assetSelection) {
      const status = tables.partitionStatus.get(compositeKey(assetKey, partitionKey));
      for (const runId of [status?.inFlightRunId, status?.lastAttemptRunId]) {
        const run = runId === null || runId === undefined ? undefined : tables.runs.get(runId);
        if (run !== undefined && (latest === null || run.createdAt > latest.createdAt)) latest = run;
      }
    }
    partitions.push({ partitionKey, run: latest });
  }
  return partitions;
}
