import {
  cancelPartitionBackfill,
  launchPartitionBackfill,
  pausePartitionBackfill,
  reexecutePartitionBackfill,
  resumePartitionBackfill,
} from '../../resolvers/backfill-mutations.js';
import type { Typed } from '../../resolvers/errors.js';
import { builder } from '../builder.js';
import { BackfillNotFoundError } from './backfill.js';
import { AssetKeyInput, ExecutionTag, RepositorySelector } from './common.js';
import { PythonError, UnauthorizedError } from './errors.js';
import { PartitionKeysNotFoundError, PIPELINE_EXECUTION_ERRORS } from './execution-errors.js';
import { PartitionSetNotFoundError } from './partition-set.js';

/**
 * Launching and steering backfills: Dagster's `launchPartitionBackfill`, `cancelPartitionBackfill`,
 * `resumePartitionBackfill` and `reexecutePartitionBackfill`, and Servo's `pausePartitionBackfill`.
 * All need the operator role (a viewer gets `UnauthorizedError`); a refused request records nothing.
 */

const PartitionRangeSelector = builder.inputType('PartitionRangeSelector', {
  description:
    'An inclusive range of partition keys, e.g. 2025-01-01 … 2025-12-31 (never expanded into a list).',
  fields: (t) => ({
    start: t.string({ required: true }),
    end: t.string({ required: true }),
  }),
});

export const PartitionsSelector = builder.inputType('PartitionsSelector', {
  description:
    'Which partitions: one range, or several (merged where they overlap). Give exactly one of the two. On two-dimensional partitions a range applies to the time dimension.',
  fields: (t) => ({
    range: t.field({ type: PartitionRangeSelector }),
    ranges: t.field({ type: [PartitionRangeSelector] }),
  }),
});

const PartitionsByAssetSelector = builder.inputType('PartitionsByAssetSelector', {
  description: 'An asset and its partitions (all of them when `partitions` is left out).',
  fields: (t) => ({
    assetKey: t.field({ type: AssetKeyInput, required: true }),
    partitions: t.field({ type: PartitionsSelector }),
  }),
});

const PartitionSetSelector = builder.inputType('PartitionSetSelector', {
  fields: (t) => ({
    partitionSetName: t.string({ required: true }),
    repositorySelector: t.field({ type: RepositorySelector, required: true }),
  }),
});

const LaunchBackfillParams = builder.inputType('LaunchBackfillParams', {
  description:
    'What to backfill: `partitionsByAssets` (every asset with the same partitions), or `assetSelection` (or a partition set `selector`) with `partitionNames` or `allPartitions`. Servo adds chunking and an idempotency token.',
  fields: (t) => ({
    selector: t.field({ type: PartitionSetSelector }),
    partitionNames: t.stringList(),
    partitionsByAssets: t.field({
      type: [PartitionsByAssetSelector],
      required: { list: false, items: false },
    }),
    reexecutionSteps: t.stringList({
      description: 'Not supported: a backfill runs every asset of its selection.',
    }),
    assetSelection: t.field({ type: [AssetKeyInput] }),
    fromFailure: t.boolean({
      description: 'Not a launch option: use reexecutePartitionBackfill with FROM_FAILURE.',
    }),
    allPartitions: t.boolean(),
    tags: t.field({ type: [ExecutionTag], description: 'Copied onto every run of the backfill.' }),
    forceSynchronousSubmission: t.boolean({
      description: 'Ignored: chunks are planned as soon as the backfill is recorded.',
    }),
    title: t.string(),
    description: t.string(),
    chunkSize: t.int({ description: 'Servo: partitions per chunk, i.e. per run (default 25).' }),
    maxConcurrentRuns: t.int({ description: 'Servo: chunk runs in flight at once (default 10).' }),
    singleRun: t.boolean({
      description: 'Servo: one run for the whole selection (at most 100,000 partitions).',
    }),
    requestId: t.string({
      description:
        'Servo: idempotency token — launching again with it returns the same backfill and records nothing.',
    }),
  }),
});

const ReexecutionStrategy = builder.enumType('ReexecutionStrategy', {
  values: ['FROM_ASSET_FAILURE', 'FROM_FAILURE', 'ALL_STEPS'] as const,
});

