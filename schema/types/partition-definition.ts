import {
  type DimensionDefinitionModel,
  type DimensionPartitionKeysModel,
  type PartitionDefinitionModel,
  type PartitionKeyPage,
  partitionDefinitionOf,
  partitionKeyPage,
  partitionKeysByDimension,
  partitionKeysOf,
} from '../../resolvers/partitions.js';
import { builder } from '../builder.js';
import { AssetNodeRef } from '../refs.js';

/**
 * How an asset is partitioned (Dagster's `PartitionDefinition`) and its partition keys: all of
 * them, a page at a time, or by dimension.
 */

export const PartitionDefinitionType = builder.enumType('PartitionDefinitionType', {
  values: ['TIME_WINDOW', 'STATIC', 'MULTIPARTITIONED', 'DYNAMIC'] as const,
});

const DimensionDefinitionType = builder
  .objectRef<DimensionDefinitionModel>('DimensionDefinitionType')
  .implement({
    description:
      'One dimension of a partitions definition; a single-dimension definition has one, named `default`.',
    fields: (t) => ({
      name: t.exposeString('name'),
      description: t.exposeString('description'),
      type: t.field({ type: PartitionDefinitionType, resolve: (dimension) => dimension.type }),
      isPrimaryDimension: t.exposeBoolean('isPrimaryDimension'),
      dynamicPartitionsDefinitionName: t.exposeString('dynamicPartitionsDefinitionName', { nullable: true }),
    }),
  });

const PartitionDefinition = builder.objectRef<PartitionDefinitionModel>('PartitionDefinition').implement({
  fields: (t) => ({
    description: t.exposeString('description'),
    type: t.field({ type: PartitionDefinitionType, resolve: (definition) => definition.type }),
    dimensionTypes: t.field({
      type: [DimensionDefinitionType],
      resolve: (definition) => definition.dimensionTypes,
    }),
    name: t.exposeString('name', {
      nullable: true,
      description: 'The name of a dynamic partitions definition; null for other kinds.',
    }),
    fmt: t.exposeString('fmt', {
      nullable: true,
      description: 'The key format of time-window partitions (strftime); null for other kinds.',
    }),
  }),
});

const PartitionKeyConnection = builder.objectRef<PartitionKeyPage>('PartitionKeyConnection').implement({
  fields: (t) => ({
    results: t.exposeStringList('results'),
    cursor: t.exposeString('cursor', { description: 'Pass back as `cursor` for the next page.' }),
    hasMore: t.exposeBoolean('hasMore'),
  }),
});

const DimensionPartitionKeys = builder
  .objectRef<DimensionPartitionKeysModel>('DimensionPartitionKeys')
  .implement({
    fields: (t) => ({
      name: t.exposeString('name'),
      partitionKeys: t.exposeStringList('partitionKeys'),
      type: t.field({ type: PartitionDefinitionType, resolve: (dimension) => dimension.type }),
    }),
  });

builder.objectFields(AssetNodeRef, (t) => ({
  partitionDefinition: t.field({
    type: PartitionDefinition,
    nullable: true,
    resolve: (asset) => (asset.partitions === null ? null : partitionDefinitionOf(asset.partitions)),
  }),
  partitionKeys: t.stringList({
    description:
      'Every partition key in order: time windows complete now, static keys, dynamic keys as added. Larger spaces than 100,000 keys are read with partitionKeyConnection.',
    resolve: (asset, _args, context) => partitionKeysOf(context, asset.assetKey),
  }),
  partitionKeyConnection: t.field({
    type: PartitionKeyConnection,
    nullable: true,
    description: 'A page of partition keys (`limit` at most 1000); null when the asset is not partitioned.',
    args: {
      limit: t.arg.int({ required: true }),
      ascending: t.arg.boolean({ required: true }),
      cursor: t.arg.string(),
    },
    resolve: (asset, args, context) =>
      partitionKeyPage(context, asset.assetKey, {
        limit: args.limit,
        ascending: args.ascending,
        cursor: args.cursor ?? null,
      }),
  }),
  partitionKeysByDimension: t.field({
    type: [DimensionPartitionKeys],
    description: 'Keys of each dimension, optionally from `startIdx` to `endIdx` (inclusive).',
    args: { startIdx: t.arg.int(), endIdx: t.arg.int() },
    resolve: (asset, args, context) =>
      partitionKeysByDimension(context, asset, {
        startIdx: args.startIdx ?? null,
        endIdx: args.endIdx ?? null,
      }),
  }),
}));
