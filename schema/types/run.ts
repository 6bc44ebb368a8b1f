import { ASSET_JOB_NAME } from '../../engine/queries/run-tags.js';
import { runUpdatedAt } from '../../engine/queries/runs.js';
import { canOperate } from '../../resolvers/backfills.js';
import { assetKeyOf } from '../../resolvers/models.js';
import { freshPerEvent } from '../../resolvers/request-caches.js';
import {
  canTerminate,
  hasUnconstrainedRootTasks,
  holdsPoolSlots,
  queuePlace,
  type RunStatsModel,
  runCodeLocationOf,
  runPools,
  runStats,
  runStepStats,
  runTagsOf,
} from '../../resolvers/runs.js';
import { changedRows } from '../../resolvers/subscriptions.js';
import { builder } from '../builder.js';
import { AssetKeyRef, AssetRef, RunRef, RunsFeedEntryRef } from '../refs.js';
import { PipelineTag, RepositoryOrigin, RunStatus, tagsOf } from './common.js';
import { PythonError } from './errors.js';
import { ExecutionPlan } from './execution-plan.js';
import { RunStepStats } from './step-stats.js';

/** Dagster's `AssetCheckhandle`. Servo has no asset checks: runs select none. */
export const AssetCheckhandle = builder
  .objectRef<{ name: string; assetKey: string }>('AssetCheckhandle')
  .implement({
    fields: (t) => ({
      name: t.exposeString('name'),
      assetKey: t.field({ type: AssetKeyRef, resolve: (check) => assetKeyOf(check.assetKey) }),
    }),
  });

/**
 * Dagster's `PipelineRun` interface, as far as `Run` (its one implementation) has its fields; the
 * fields resolve on `Run`.
 */
const PipelineRun = builder.interfaceRef<typeof RunRef.$inferType>('PipelineRun').implement({
  resolveType: () => 'Run',
  fields: (t) => ({
    id: t.id({}),
    runId: t.string({}),
    pipelineSnapshotId: t.string({ nullable: true }),
    repositoryOrigin: t.field({ type: RepositoryOrigin, nullable: true }),
    status: t.field({ type: RunStatus }),
    pipelineName: t.string({}),
    jobName: t.string({}),
    solidSelection: t.stringList({ nullable: true }),
    stepStats: t.field({ type: [RunStepStats] }),
    executionPlan: t.field({ type: ExecutionPlan, nullable: true }),
    stepKeysToExecute: t.stringList({ nullable: true }),
    runConfigYaml: t.string({}),
    mode: t.string({}),
    tags: t.field({ type: [PipelineTag] }),
    rootRunId: t.string({ nullable: true }),
    parentRunId: t.string({ nullable: true }),
    canTerminate: t.boolean({}),
  }),
});

const RunStatsSnapshot = builder.objectRef<RunStatsModel>('RunStatsSnapshot').implement({
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'stepsSucceeded' in value,
  fields: (t) => ({
    id: t.string({ resolve: (stats) => `stats-${stats.runId}` }),
    runId: t.exposeString('runId'),
    stepsSucceeded: t.exposeInt('stepsSucceeded'),
    stepsFailed: t.exposeInt('stepsFailed'),
    materializations: t.exposeInt('materializations'),
    expectations: t.int({ resolve: () => 0 }),
    enqueuedTime: t.float({ nullable: true, resolve: (stats) => stats.enqueuedTime }),
    launchTime: t.float({ nullable: true, resolve: (stats) => stats.launchTime }),
    startTime: t.float({ nullable: true, resolve: (stats) => stats.startTime }),
    endTime: t.float({ nullable: true, resolve: (stats) => stats.endTime }),
  }),
});

const RunStatsSnapshotOrError = builder.unionType('RunStatsSnapshotOrError', {
  types: [RunStatsSnapshot, PythonError],
});

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

/**
 * Dagster's `Run`: a Servo run materializes its asset selection (for its partitions) as one task
 * per asset and partition. Every run is a run of the asset job `__ASSET_JOB`, mode `default`, with
 * no run config; its steps are its tasks. See docs/graphql/runs.md.
 */
