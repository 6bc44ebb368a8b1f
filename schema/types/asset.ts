import {
  ASSET_JOB_NAME,
  assetNodeId,
  assetNodeOrError,
  assetNodes,
  dependedByKeys,
  groupNameOf,
  latestRunForPartition,
  type StaleCauseModel,
  staleCauses,
  staleStatus,
} from '../../resolvers/assets.js';
import { assetKeyOf, assetKeyString } from '../../resolvers/models.js';
import { builder } from '../builder.js';
import { AssetKeyRef, AssetNodeRef, RepositoryRef, RunRef } from '../refs.js';
import { AssetNotFoundError } from './asset-selection.js';
import { AssetKeyInput, DefinitionTag, tagsOf } from './common.js';
import { MetadataEntry } from './metadata-entry.js';

/**
 * Dagster's `AssetNode`: an asset definition deployed by a code location, with its place in the
 * asset graph and its staleness. Partitions and their statuses are added by
 * `partition-definition.ts` and `asset-partitions.ts`.
 */

export const AssetGroupSelector = builder.inputType('AssetGroupSelector', {
  description: 'An asset group of a code location (`repositoryName` is always `__repository__`).',
  fields: (t) => ({
    groupName: t.string({ required: true }),
    repositoryName: t.string({ required: true }),
    repositoryLocationName: t.string({ required: true }),
  }),
});

export const PipelineSelector = builder.inputType('PipelineSelector', {
  description: `A job of a code location. Servo's only job is the implicit asset job \`${ASSET_JOB_NAME}\`, optionally narrowed by \`assetSelection\`.`,
  fields: (t) => ({
    pipelineName: t.string({ required: true }),
    repositoryName: t.string({ required: true }),
    repositoryLocationName: t.string({ required: true }),
    solidSelection: t.stringList(),
    assetSelection: t.field({ type: [AssetKeyInput] }),
  }),
});

const AutoMaterializePolicyType = builder.enumType('AutoMaterializePolicyType', {
  values: ['EAGER', 'LAZY'] as const,
});

/** Servo materializes assets from schedules, sensors and backfills only: no asset has this policy. */
const AutoMaterializePolicy = builder
  .objectRef<{ policyType: 'EAGER' | 'LAZY'; maxMaterializationsPerMinute: number | null }>(
    'AutoMaterializePolicy',
  )
  .implement({
    description:
      'Not used by Servo (assets are materialized by schedules, sensors and backfills): always null.',
    fields: (t) => ({
      policyType: t.field({ type: AutoMaterializePolicyType, resolve: (policy) => policy.policyType }),
      maxMaterializationsPerMinute: t.exposeInt('maxMaterializationsPerMinute', { nullable: true }),
    }),
  });

const FreshnessPolicy = builder.objectRef<{ maximumLagMinutes: number }>('FreshnessPolicy').implement({
  description: "The asset's freshness window: it is stale when its newest materialization is older.",
  fields: (t) => ({
    maximumLagMinutes: t.exposeFloat('maximumLagMinutes'),
    cronSchedule: t.string({ nullable: true, resolve: () => null }),
    cronScheduleTimezone: t.string({ nullable: true, resolve: () => null }),
    lastEvaluationTimestamp: t.string({ nullable: true, resolve: () => null }),
  }),
});

export const StaleStatus = builder.enumType('StaleStatus', {
  values: ['MISSING', 'STALE', 'FRESH'] as const,
});

const StaleCauseCategory = builder.enumType('StaleCauseCategory', {
  values: ['CODE', 'DATA', 'DEPENDENCIES'] as const,
});

const StaleCause = builder.objectRef<StaleCauseModel>('StaleCause').implement({
  fields: (t) => ({
    key: t.field({ type: AssetKeyRef, resolve: (cause) => cause.key }),
    partitionKey: t.exposeString('partitionKey', { nullable: true }),
    category: t.field({ type: StaleCauseCategory, resolve: (cause) => cause.category }),
    reason: t.exposeString('reason'),
    dependency: t.field({ type: AssetKeyRef, nullable: true, resolve: (cause) => cause.dependency }),
    dependencyPartitionKey: t.exposeString('dependencyPartitionKey', { nullable: true }),
  }),
});

AssetNodeRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (asset) => assetNodeId(asset) }),
    assetKey: t.field({ type: AssetKeyRef, resolve: (asset) => assetKeyOf(asset.assetKey) }),
    description: t.string({ nullable: true, resolve: (asset) => asset.description }),
    groupName: t.string({
      description: "The definition's group, `default` when it names none.",
      resolve: (asset) => groupNameOf(asset),
    }),
    isPartitioned: t.boolean({ resolve: (asset) => asset.partitions !== null }),
    isMaterializable: t.boolean({ resolve: () => true }),
    isExecutable: t.boolean({ resolve: () => true }),
    isObservable: t.boolean({ resolve: () => false }),
    isAutoCreatedStub: t.boolean({ resolve: () => false }),
    opVersion: t.string({
      nullable: true,
      description: "The definition's code version.",
      resolve: (asset) => asset.codeVersion,
    }),
    computeKind: t.string({ nullable: true, resolve: () => null }),
    kinds: t.stringList({ resolve: () => [] }),
    pools: t.stringList({ resolve: (asset) => (asset.pool === null ? [] : [asset.pool]) }),
    tags: t.field({ type: [DefinitionTag], resolve: (asset) => tagsOf(asset.tags) }),
    metadataEntries: t.field({ type: [MetadataEntry], resolve: () => [] }),
    jobNames: t.stringList({
      description: `Servo runs every asset through the implicit asset job \`${ASSET_JOB_NAME}\`.`,
      resolve: () => [ASSET_JOB_NAME],
    }),
    repository: t.field({
      type: RepositoryRef,
      resolve: async (asset, _args, context) => ({
        name: asset.codeLocation,
        row: await context.loaders.codeLocation.load(asset.codeLocation),
      }),
    }),
    dependencyKeys: t.field({ type: [AssetKeyRef], resolve: (asset) => asset.dependsOn.map(assetKeyOf) }),
    dependedByKeys: t.field({
      type: [AssetKeyRef],
      resolve: (asset, _args, context) => dependedByKeys(context, asset.assetKey),
    }),
    autoMaterializePolicy: t.field({ type: AutoMaterializePolicy, nullable: true, resolve: () => null }),
    freshnessPolicy: t.field({
      type: FreshnessPolicy,
      nullable: true,
      resolve: (asset) =>
        asset.freshnessSeconds === null ? null : { maximumLagMinutes: asset.freshnessSeconds / 60 },
    }),
    hasMaterializePermission: t.boolean({
      resolve: (_asset, _args, context) => context.principal.role !== 'viewer',
    }),
    hasWipePermission: t.boolean({ resolve: () => false }),
    hasReportRunlessAssetEventPermission: t.boolean({ resolve: () => false }),
    hasAssetChecks: t.boolean({ resolve: () => false }),
    latestRunForPartition: t.field({
      type: RunRef,
      nullable: true,
      args: { partition: t.arg.string({ required: true }) },
      resolve: (asset, args, context) => latestRunForPartition(context, asset, args.partition),
    }),
    staleStatus: t.field({
      type: StaleStatus,
      nullable: true,
      description: 'Null for a partitioned asset unless `partition` names one of its partitions.',
      args: { partition: t.arg.string() },
      resolve: (asset, args, context) => staleStatus(context, asset, args.partition ?? null),
    }),
    staleStatusByPartition: t.field({
      type: [StaleStatus],
      args: { partitions: t.arg.stringList() },
      resolve: async (asset, args, context) => {
        const statuses = await Promise.all(
          (args.partitions ?? []).map((partition) => staleStatus(context, asset, partition)),
        );
        return statuses.map((status) => status ?? 'MISSING');
      },
    }),
    staleCauses: t.field({
      type: [StaleCause],
      args: { partition: t.arg.string() },
      resolve: (asset, args, context) => staleCauses(context, asset, args.partition ?? null),
    }),
  }),
});

export const AssetNodeOrError = builder.unionType('AssetNodeOrError', {
  types: [AssetNodeRef, AssetNotFoundError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.queryField('assetNodes', (t) =>
  t.field({
    type: [AssetNodeRef],
    description:
      'Asset definitions, sorted by key: all, or those of a group, of a code location (`pipeline` naming `__ASSET_JOB`), or with the given keys. `loadMaterializations` changes nothing in Servo.',
    args: {
      group: t.arg({ type: AssetGroupSelector }),
      pipeline: t.arg({ type: PipelineSelector }),
      assetKeys: t.arg({ type: [AssetKeyInput] }),
      loadMaterializations: t.arg.boolean({ defaultValue: false }),
    },
    resolve: (_root, args, context) =>
      assetNodes(context, {
        group: args.group ?? null,
        pipeline:
          args.pipeline == null
            ? null
            : {
                pipelineName: args.pipeline.pipelineName,
                repositoryLocationName: args.pipeline.repositoryLocationName,
                assetSelection: args.pipeline.assetSelection?.map(assetKeyString) ?? null,
              },
        assetKeys: args.assetKeys?.map(assetKeyString) ?? null,
      }),
  }),
);

builder.queryField('assetNodeOrError', (t) =>
  t.field({
    type: AssetNodeOrError,
    args: { assetKey: t.arg({ type: AssetKeyInput, required: true }) },
    resolve: (_root, args, context) => assetNodeOrError(context, assetKeyString(args.assetKey)),
  }),
);
