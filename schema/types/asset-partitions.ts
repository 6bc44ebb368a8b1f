import { assetKeyOf, assetKeyString } from '../../resolvers/models.js';
import {
  type AssetPartitionStatusesModel,
  type AssetPartitionStatusUpdateModel,
  assetPartitionStatusUpdates,
  assetStatusSnapshot,
  type DefaultPartitionStatusesModel,
  type MultiPartitionStatusesModel,
  type PartitionStatsModel,
  type Range2DModel,
  type TimePartitionStatusesModel,
  type TimeRangeModel,
} from '../../resolvers/partition-statuses.js';
import { freshPerEvent } from '../../resolvers/request-caches.js';
import { builder } from '../builder.js';
import { AssetKeyRef, AssetNodeRef } from '../refs.js';
import { AssetKeyInput } from './common.js';

/**
 * The status of every partition of an asset (Dagster's `assetPartitionStatuses`), its counts
 * (`partitionStats`) and the `assetPartitionStatus` subscription. A partition is MATERIALIZING
 * while a run that plans it runs, FAILED when its newest attempt failed after its last
 * materialization, MATERIALIZED when it has been materialized since; anything else is missing.
 */

export const PartitionRangeStatus = builder.enumType('PartitionRangeStatus', {
  values: ['MATERIALIZING', 'MATERIALIZED', 'FAILED'] as const,
});

const isTyped = (name: string) => (value: unknown) => (value as { __typename?: string }).__typename === name;

const TimePartitionRangeStatus = builder.objectRef<TimeRangeModel>('TimePartitionRangeStatus').implement({
  description: 'Contiguous time-window partitions with one status; times are epoch seconds.',
  fields: (t) => ({
    startTime: t.exposeFloat('startTime'),
    endTime: t.exposeFloat('endTime'),
    startKey: t.exposeString('startKey'),
    endKey: t.exposeString('endKey'),
    status: t.field({ type: PartitionRangeStatus, resolve: (range) => range.status }),
  }),
});

const TimePartitionStatuses = builder
  .objectRef<TimePartitionStatusesModel>('TimePartitionStatuses')
  .implement({
    description:
      'Ranges of materialized, failed and materializing windows; the windows not in a range are missing.',
    isTypeOf: isTyped('TimePartitionStatuses'),
    fields: (t) => ({
      ranges: t.field({ type: [TimePartitionRangeStatus], resolve: (statuses) => statuses.ranges }),
    }),
  });

const DefaultPartitionStatuses = builder
  .objectRef<DefaultPartitionStatusesModel>('DefaultPartitionStatuses')
  .implement({
    description:
      'Static and dynamic partition keys by status. An unpartitioned asset has this type with every list empty (its own status is on `Asset` and in the `assetPartitionStatus` subscription).',
    isTypeOf: isTyped('DefaultPartitionStatuses'),
    fields: (t) => ({
      materializedPartitions: t.exposeStringList('materializedPartitions'),
      failedPartitions: t.exposeStringList('failedPartitions'),
      unmaterializedPartitions: t.exposeStringList('unmaterializedPartitions'),
      materializingPartitions: t.exposeStringList('materializingPartitions'),
    }),
  });

const PartitionStatus1D = builder.unionType('PartitionStatus1D', {
  types: [TimePartitionStatuses, DefaultPartitionStatuses],
  resolveType: (value) => value.__typename,
});

const MaterializedPartitionRangeStatuses2D = builder
  .objectRef<Range2DModel>('MaterializedPartitionRangeStatuses2D')
  .implement({
    description: "Primary-dimension keys over which the secondary dimension's statuses are the same.",
    fields: (t) => ({
      primaryDimStartKey: t.exposeString('primaryDimStartKey'),
      primaryDimEndKey: t.exposeString('primaryDimEndKey'),
      primaryDimStartTime: t.exposeFloat('primaryDimStartTime', { nullable: true }),
      primaryDimEndTime: t.exposeFloat('primaryDimEndTime', { nullable: true }),
      secondaryDim: t.field({ type: PartitionStatus1D, resolve: (range) => range.secondaryDim }),
    }),
  });

