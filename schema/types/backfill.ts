import { backfillProgress } from '../../resolvers/backfill-progress.js';
import {
  backfillChunks,
  backfillCounts,
  backfillEndTimestamp,
  backfillError,
  backfillLog,
  backfillPartitionStatusList,
  backfillRunStatusOf,
  backfillRuns,
  backfillState,
  backfillStatus,
  canOperate,
  getBackfill,
  listBackfills,
  numCancelable,
  partitionNames,
  partitionStatusCounts,
  partitionStatusPage,
  partitionsTargetedForAssetKey,
} from '../../resolvers/backfills.js';
import { assetKeyOf } from '../../resolvers/models.js';
import { freshPerEvent } from '../../resolvers/request-caches.js';
import { builder } from '../builder.js';
import { AssetKeyRef, PartitionBackfillRef, PartitionSetRef, RunRef, RunsFeedEntryRef } from '../refs.js';
import {
  AssetBackfillData,
  AssetBackfillTargetPartitions,
  BackfillChunk,
  BackfillCountsRef,
  BackfillPartitionPageRef,
  BackfillState,
} from './backfill-progress.js';
import { AssetKeyInput, BulkActionStatus, PipelineTag, RunStatus, tagsOf } from './common.js';
import { ErrorInterface, PythonError } from './errors.js';
import { InstigationEventConnection } from './instigation-event.js';
import { PartitionStatusCounts, PartitionStatuses } from './partition-status.js';

/**
 * Dagster's `PartitionBackfill`. Servo's backfills are asset backfills: a compact selector over the
 * partitions of assets that share one definition, planned chunk by chunk, one run per chunk. They
 * have no partition set (as Dagster's asset backfills); PAUSED shows as REQUESTED in `status` and
 * as PAUSED in Servo's `state`.
 */
PartitionBackfillRef.implement({
  interfaces: [RunsFeedEntryRef],
  isTypeOf: (value) =>
    (value as { __typename?: string }).__typename === 'PartitionBackfill' ||
    (typeof value === 'object' && value !== null && 'backfillId' in value && 'selector' in value),
  fields: (t) => ({
    id: t.id({ resolve: (backfill) => backfill.backfillId }),
    status: t.field({ type: BulkActionStatus, resolve: (backfill) => backfillStatus(backfill) }),
    runStatus: t.field({
      type: RunStatus,
      description: 'The state on the run scale of the runs feed (in progress is STARTED).',
      resolve: (backfill) => backfillRunStatusOf(backfill),
    }),
    timestamp: t.float({ resolve: (backfill) => backfill.createdAt / 1000 }),
    creationTime: t.float({ resolve: (backfill) => backfill.createdAt / 1000 }),
    startTime: t.float({ nullable: true, resolve: (backfill) => backfill.createdAt / 1000 }),
    endTimestamp: t.float({ nullable: true, resolve: (backfill) => backfillEndTimestamp(backfill) }),
    endTime: t.float({ nullable: true, resolve: (backfill) => backfillEndTimestamp(backfill) }),
    numPartitions: t.int({ nullable: true, resolve: (backfill) => backfill.totalPartitions }),
    partitionNames: t.stringList({
      nullable: true,
      description:
        'The targeted partition keys in selection order; null for a backfill of more than 1,000 partitions (see partitionsTargetedForAssetKey and partitionStatusPage).',
      resolve: (backfill, _args, context) => partitionNames(context, backfill),
    }),
    numCancelable: t.int({
      description:
        'Partitions not requested yet that canceling would keep from running (0 once it cannot be canceled).',
      resolve: (backfill) => numCancelable(backfill),
    }),
    isValidSerialization: t.boolean({ resolve: () => true }),
    fromFailure: t.boolean({
      description: 'Whether it retries the failed partitions of another backfill (parentBackfillId).',
      resolve: (backfill) => backfill.parentBackfillId !== null,
    }),
    reexecutionSteps: t.stringList({ nullable: true, resolve: () => null }),
    partitionSetName: t.string({ nullable: true, resolve: () => null }),
    partitionSet: t.field({ type: PartitionSetRef, nullable: true, resolve: () => null }),
    jobName: t.string({ nullable: true, resolve: () => null }),
    assetSelection: t.field({
      type: [AssetKeyRef],
      nullable: true,
      resolve: (backfill) => backfill.assetSelection.map(assetKeyOf),
    }),
    runs: t.field({
      type: [RunRef],
      description: 'The runs of its chunks, newest chunk first (at most `limit`, default and maximum 1,000).',
      args: { limit: t.arg.int() },
      resolve: (backfill, args, context) => backfillRuns(context, backfill, 'all', args.limit),
    }),
    unfinishedRuns: t.field({
      type: [RunRef],
      args: { limit: t.arg.int() },
      resolve: (backfill, args, context) => backfillRuns(context, backfill, 'unfinished', args.limit),
    }),
    cancelableRuns: t.field({
      type: [RunRef],
      args: { limit: t.arg.int() },
      resolve: (backfill, args, context) => backfillRuns(context, backfill, 'cancelable', args.limit),
    }),
    error: t.field({
      type: PythonError,
      nullable: true,
      description: 'Why a FAILED backfill stopped planning, as things stand now.',
      resolve: (backfill, _args, context) => backfillError(context, backfill),
    }),
    partitionStatuses: t.field({
      type: PartitionStatuses,
      nullable: true,
      description:
        'Each targeted partition with the run of its chunk; null for a backfill of more than 1,000 partitions (see partitionStatusPage).',
      resolve: (backfill, _args, context) => backfillPartitionStatusList(context, backfill),
    }),
    partitionStatusCounts: t.field({
      type: [PartitionStatusCounts],
      description:
        'Partitions by the status of the run of their chunk; NOT_STARTED for those not requested yet.',
      resolve: (backfill, _args, context) => partitionStatusCounts(context, backfill),
    }),
    partitionsTargetedForAssetKey: t.field({
      type: AssetBackfillTargetPartitions,
      nullable: true,
      args: { assetKey: t.arg({ type: AssetKeyInput }) },
      resolve: (backfill, args, context) => partitionsTargetedForAssetKey(context, backfill, args.assetKey),
    }),
    isAssetBackfill: t.boolean({ resolve: () => true }),
    assetBackfillData: t.field({
      type: AssetBackfillData,
      nullable: true,
      resolve: (backfill) => ({ backfill }),
    }),
    hasCancelPermission: t.boolean({ resolve: (_backfill, _args, context) => canOperate(context) }),
    hasResumePermission: t.boolean({ resolve: (_backfill, _args, context) => canOperate(context) }),
    user: t.string({ nullable: true, resolve: (backfill) => backfill.requestedBy }),
    title: t.string({ nullable: true, resolve: (backfill) => backfill.title }),
    description: t.string({ nullable: true, resolve: (backfill) => backfill.description }),
    tags: t.field({ type: [PipelineTag], resolve: (backfill) => tagsOf(backfill.tags) }),
    logEvents: t.field({
      type: InstigationEventConnection,
      description:
        'Its log, derived from what Servo records: creation, each chunk planned and ended, and its end (200 events a page).',
      args: { cursor: t.arg.string() },
      resolve: (backfill, args, context) => backfillLog(context, backfill, args.cursor),
    }),
    // Servo's own fields.
    state: t.field({
      type: BackfillState,
      description: "Servo's state, with PAUSED (which `status` shows as REQUESTED).",
      resolve: (backfill) => backfillState(backfill),
    }),
    counts: t.field({ type: BackfillCountsRef, resolve: (backfill) => backfillCounts(backfill) }),
    chunkSize: t.exposeInt('chunkSize', { description: 'Partitions per chunk; one chunk is one run.' }),
    maxConcurrentRuns: t.exposeInt('maxConcurrentRuns'),
    singleRun: t.exposeBoolean('singleRun'),
    parentBackfillId: t.exposeString('parentBackfillId', { nullable: true }),
    chunks: t.field({
      type: [BackfillChunk],
      description: 'Its planned chunks by index from `offset` (default 50, at most 1,000).',
      args: { offset: t.arg.int(), limit: t.arg.int() },
      resolve: (backfill, args, context) => backfillChunks(context, backfill, args),
    }),
    partitionStatusPage: t.field({
      type: BackfillPartitionPageRef,
      description:
        'Where each targeted partition stands, from position `offset` (default 100, at most 1,000 a page): for `assetKey`, or the worst over its assets.',
      args: { offset: t.arg.int(), limit: t.arg.int(), assetKey: t.arg({ type: AssetKeyInput }) },
      resolve: (backfill, args, context) => partitionStatusPage(context, backfill, args),
    }),
  }),
});

