import type { BackfillRow } from '../../engine/projections/tables/index.js';
import type { TargetedPartitions } from '../../engine/queries/backfill-details.js';
import type { BackfillCounts, BackfillPartitionPage, ChunkView } from '../../engine/queries/backfills.js';
import { type AssetPartitionsStatusCountsModel, assetBackfillStatuses } from '../../resolvers/backfills.js';
import { assetKeyOf } from '../../resolvers/models.js';
import { builder } from '../builder.js';
import { AssetKeyRef } from '../refs.js';
import { PartitionKeyRange } from './partition-status.js';

/**
 * Where a backfill stands: Dagster's asset backfill data (targeted partitions as ranges or keys,
 * and per asset the partitions targeted, in progress, materialized and failed), and Servo's own
 * views — its state with PAUSED, its partition and chunk counters, its chunks and a paged status of
 * every targeted partition.
 */

export const AssetBackfillTargetPartitions = builder
  .objectRef<TargetedPartitions>('AssetBackfillTargetPartitions')
  .implement({
    description:
      'The partitions a backfill targets: ranges (time windows, and static keys beyond 10,000) or the keys themselves. Both are null when the target cannot be described without listing more than 10,000 keys.',
    fields: (t) => ({
      ranges: t.field({ type: [PartitionKeyRange], nullable: true, resolve: (target) => target.ranges }),
      partitionKeys: t.stringList({ nullable: true, resolve: (target) => target.partitionKeys }),
    }),
  });

export const AssetPartitionsStatusCounts = builder
  .objectRef<AssetPartitionsStatusCountsModel>('AssetPartitionsStatusCounts')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'AssetPartitionsStatusCounts',
    fields: (t) => ({
      assetKey: t.field({ type: AssetKeyRef, resolve: (counts) => assetKeyOf(counts.assetKey) }),
      numPartitionsTargeted: t.exposeInt('targeted'),
      numPartitionsInProgress: t.exposeInt('inProgress', {
        description: 'Requested (their chunk is planned) and not ended yet.',
      }),
      numPartitionsMaterialized: t.exposeInt('materialized'),
      numPartitionsFailed: t.exposeInt('failed'),
      numPartitionsCanceled: t.exposeInt('canceled', {
        description: 'Servo: partitions whose chunk run was canceled before materializing them.',
      }),
    }),
  });

interface UnpartitionedAssetStatusModel {
  readonly __typename: 'UnpartitionedAssetStatus';
  assetKey: string;
  inProgress: boolean;
  materialized: boolean;
  failed: boolean;
}

/** Every asset of a Servo backfill is partitioned; the type exists for Dagster clients' fragments. */
export const UnpartitionedAssetStatus = builder
  .objectRef<UnpartitionedAssetStatusModel>('UnpartitionedAssetStatus')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'UnpartitionedAssetStatus',
    fields: (t) => ({
      assetKey: t.field({ type: AssetKeyRef, resolve: (status) => assetKeyOf(status.assetKey) }),
      inProgress: t.exposeBoolean('inProgress'),
      materialized: t.exposeBoolean('materialized'),
      failed: t.exposeBoolean('failed'),
    }),
  });