const MultiPartitionStatuses = builder
  .objectRef<MultiPartitionStatusesModel>('MultiPartitionStatuses')
  .implement({
    description:
      'Statuses of a two-dimensional partitions definition; the primary dimension is the time one, if any.',
    isTypeOf: isTyped('MultiPartitionStatuses'),
    fields: (t) => ({
      ranges: t.field({
        type: [MaterializedPartitionRangeStatuses2D],
        resolve: (statuses) => statuses.ranges,
      }),
      primaryDimensionName: t.exposeString('primaryDimensionName'),
    }),
  });

export const AssetPartitionStatuses = builder.unionType('AssetPartitionStatuses', {
  types: [DefaultPartitionStatuses, MultiPartitionStatuses, TimePartitionStatuses],
  resolveType: (value: AssetPartitionStatusesModel) => value.__typename,
});

export const PartitionStats = builder.objectRef<PartitionStatsModel>('PartitionStats').implement({
  fields: (t) => ({
    numMaterialized: t.exposeInt('numMaterialized'),
    numPartitions: t.exposeInt('numPartitions'),
    numFailed: t.exposeInt('numFailed'),
    numMaterializing: t.exposeInt('numMaterializing'),
  }),
});

builder.objectFields(AssetNodeRef, (t) => ({
  assetPartitionStatuses: t.field({
    type: AssetPartitionStatuses,
    resolve: async (asset, _args, context) => (await assetStatusSnapshot(context, asset.assetKey)).statuses,
  }),
  partitionStats: t.field({
    type: PartitionStats,
    nullable: true,
    description: 'Counts of partitions by status; null when the asset is not partitioned.',
    resolve: async (asset, _args, context) => (await assetStatusSnapshot(context, asset.assetKey)).stats,
  }),
}));

const AssetPartitionStatusUpdate = builder
  .objectRef<AssetPartitionStatusUpdateModel>('AssetPartitionStatusUpdate')
  .implement({
    description: "A change to an asset's partitions, with the asset's statuses after it.",
    fields: (t) => ({
      assetKey: t.field({ type: AssetKeyRef, resolve: (update) => assetKeyOf(update.assetKey) }),
      partitionKeys: t.stringList({
        description:
          'The partitions that changed status or were added or deleted (empty in the first update and for an unpartitioned asset).',
        resolve: (update) => update.partitionKeys,
      }),
      assetPartitionStatuses: t.field({
        type: AssetPartitionStatuses,
        resolve: (update) => update.snapshot.statuses,
      }),
      partitionStats: t.field({
        type: PartitionStats,
        nullable: true,
        resolve: (update) => update.snapshot.stats,
      }),
      unpartitionedStatus: t.field({
        type: PartitionRangeStatus,
        nullable: true,
        description:
          "An unpartitioned asset's status; null when it is partitioned or was never materialized.",
        resolve: (update) =>
          update.snapshot.unpartitioned === null || update.snapshot.unpartitioned === 'MISSING'
            ? null
            : update.snapshot.unpartitioned,
      }),
      timestamp: t.float({
        description: 'When the change was delivered, epoch seconds.',
        resolve: (update) => update.at / 1000,
      }),
    }),
  });

builder.subscriptionField('assetPartitionStatus', (t) =>
  t.field({
    type: AssetPartitionStatusUpdate,
    description:
      "The asset's partition statuses each time one of its partitions changes (a run materializes, fails or starts planning it; a dynamic partition is added or deleted), whichever Servo process made the change. The first update is the current state, with no changed partitions.",
    args: { assetKey: t.arg({ type: AssetKeyInput, required: true }) },
    subscribe: (_root, args, context) =>
      freshPerEvent(context, assetPartitionStatusUpdates(context, assetKeyString(args.assetKey))),
    resolve: (update) => update,
  }),
);
