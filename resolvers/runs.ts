import { isServoError } from '../engine/errors.js';
import { isTerminalRun } from '../engine/fold/runs.js';
import type { RunRow, TaskRow } from '../engine/projections/tables/index.js';
import { type StepStats, stepStatsOf } from '../engine/queries/run-steps.js';
import { runTags } from '../engine/queries/run-tags.js';
import { type FeedView, MAX_RUN_PAGE, type RunFilter } from '../engine/queries/runs.js';
import type { OrderKey } from '../engine/queries/sorted-entries.js';
import { pageLimit } from './backfills.js';
import type { ApiContext } from './context.js';
import { badRequest, type Typed, typed } from './errors.js';
import { instigationStatus } from './instigation.js';
import type { BackfillModel, InstigationStateModel, RunModel } from './models.js';
import { runIndexOf, runLoaders } from './run-loaders.js';

/**
 * Run queries: run lists and the runs feed over the run index (engine/queries/runs.ts), one run,
 * and what a run shows — its tags (requested and derived), steps, plan, pools and queue place.
 */

export type InvalidRunsFilterModel = Typed<'InvalidPipelineRunsFilterError', { message: string }>;
export type RunNotFoundModel = Typed<'RunNotFoundError', { runId: string; message: string }>;
export type RunsModel = Typed<'Runs', { results: RunRow[]; filter: RunFilter }>;
export type RunsFeedModel = Typed<
  'RunsFeedConnection',
  { results: (RunModel | BackfillModel)[]; cursor: string; hasMore: boolean }
>;

/** Dagster's `RunsFilter` as the API receives it. */
export interface RunsFilterInput {
  runIds?: readonly (string | null | undefined)[] | null;
  pipelineName?: string | null;
  tags?: readonly { key: string; value: string }[] | null;
  statuses?: readonly string[] | null;
  snapshotId?: string | null;
  updatedAfter?: number | null;
  updatedBefore?: number | null;
  createdBefore?: number | null;
  createdAfter?: number | null;
  mode?: string | null;
}

export function isRunModel(entry: RunModel | BackfillModel): entry is RunModel {
  return 'runKey' in entry;
}

export function runNotFound(runId: string): RunNotFoundModel {
  return typed('RunNotFoundError', { runId, message: `run ${runId} does not exist` });
}

function invalidFilter(message: string): InvalidRunsFilterModel {
  return typed('InvalidPipelineRunsFilterError', { message });
}

const toMs = (value: number | null | undefined) =>
  value === null || value === undefined ? undefined : value * 1000;

/** The engine's filter for a `RunsFilter` (times in seconds become ms), or why it is refused. */
export function runFilterOf(input: RunsFilterInput | null | undefined): RunFilter | InvalidRunsFilterModel {
  if (input === null || input === undefined) return {};
  const runIds = input.runIds?.filter((runId): runId is string => typeof runId === 'string');
  if (runIds !== undefined && runIds.length > MAX_RUN_PAGE) {
    return invalidFilter(`a filter may name at most ${MAX_RUN_PAGE} run ids; it names ${runIds.length}`);
  }
  for (const tag of input.tags ?? []) {
    if (tag.key === '') return invalidFilter('a tag filter needs a key');
  }
  const filter: RunFilter = {};
  if (runIds !== undefined && runIds.length > 0) filter.runIds = runIds;
  if (input.statuses !== null && input.statuses !== undefined && input.statuses.length > 0)
    filter.statuses = input.statuses;
  if (input.tags !== null && input.tags !== undefined && input.tags.length > 0) filter.tags = input.tags;
  const times = {
    createdBefore: toMs(input.createdBefore),
    createdAfter: toMs(input.createdAfter),
    updatedBefore: toMs(input.updatedBefore),
    updatedAfter: toMs(input.updatedAfter),
  };
  for (const [name, value] of Object.entries(times)) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) return invalidFilter(`${name} must be a time in epoch seconds`);
    filter[name as keyof typeof times] = value;
  }
  if (input.pipelineName != null) filter.jobName = input.pipelineName;
  if (input.mode != null) filter.mode = input.mode;
  if (input.snapshotId != null) filter.snapshotId = input.snapshotId;
  return filter;
}