export const BackfillNotFoundError = builder
  .objectRef<{ __typename: 'BackfillNotFoundError'; message: string; backfillId: string }>(
    'BackfillNotFoundError',
  )
  .implement({
    interfaces: [ErrorInterface],
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'BackfillNotFoundError',
    fields: (t) => ({ message: t.exposeString('message'), backfillId: t.exposeString('backfillId') }),
  });

const PartitionBackfillOrError = builder.unionType('PartitionBackfillOrError', {
  types: [PartitionBackfillRef, BackfillNotFoundError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const PartitionBackfills = builder
  .objectRef<{ __typename: 'PartitionBackfills'; results: (typeof PartitionBackfillRef.$inferType)[] }>(
    'PartitionBackfills',
  )
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'PartitionBackfills',
    fields: (t) => ({ results: t.field({ type: [PartitionBackfillRef], resolve: (page) => page.results }) }),
  });

const PartitionBackfillsOrError = builder.unionType('PartitionBackfillsOrError', {
  types: [PartitionBackfills, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const BulkActionsFilter = builder.inputType('BulkActionsFilter', {
  fields: (t) => ({
    statuses: t.field({ type: [BulkActionStatus] }),
    createdBefore: t.float({ description: 'Epoch seconds.' }),
    createdAfter: t.float({ description: 'Epoch seconds.' }),
  }),
});

builder.queryFields((t) => ({
  partitionBackfillOrError: t.field({
    type: PartitionBackfillOrError,
    args: { backfillId: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => getBackfill(context, args.backfillId),
  }),
  partitionBackfillsOrError: t.field({
    type: PartitionBackfillsOrError,
    description:
      'Backfills, newest first (default 50, at most 1,000 a page); `cursor` is the last id of the previous page. REQUESTED includes PAUSED backfills; COMPLETED matches both outcomes.',
    args: {
      status: t.arg({ type: BulkActionStatus }),
      cursor: t.arg.string(),
      limit: t.arg.int(),
      filters: t.arg({ type: BulkActionsFilter }),
    },
    resolve: (_root, args, context) => listBackfills(context, args),
  }),
}));

builder.subscriptionField('backfillProgress', (t) =>
  t.field({
    type: PartitionBackfillRef,
    description:
      'The backfill now, then again each time it or one of its chunks changes (in any Servo process); completes after it reaches COMPLETED_SUCCESS, COMPLETED_FAILED or CANCELED.',
    args: { backfillId: t.arg.string({ required: true }) },
    subscribe: (_root, args, context) => freshPerEvent(context, backfillProgress(context, args.backfillId)),
    resolve: (backfill) => backfill,
  }),
);
