import type { PartitionStatusesModel, PartitionStatusModel } from '../../resolvers/backfills.js';
import { builder } from '../builder.js';
import { RunStatus } from './common.js';
import { PythonError } from './errors.js';

/**
 * Partitions with the run that covers them (Dagster's `PartitionStatus(es)`), counts of partitions
 * by run status, and key ranges: what the schedule page and the backfill pages show.
 */

type RunStatusValue = typeof RunStatus.$inferType;

export const PartitionStatus = builder.objectRef<PartitionStatusModel>('PartitionStatus').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    partitionName: t.exposeString('partitionName'),
    runId: t.exposeString('runId', { nullable: true }),
    runStatus: t.field({
      type: RunStatus,
      nullable: true,
      resolve: (status) => status.runStatus as RunStatusValue | null,
    }),
    runDuration: t.exposeFloat('runDuration', {
      nullable: true,
      description: 'Seconds, once the run ended.',
    }),
  }),
});

export const PartitionStatuses = builder.objectRef<PartitionStatusesModel>('PartitionStatuses').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'PartitionStatuses',
  fields: (t) => ({
    results: t.field({ type: [PartitionStatus], resolve: (statuses) => statuses.results }),
  }),
});

export const PartitionStatusesOrError = builder.unionType('PartitionStatusesOrError', {
  types: [PartitionStatuses, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

export const PartitionStatusCounts = builder
  .objectRef<{ runStatus: string; count: number }>('PartitionStatusCounts')
  .implement({
    fields: (t) => ({
      runStatus: t.field({ type: RunStatus, resolve: (counts) => counts.runStatus as RunStatusValue }),
      count: t.exposeInt('count'),
    }),
  });

export const PartitionKeyRange = builder
  .objectRef<{ start: string; end: string }>('PartitionKeyRange')
  .implement({
    description: 'An inclusive range of partition keys, in partition order.',
    fields: (t) => ({ start: t.exposeString('start'), end: t.exposeString('end') }),
  });
