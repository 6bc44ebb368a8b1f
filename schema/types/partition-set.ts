import { canOperate } from '../../resolvers/backfills.js';
import {
  getPartitionSet,
  listPartitionSets,
  partitionSetBackfills,
  partitionSetStatuses,
} from '../../resolvers/partition-sets.js';
import { builder } from '../builder.js';
import { PartitionBackfillRef, PartitionSetRef } from '../refs.js';
import { RepositoryOrigin, RepositorySelector } from './common.js';
import { errorType, PythonError } from './errors.js';
import { PartitionStatusesOrError } from './partition-status.js';

/**
 * Dagster's `PartitionSet`: in Servo, the partitions a schedule targets when its assets share one
 * partitions definition, named `{schedule}_partition_set`, in the implicit asset job.
 */
PartitionSetRef.implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'PartitionSet',
  fields: (t) => ({
    id: t.id({ resolve: (set) => `${set.codeLocation}:${set.name}` }),
    name: t.exposeString('name'),
    pipelineName: t.exposeString('pipelineName'),
    solidSelection: t.stringList({ nullable: true, resolve: () => null }),
    mode: t.string({ resolve: () => 'default' }),
    partitionStatusesOrError: t.field({
      type: PartitionStatusesOrError,
      description:
        'The newest partitions of the set (at most 1,000), each with the latest run that covered it.',
      resolve: (set, _args, context) => partitionSetStatuses(context, set),
    }),
    repositoryOrigin: t.field({
      type: RepositoryOrigin,
      resolve: (set) => ({ codeLocation: set.codeLocation }),
    }),
    hasLaunchBackfillPermission: t.boolean({ resolve: (_set, _args, context) => canOperate(context) }),
    hasCancelBackfillPermission: t.boolean({ resolve: (_set, _args, context) => canOperate(context) }),
    backfills: t.field({
      type: [PartitionBackfillRef],
      description: 'Backfills of exactly the set’s assets, newest first.',
      args: { cursor: t.arg.string(), limit: t.arg.int() },
      resolve: (set, args, context) => partitionSetBackfills(context, set, args),
    }),
  }),
});

export const PartitionSetNotFoundError = errorType('PartitionSetNotFoundError', ['partitionSetName']);

const PartitionSets = builder
  .objectRef<{ __typename: 'PartitionSets'; results: (typeof PartitionSetRef.$inferType)[] }>('PartitionSets')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'PartitionSets',
    fields: (t) => ({ results: t.field({ type: [PartitionSetRef], resolve: (sets) => sets.results }) }),
  });

const PartitionSetOrError = builder.unionType('PartitionSetOrError', {
  types: [PartitionSetRef, PartitionSetNotFoundError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const PartitionSetsOrError = builder.unionType('PartitionSetsOrError', {
  types: [PartitionSets, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.queryFields((t) => ({
  partitionSetOrError: t.field({
    type: PartitionSetOrError,
    args: {
      repositorySelector: t.arg({ type: RepositorySelector, required: true }),
      partitionSetName: t.arg.string(),
    },
    resolve: (_root, args, context) =>
      getPartitionSet(context, args.repositorySelector, args.partitionSetName),
  }),
  partitionSetsOrError: t.field({
    type: PartitionSetsOrError,
    description: 'The partition sets of a code location’s job (Servo has one: `__ASSET_JOB`).',
    args: {
      repositorySelector: t.arg({ type: RepositorySelector, required: true }),
      pipelineName: t.arg.string({ required: true }),
    },
    resolve: (_root, args, context) => listPartitionSets(context, args.repositorySelector, args.pipelineName),
  }),
}));