/** `runsOrError` / `pipelineRunsOrError`: newest first, after the run named by `cursor`. */
export function listRuns(
  context: ApiContext,
  args: { filter?: RunsFilterInput | null; cursor?: string | null; limit?: number | null },
): RunsModel | InvalidRunsFilterModel {
  const filter = runFilterOf(args.filter);
  if ('__typename' in filter) return filter;
  const limit = pageLimit(args.limit, MAX_RUN_PAGE);
  try {
    const page = context.reads.read((tables) =>
      runIndexOf(context.workspace).page(tables, filter, args.cursor ?? undefined, limit),
    );
    return typed('Runs', { results: page.items, filter });
  } catch (error) {
    if (isServoError(error)) return invalidFilter(error.message);
    throw error;
  }
}

/** `Runs.count`: every run the filter matches. */
export function countRuns(context: ApiContext, filter: RunFilter): number {
  return context.reads.read((tables) => runIndexOf(context.workspace).count(tables, filter));
}

export async function getRun(context: ApiContext, runId: string): Promise<RunRow | RunNotFoundModel> {
  return (await context.loaders.run.load(runId)) ?? runNotFound(runId);
}

export function listRunIds(
  context: ApiContext,
  args: { filter?: RunsFilterInput | null; cursor?: string | null; limit?: number | null },
): Typed<'RunIds', { results: string[] }> | InvalidRunsFilterModel {
  const runs = listRuns(context, args);
  if (runs.__typename !== 'Runs') return runs;
  return typed('RunIds', { results: runs.results.map((run) => run.runId) });
}

export function runTagKeys(context: ApiContext): Typed<'RunTagKeys', { keys: string[] }> {
  return typed('RunTagKeys', {
    keys: context.reads.read((tables) => runIndexOf(context.workspace).tagKeys(tables)),
  });
}

export function runTagValues(
  context: ApiContext,
  args: { tagKeys?: readonly string[] | null; valuePrefix?: string | null; limit?: number | null },
): Typed<'RunTags', { tags: { key: string; values: string[] }[] }> {
  const limit = pageLimit(args.limit, MAX_RUN_PAGE);
  return typed('RunTags', {
    tags: context.reads.read((tables) =>
      runIndexOf(context.workspace).tagValues(
        tables,
        args.tagKeys ?? undefined,
        args.valuePrefix ?? undefined,
        limit,
      ),
    ),
  });
}

function encodeFeedCursor(key: OrderKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

function decodeFeedCursor(cursor: string): OrderKey {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    // Reported below.
  }
  throw badRequest('the cursor is not one this feed returned');
}

/** `runsFeedOrError`: runs and backfills merged newest first (see engine/queries/runs.ts). */
export function runsFeed(
  context: ApiContext,
  args: { limit: number; cursor?: string | null; view: FeedView; filter?: RunsFilterInput | null },
): RunsFeedModel {
  const filter = runFilterOf(args.filter);
  if ('__typename' in filter) throw badRequest(filter.message);
  const limit = pageLimit(args.limit, MAX_RUN_PAGE);
  const cursor = args.cursor == null || args.cursor === '' ? undefined : decodeFeedCursor(args.cursor);
  const page = context.reads.read((tables) =>
    runIndexOf(context.workspace).feed(tables, args.view, filter, cursor, limit),
  );
  const last = page.last ?? cursor;
  return typed('RunsFeedConnection', {
    results: page.items.map((entry) => entry.row),
    cursor: last === undefined ? '' : encodeFeedCursor(last),
    hasMore: page.hasMore,
  });
}

export function runsFeedCount(
  context: ApiContext,
  args: { view: FeedView; filter?: RunsFilterInput | null },
): Typed<'RunsFeedCount', { count: number }> {
  const filter = runFilterOf(args.filter);
  if ('__typename' in filter) throw badRequest(filter.message);
  return typed('RunsFeedCount', {
    count: context.reads.read((tables) => runIndexOf(context.workspace).feedCount(tables, args.view, filter)),
  });
}

/** A run's tags: those requested, and the derived `dagster/*` and `servo/*` ones. */
export async function runTagsOf(context: ApiContext, run: RunRow): Promise<Record<string, string>> {
  return runTags(run, await runLoaders(context).codeLocation.load(run.runId));
}

export async function runCodeLocationOf(context: ApiContext, run: RunRow): Promise<string | null> {
  return runLoaders(context).codeLocation.load(run.runId);
}

export function runTasks(context: ApiContext, run: RunRow): Promise<TaskRow[]> {
  return runLoaders(context).tasks.load(run.runId);
}