export const AssetBackfillStatus = builder.unionType('AssetBackfillStatus', {
  types: [AssetPartitionsStatusCounts, UnpartitionedAssetStatus],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

export const AssetBackfillData = builder.objectRef<{ backfill: BackfillRow }>('AssetBackfillData').implement({
  fields: (t) => ({
    assetBackfillStatuses: t.field({
      type: [AssetBackfillStatus],
      resolve: (data, _args, context) => assetBackfillStatuses(context, data.backfill),
    }),
    rootTargetedPartitions: t.field({
      type: AssetBackfillTargetPartitions,
      nullable: true,
      resolve: (data, _args, context) =>
        context.loaders.backfills.targetedPartitions.load({
          backfillId: data.backfill.backfillId,
          now: context.now().getTime(),
        }),
    }),
  }),
});

export const BackfillState = builder.enumType('BackfillState', {
  description:
    "Servo's backfill states: Dagster's BulkActionStatus values it uses, plus PAUSED (no new chunks are planned; running chunks finish).",
  values: [
    'REQUESTED',
    'PAUSED',
    'CANCELING',
    'CANCELED',
    'COMPLETED_SUCCESS',
    'COMPLETED_FAILED',
    'FAILED',
  ] as const,
});

export const BackfillCountsRef = builder.objectRef<BackfillCounts>('BackfillCounts').implement({
  description: "A backfill's progress in partitions and in chunks (one chunk is one run).",
  fields: (t) => ({
    totalPartitions: t.exposeInt('totalPartitions'),
    requestedPartitions: t.exposeInt('requestedPartitions', { description: 'In planned chunks.' }),
    notRequestedPartitions: t.exposeInt('notRequestedPartitions'),
    inProgressPartitions: t.exposeInt('inProgressPartitions'),
    materializedPartitions: t.exposeInt('materializedPartitions'),
    failedPartitions: t.exposeInt('failedPartitions'),
    canceledPartitions: t.exposeInt('canceledPartitions'),
    totalChunks: t.exposeInt('totalChunks'),
    plannedChunks: t.exposeInt('plannedChunks'),
    queuedChunks: t.exposeInt('queuedChunks', { description: 'Planned, their run not admitted yet.' }),
    runningChunks: t.exposeInt('runningChunks'),
    succeededChunks: t.exposeInt('succeededChunks'),
    failedChunks: t.exposeInt('failedChunks'),
    canceledChunks: t.exposeInt('canceledChunks'),
  }),
});

export const BackfillChunkState = builder.enumType('BackfillChunkState', {
  values: ['PLANNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const,
});

export const BackfillChunk = builder.objectRef<ChunkView>('BackfillChunk').implement({
  description: 'A planned chunk of a backfill: a run over consecutive partitions of the selection.',
  fields: (t) => ({
    chunkIndex: t.exposeInt('chunkIndex'),
    state: t.field({
      type: BackfillChunkState,
      resolve: (chunk) => chunk.state as typeof BackfillChunkState.$inferType,
    }),
    runId: t.exposeString('runId'),
    runKey: t.exposeString('runKey'),
    partitionCount: t.exposeInt('partitionCount'),
    firstPartition: t.exposeString('firstPartition', { nullable: true }),
    lastPartition: t.exposeString('lastPartition', { nullable: true }),
    failedPartitions: t.exposeStringList('failedPartitions'),
    plannedTimestamp: t.float({ resolve: (chunk) => chunk.plannedAt / 1000 }),
    endTimestamp: t.float({
      nullable: true,
      resolve: (chunk) => (chunk.endedAt === null ? null : chunk.endedAt / 1000),
    }),
  }),
});

export const BackfillPartitionState = builder.enumType('BackfillPartitionState', {
  values: ['NOT_REQUESTED', 'REQUESTED', 'IN_PROGRESS', 'MATERIALIZED', 'FAILED', 'CANCELED'] as const,
});

type PartitionEntry = BackfillPartitionPage['partitions'][number];

export const BackfillPartition = builder.objectRef<PartitionEntry>('BackfillPartition').implement({
  fields: (t) => ({
    partitionKey: t.exposeString('partitionKey'),
    state: t.field({ type: BackfillPartitionState, resolve: (partition) => partition.status }),
    chunkIndex: t.exposeInt('chunkIndex'),
    runId: t.exposeString('runId', { nullable: true }),
  }),
});

export const BackfillPartitionPageRef = builder
  .objectRef<BackfillPartitionPage>('BackfillPartitionPage')
  .implement({
    description:
      'A page of the partitions a backfill targets, in selection order, each with where it stands. Pages are computed from the stored selector, so a late page of a huge backfill costs as much as the first.',
    fields: (t) => ({
      total: t.exposeInt('total'),
      offset: t.exposeInt('offset'),
      results: t.field({ type: [BackfillPartition], resolve: (page) => page.partitions }),
      unresolvable: t.string({
        nullable: true,
        description:
          'Set when partitions not planned yet can no longer be listed (the selection no longer resolves): the page then ends at the planned ones.',
        resolve: (page) => page.unresolvable ?? null,
      }),
    }),
  });