RunRef.implement({
  interfaces: [PipelineRun, RunsFeedEntryRef],
  isTypeOf: (value) =>
    (value as { __typename?: string }).__typename === 'Run' ||
    (typeof value === 'object' && value !== null && 'runKey' in value && 'taskKeys' in value),
  fields: (t) => ({
    id: t.id({ resolve: (run) => run.runId }),
    runId: t.exposeString('runId'),
    status: t.field({ type: RunStatus, resolve: (run) => run.status }),
    runStatus: t.field({ type: RunStatus, resolve: (run) => run.status }),
    pipelineName: t.string({ resolve: () => ASSET_JOB_NAME }),
    jobName: t.string({ resolve: () => ASSET_JOB_NAME }),
    mode: t.string({ resolve: () => 'default' }),
    solidSelection: t.stringList({ nullable: true, resolve: () => null }),
    resolvedOpSelection: t.stringList({ nullable: true, resolve: () => null }),
    stepKeysToExecute: t.stringList({
      nullable: true,
      description: 'Null: a Servo run executes every step (task) of its plan.',
      resolve: () => null,
    }),
    tags: t.field({
      type: [PipelineTag],
      description:
        'The tags the run was requested with, plus derived ones: dagster/schedule_name, dagster/sensor_name, dagster/backfill, dagster/partition (or dagster/asset_partition_range_start/_end), servo/lane, servo/run_key, servo/code_location.',
      resolve: async (run, _args, context) => tagsOf(await runTagsOf(context, run)),
    }),
    rootRunId: t.string({ nullable: true, resolve: () => null }),
    parentRunId: t.string({ nullable: true, resolve: () => null }),
    canTerminate: t.boolean({ resolve: (run) => canTerminate(run) }),
    creationTime: t.float({ resolve: (run) => run.createdAt / 1000 }),
    startTime: t.float({ nullable: true, resolve: (run) => seconds(run.startedAt) }),
    endTime: t.float({ nullable: true, resolve: (run) => seconds(run.endedAt) }),
    updateTime: t.float({ nullable: true, resolve: (run) => runUpdatedAt(run) / 1000 }),
    assetSelection: t.field({
      type: [AssetKeyRef],
      nullable: true,
      resolve: (run) => run.assetSelection.map(assetKeyOf),
    }),
    assets: t.field({
      type: [AssetRef],
      description: 'The assets the run materializes (its selection).',
      resolve: (run) => run.assetSelection.map((assetKey) => ({ assetKey })),
    }),
    assetCheckSelection: t.field({ type: [AssetCheckhandle], nullable: true, resolve: () => [] }),
    assetChecks: t.field({ type: [AssetCheckhandle], nullable: true, resolve: () => [] }),
    executionPlan: t.field({ type: ExecutionPlan, nullable: true, resolve: (run) => run }),
    stepStats: t.field({
      type: [RunStepStats],
      resolve: (run, _args, context) => runStepStats(context, run),
    }),
    stats: t.field({
      type: RunStatsSnapshotOrError,
      resolve: (run, _args, context) => runStats(context, run),
    }),
    repositoryOrigin: t.field({
      type: RepositoryOrigin,
      nullable: true,
      resolve: async (run, _args, context) => {
        const codeLocation = await runCodeLocationOf(context, run);
        return codeLocation === null ? null : { codeLocation };
      },
    }),
    runConfigYaml: t.string({ resolve: () => '{}\n' }),
    runConfig: t.field({ type: 'RunConfigData', resolve: () => ({}) }),
    pipelineSnapshotId: t.string({ nullable: true, resolve: () => null }),
    parentPipelineSnapshotId: t.string({ nullable: true, resolve: () => null }),
    hasReExecutePermission: t.boolean({
      description: 'False: Servo has no re-execution; launch a new run instead.',
      resolve: () => false,
    }),
    hasTerminatePermission: t.boolean({
      resolve: (_run, _args, context) => canOperate(context),
    }),
    hasDeletePermission: t.boolean({ resolve: (_run, _args, context) => canOperate(context) }),
    hasConcurrencyKeySlots: t.boolean({
      description: 'Whether the run holds pool slots now (admitted, not ended, its tasks use a pool).',
      resolve: (run) => holdsPoolSlots(run),
    }),
    allPools: t.stringList({
      nullable: true,
      description: 'The pools its tasks use (null when none does).',
      resolve: (run, _args, context) => runPools(context, run, false),
    }),
    rootConcurrencyKeys: t.stringList({
      nullable: true,
      description: 'The pools its first tasks (those with no upstream task) use.',
      resolve: (run, _args, context) => runPools(context, run, true),
    }),
    hasUnconstrainedRootNodes: t.boolean({
      resolve: (run, _args, context) => hasUnconstrainedRootTasks(context, run),
    }),
    hasRunMetricsEnabled: t.boolean({ resolve: () => false }),
    externalJobSource: t.string({ nullable: true, resolve: () => null }),
    queuePosition: t.int({
      nullable: true,
      description:
        "Servo: a queued run's 1-based place in admission order (runs admission would start now come first); null unless QUEUED.",
      resolve: async (run, _args, context) => (await queuePlace(context, run))?.position ?? null,
    }),
    queueReason: t.string({
      nullable: true,
      description: 'Servo: why a queued run waits (a full pool, a rate limit, …); null unless QUEUED.',
      resolve: async (run, _args, context) => (await queuePlace(context, run))?.reason ?? null,
    }),
  }),
});

builder.subscriptionField('runStatus', (t) =>
  t.field({
    type: RunRef,
    description:
      'Each run whose status or progress changes, as it changes (one run when `runId` is given, else every run of the workspace). Changes made by any Servo process are delivered.',
    args: { runId: t.arg.string() },
    subscribe: (_root, args, context) =>
      freshPerEvent(
        context,
        changedRows(context.workspace, 'runs', (key) => args.runId == null || key === args.runId),
      ),
    resolve: (run) => run,
  }),
);