export async function runStepStats(context: ApiContext, run: RunRow): Promise<StepStats[]> {
  return (await runTasks(context, run)).map(stepStatsOf);
}

/** A step of a run's execution plan: a task, and its inputs (one per upstream asset). */
export interface ExecutionStepModel {
  task: TaskRow;
  inputs: { name: string; dependsOn: ExecutionStepModel[] }[];
}

/** The run's plan as steps, in plan order, each linked to the steps it depends on. */
export async function runExecutionSteps(context: ApiContext, run: RunRow): Promise<ExecutionStepModel[]> {
  const tasks = await runTasks(context, run);
  const steps = new Map(
    tasks.map((task): [string, ExecutionStepModel] => [task.taskKey, { task, inputs: [] }]),
  );
  for (const step of steps.values()) {
    const byAsset = new Map<string, ExecutionStepModel[]>();
    for (const upstreamKey of step.task.dependsOn) {
      const upstream = steps.get(upstreamKey);
      if (upstream === undefined) continue;
      byAsset.set(upstream.task.assetKey, [...(byAsset.get(upstream.task.assetKey) ?? []), upstream]);
    }
    step.inputs = [...byAsset].map(([name, dependsOn]) => ({ name, dependsOn }));
  }
  return [...steps.values()];
}

export type RunStatsModel = {
  runId: string;
  stepsSucceeded: number;
  stepsFailed: number;
  materializations: number;
  enqueuedTime: number;
  launchTime: number | null;
  startTime: number | null;
  endTime: number | null;
};

/** Dagster's `RunStatsSnapshot`: step counts and the run's times; a materialization per partition. */
export async function runStats(context: ApiContext, run: RunRow): Promise<RunStatsModel> {
  let materializations = 0;
  for (const task of await runTasks(context, run)) {
    if (task.state === 'SUCCEEDED') materializations += Math.max(1, task.partitionKeys?.length ?? 0);
  }
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  return {
    runId: run.runId,
    stepsSucceeded: run.tasksSucceeded,
    stepsFailed: run.tasksFailed,
    materializations,
    enqueuedTime: run.createdAt / 1000,
    launchTime: seconds(run.admittedAt),
    startTime: seconds(run.startedAt),
    endTime: seconds(run.endedAt),
  };
}

/** Pools the run's tasks use (`allPools`), or only its first tasks' (`rootConcurrencyKeys`). */
export async function runPools(
  context: ApiContext,
  run: RunRow,
  rootsOnly: boolean,
): Promise<string[] | null> {
  const pools = new Set<string>();
  for (const task of await runTasks(context, run)) {
    if (task.pool !== null && (!rootsOnly || task.dependsOn.length === 0)) pools.add(task.pool);
  }
  return pools.size === 0 ? null : [...pools].sort();
}

/** Whether some first task of the run needs no pool slot. */
export async function hasUnconstrainedRootTasks(context: ApiContext, run: RunRow): Promise<boolean> {
  return (await runTasks(context, run)).some((task) => task.dependsOn.length === 0 && task.pool === null);
}

/** Whether the run holds pool slots now: admitted, not ended, and its tasks use a pool. */
export function holdsPoolSlots(run: RunRow): boolean {
  return run.admittedAt !== null && !isTerminalRun(run.status) && run.pools.length > 0;
}

/** Whether the run can still be terminated (a cooperative stop may still be forced). */
export function canTerminate(run: RunRow): boolean {
  return !isTerminalRun(run.status) && !run.forceCancel;
}

export function queuePlace(context: ApiContext, run: RunRow) {
  return runLoaders(context).queuePlace.load(run.runId);
}

/** Runs of the schedule or sensor behind an `InstigationState`, newest first. */
export function instigatorRuns(
  context: ApiContext,
  state: InstigationStateModel,
  limit: number | null | undefined,
): Promise<RunRow[]> {
  return runLoaders(context).instigatorRuns.load({
    instigatorId: state.instigatorId,
    limit: pageLimit(limit, MAX_RUN_PAGE),
  });
}

export function instigatorRunsCount(context: ApiContext, state: InstigationStateModel): Promise<number> {
  return runLoaders(context).instigatorRunsCount.load(state.instigatorId);
}

/** Dagster's `runningCount`: 1 while the schedule or sensor is running, else 0. */
export async function instigatorRunningCount(
  context: ApiContext,
  state: InstigationStateModel,
): Promise<number> {
  return (await instigationStatus(context, state)) === 'RUNNING' ? 1 : 0;
}