const ReexecutionParams = builder.inputType('ReexecutionParams', {
  description:
    'For a backfill, `parentRunId` is the backfill id. FROM_FAILURE and FROM_ASSET_FAILURE retry its failed partitions in a child backfill; ALL_STEPS launches a new backfill of the same selection.',
  fields: (t) => ({
    parentRunId: t.string({ required: true }),
    strategy: t.field({ type: ReexecutionStrategy, required: true }),
    extraTags: t.field({ type: [ExecutionTag] }),
    useParentRunTags: t.boolean(),
  }),
});

function success<N extends string>(name: N) {
  return builder.objectRef<Typed<N, { backfillId: string }>>(name).implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === name,
    fields: (t) => ({ backfillId: t.exposeString('backfillId') }),
  });
}

const LaunchBackfillSuccess = builder
  .objectRef<Typed<'LaunchBackfillSuccess', { backfillId: string; launchedRunIds: string[] | null }>>(
    'LaunchBackfillSuccess',
  )
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'LaunchBackfillSuccess',
    fields: (t) => ({
      backfillId: t.exposeString('backfillId'),
      launchedRunIds: t.stringList({
        nullable: { list: true, items: true },
        description: 'Null: chunk runs are requested by the planner after the backfill is recorded.',
        resolve: (result) => result.launchedRunIds,
      }),
    }),
  });

const CancelBackfillSuccess = success('CancelBackfillSuccess');
const ResumeBackfillSuccess = success('ResumeBackfillSuccess');
const PauseBackfillSuccess = success('PauseBackfillSuccess');

const resolveType = (value: unknown) => (value as { __typename: string }).__typename;

const LaunchBackfillResult = builder.unionType('LaunchBackfillResult', {
  types: [
    LaunchBackfillSuccess,
    PartitionSetNotFoundError,
    PartitionKeysNotFoundError,
    UnauthorizedError,
    PythonError,
    ...PIPELINE_EXECUTION_ERRORS,
  ],
  resolveType,
});

const CancelBackfillResult = builder.unionType('CancelBackfillResult', {
  types: [CancelBackfillSuccess, UnauthorizedError, PythonError],
  resolveType,
});

const ResumeBackfillResult = builder.unionType('ResumeBackfillResult', {
  types: [ResumeBackfillSuccess, UnauthorizedError, PythonError],
  resolveType,
});

const PauseBackfillResult = builder.unionType('PauseBackfillResult', {
  types: [PauseBackfillSuccess, BackfillNotFoundError, UnauthorizedError, PythonError],
  resolveType,
});

builder.mutationFields((t) => ({
  launchPartitionBackfill: t.field({
    type: LaunchBackfillResult,
    description:
      'Launches a backfill (operator). Ranges are stored as a compact selector: a backfill of a million partitions is one small event.',
    args: { backfillParams: t.arg({ type: LaunchBackfillParams, required: true }) },
    resolve: (_root, args, context) => launchPartitionBackfill(context, args.backfillParams),
  }),
  cancelPartitionBackfill: t.field({
    type: CancelBackfillResult,
    description:
      'Cancels a REQUESTED, PAUSED or FAILED backfill (operator): nothing new is planned and its runs that have not ended are asked to stop; CANCELING until none is active.',
    args: { backfillId: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => cancelPartitionBackfill(context, args.backfillId),
  }),
  resumePartitionBackfill: t.field({
    type: ResumeBackfillResult,
    description: 'Resumes a PAUSED or FAILED backfill (operator): planning continues where it stopped.',
    args: { backfillId: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => resumePartitionBackfill(context, args.backfillId),
  }),
  reexecutePartitionBackfill: t.field({
    type: LaunchBackfillResult,
    description:
      'Re-executes a backfill (operator): FROM_FAILURE / FROM_ASSET_FAILURE retry its failed partitions, ALL_STEPS runs its whole selection again as a new backfill.',
    args: { reexecutionParams: t.arg({ type: ReexecutionParams }) },
    resolve: (_root, args, context) => reexecutePartitionBackfill(context, args.reexecutionParams),
  }),
  pausePartitionBackfill: t.field({
    type: PauseBackfillResult,
    description:
      'Servo: pauses a REQUESTED backfill (operator). No new chunks are planned; running chunks finish. Resume with resumePartitionBackfill.',
    args: { backfillId: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => pausePartitionBackfill(context, args.backfillId),
  }),
}));
