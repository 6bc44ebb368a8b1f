import { assetKeyOf } from '../../resolvers/models.js';
import { AssetKeyRef, PartitionBackfillRef } from '../refs.js';
import { BulkActionStatus, PipelineTag, tagsOf } from './common.js';

/** Dagster's `PartitionBackfill`: an asset backfill over a partition range. */
PartitionBackfillRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (backfill) => backfill.backfillId }),
    status: t.field({
      type: BulkActionStatus,
      resolve: (backfill) => backfill.state as typeof BulkActionStatus.$inferType,
    }),
    timestamp: t.float({ resolve: (backfill) => backfill.createdAt / 1000 }),
    endTimestamp: t.float({
      nullable: true,
      resolve: (backfill) => (backfill.endedAt === null ? null : backfill.endedAt / 1000),
    }),
    numPartitions: t.int({ nullable: true, resolve: (backfill) => backfill.totalPartitions }),
    title: t.string({ nullable: true, resolve: (backfill) => backfill.title }),
    description: t.string({ nullable: true, resolve: (backfill) => backfill.description }),
    user: t.string({ nullable: true, resolve: (backfill) => backfill.requestedBy }),
    tags: t.field({ type: [PipelineTag], resolve: (backfill) => tagsOf(backfill.tags) }),
    isAssetBackfill: t.boolean({ resolve: () => true }),
    assetSelection: t.field({
      type: [AssetKeyRef],
      nullable: true,
      resolve: (backfill) => backfill.assetSelection.map(assetKeyOf),
    }),
  }),
});
