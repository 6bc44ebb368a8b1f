import { addDynamicPartition, deleteDynamicPartitions } from '../../resolvers/dynamic-partitions.js';
import { builder } from '../builder.js';
import { RepositorySelector } from './common.js';
import { ErrorInterface, PythonError, UnauthorizedError } from './errors.js';

/** Dagster's mutations on dynamic partitions: add one key, delete several. Operator role. */

const isTyped = (name: string) => (value: unknown) => (value as { __typename?: string }).__typename === name;

const AddDynamicPartitionSuccess = builder
  .objectRef<{ partitionsDefName: string; partitionKey: string }>('AddDynamicPartitionSuccess')
  .implement({
    isTypeOf: isTyped('AddDynamicPartitionSuccess'),
    fields: (t) => ({
      partitionsDefName: t.exposeString('partitionsDefName'),
      partitionKey: t.exposeString('partitionKey'),
    }),
  });

const DuplicateDynamicPartitionError = builder
  .objectRef<{ message: string; partitionsDefName: string; partitionName: string }>(
    'DuplicateDynamicPartitionError',
  )
  .implement({
    description: 'The dynamic partitions definition already has the key; nothing was added.',
    interfaces: [ErrorInterface],
    isTypeOf: isTyped('DuplicateDynamicPartitionError'),
    fields: (t) => ({
      message: t.exposeString('message'),
      partitionsDefName: t.exposeString('partitionsDefName'),
      partitionName: t.exposeString('partitionName'),
    }),
  });

const DeleteDynamicPartitionsSuccess = builder
  .objectRef<{ partitionsDefName: string }>('DeleteDynamicPartitionsSuccess')
  .implement({
    isTypeOf: isTyped('DeleteDynamicPartitionsSuccess'),
    fields: (t) => ({ partitionsDefName: t.exposeString('partitionsDefName') }),
  });

const AddDynamicPartitionResult = builder.unionType('AddDynamicPartitionResult', {
  types: [AddDynamicPartitionSuccess, UnauthorizedError, PythonError, DuplicateDynamicPartitionError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const DeleteDynamicPartitionsResult = builder.unionType('DeleteDynamicPartitionsResult', {
  types: [DeleteDynamicPartitionsSuccess, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.mutationField('addDynamicPartition', (t) =>
  t.field({
    type: AddDynamicPartitionResult,
    description:
      'Adds a key to a dynamic partitions definition used by an asset of the selected code location (operator).',
    args: {
      partitionKey: t.arg.string({ required: true }),
      partitionsDefName: t.arg.string({ required: true }),
      repositorySelector: t.arg({ type: RepositorySelector, required: true }),
    },
    resolve: (_root, args, context) =>
      addDynamicPartition(context, {
        partitionsDefName: args.partitionsDefName,
        partitionKey: args.partitionKey,
        codeLocation: args.repositorySelector.repositoryLocationName,
      }),
  }),
);

builder.mutationField('deleteDynamicPartitions', (t) =>
  t.field({
    type: DeleteDynamicPartitionsResult,
    description:
      'Deletes keys from a dynamic partitions definition (operator); keys it does not have are ignored. Recorded statuses of deleted partitions are kept but no longer shown.',
    args: {
      partitionKeys: t.arg.stringList({ required: true }),
      partitionsDefName: t.arg.string({ required: true }),
      repositorySelector: t.arg({ type: RepositorySelector, required: true }),
    },
    resolve: (_root, args, context) =>
      deleteDynamicPartitions(context, {
        partitionsDefName: args.partitionsDefName,
        partitionKeys: args.partitionKeys,
        codeLocation: args.repositorySelector.repositoryLocationName,
      }),
  }),
);
