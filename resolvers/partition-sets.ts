import type { BackfillRow, ScheduleDefinitionRow } from '../engine/projections/tables/index.js';
import {
  latestPartitionRuns,
  type PartitionSetView,
  partitionSetNamed,
  partitionSetsOf,
  partitionSetOfSchedule as partitionSetViewOf,
} from '../engine/queries/partition-sets.js';
import { ASSET_JOB_NAME } from './assets.js';
import {
  DEFAULT_BACKFILL_PAGE,
  type PartitionStatusesModel,
  pageLimit,
  partitionStatusOf,
} from './backfills.js';
import type { ApiContext } from './context.js';
import { badRequest, type PythonErrorModel, pythonError, type Typed, typed } from './errors.js';
import type { PartitionSetModel } from './models.js';
import { requestLoader } from './request-loaders.js';

/**
 * Partition sets (Dagster's `PartitionSet`): in Servo, the partitions a schedule targets when its
 * assets share one partitions definition (`{schedule}_partition_set`, in the implicit asset job).
 * Used by the schedule page (`Schedule.partitionSet`) and `partitionSetOrError`.
 */

/** Most partitions `partitionStatusesOrError` lists: the newest ones. */
export const MAX_PARTITION_SET_STATUSES = 1000;

export type PartitionSetNotFoundModel = Typed<
  'PartitionSetNotFoundError',
  { message: string; partitionSetName: string }
>;

function modelOf(view: PartitionSetView): PartitionSetModel {
  return {
    codeLocation: view.codeLocation,
    name: view.name,
    pipelineName: ASSET_JOB_NAME,
    assetSelection: view.assetSelection,
  };
}

/** The partition set of a schedule, or null when its assets are not partitioned alike (batched). */
export async function partitionSetOfSchedule(
  context: ApiContext,
  schedule: ScheduleDefinitionRow,
): Promise<PartitionSetModel | null> {
  const loader = requestLoader<ScheduleDefinitionRow, PartitionSetModel | null>(
    context,
    'partitionSetOfSchedule',
    (tables, schedules) =>
      schedules.map((row) => {
        const view = partitionSetViewOf(tables, row);
        return view === undefined ? null : modelOf(view);
      }),
    (row) => row.scheduleId,
  );
  return loader.load(schedule);
}

/** The partition sets of a code location (one per schedule with a partitioned target). */
export function partitionSetsOfLocation(context: ApiContext, codeLocation: string): PartitionSetModel[] {
  return context.reads.read((tables) => partitionSetsOf(tables, codeLocation).map(modelOf));
}

export function getPartitionSet(
  context: ApiContext,
  selector: { repositoryLocationName: string; repositoryName: string },
  partitionSetName: string | null | undefined,
): Typed<'PartitionSet', PartitionSetModel> | PartitionSetNotFoundModel {
  const name = partitionSetName ?? '';
  const view = context.reads.read((tables) =>
    partitionSetNamed(tables, selector.repositoryLocationName, name),
  );
  if (view === undefined) {
    return typed('PartitionSetNotFoundError', {
      message: `code location ${selector.repositoryLocationName} has no partition set ${JSON.stringify(name)} (a schedule 'x' whose assets are partitioned alike has the partition set 'x_partition_set')`,
      partitionSetName: name,
    });
  }
  return typed('PartitionSet', modelOf(view));
}

/** The partition sets of the code location's job `pipelineName` (Servo's one job, `__ASSET_JOB`). */
export function listPartitionSets(
  context: ApiContext,
  selector: { repositoryLocationName: string },
  pipelineName: string,
): Typed<'PartitionSets', { results: PartitionSetModel[] }> {
  const results =
    pipelineName === ASSET_JOB_NAME ? partitionSetsOfLocation(context, selector.repositoryLocationName) : [];
  return typed('PartitionSets', { results });
}

/** The newest partitions of the set (at most 1,000), each with its latest run. */
export function partitionSetStatuses(
  context: ApiContext,
  set: PartitionSetModel,
): PartitionStatusesModel | PythonErrorModel {
  const partitions = context.reads.read((tables) =>
    latestPartitionRuns(tables, set.assetSelection, context.now().getTime(), MAX_PARTITION_SET_STATUSES),
  );
  if (partitions === null) {
    return pythonError({
      message: `the assets of partition set ${set.name} (${set.assetSelection.join(', ')}) no longer share one partitions definition`,
    });
  }
  return {
    __typename: 'PartitionStatuses',
    results: partitions.map(({ partitionKey, run }) => partitionStatusOf(set.name, partitionKey, run)),
  };
}

/** Backfills of exactly the set's assets, newest first. */
export function partitionSetBackfills(
  context: ApiContext,
  set: PartitionSetModel,
  args: { cursor?: string | null; limit?: number | null },
): BackfillRow[] {
  const limit = pageLimit(args.limit, DEFAULT_BACKFILL_PAGE);
  const assets = [...set.assetSelection].sort().join('\n');
  const rows = context.reads.read((tables) =>
    [...tables.backfills.values()]
      .filter((row) => [...row.assetSelection].sort().join('\n') === assets)
      .sort((a, b) => b.createdAt - a.createdAt || (a.backfillId < b.backfillId ? 1 : -1)),
  );
  const cursor = args.cursor ?? undefined;
  const at = cursor === undefined ? -1 : rows.findIndex((row) => row.backfillId === cursor);
  if (cursor !== undefined && at < 0) {
    throw badRequest(
      `cursor ${JSON.stringify(cursor)} is not a backfill of partition set ${set.name}`,
      'BAD_USER_INPUT',
    );
  }
  return rows.slice(at + 1, at + 1 + limit);
}
