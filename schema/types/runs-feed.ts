import { isRunModel, type RunsFeedModel, runsFeed, runsFeedCount } from '../../resolvers/runs.js';
import { builder } from '../builder.js';
import { AssetKeyRef, RunsFeedEntryRef } from '../refs.js';
import { PipelineTag, RunStatus } from './common.js';
import { PythonError } from './errors.js';
import { AssetCheckhandle } from './run.js';
import { RunsFilter } from './run-queries.js';

/**
 * Dagster's runs feed: runs and backfills in one list, newest first. A backfill is one entry; the
 * runs it started are left out of the ROOTS view and listed in the RUNS view.
 */

/** What the feed lists; `Run` and `PartitionBackfill` resolve each field. */
RunsFeedEntryRef.implement({
  resolveType: (entry) => (isRunModel(entry) ? 'Run' : 'PartitionBackfill'),
  fields: (t) => ({
    id: t.id({}),
    runStatus: t.field({ type: RunStatus, nullable: true }),
    creationTime: t.float({}),
    startTime: t.float({ nullable: true }),
    endTime: t.float({ nullable: true }),
    tags: t.field({ type: [PipelineTag] }),
    jobName: t.string({ nullable: true }),
    assetSelection: t.field({ type: [AssetKeyRef], nullable: true }),
    assetCheckSelection: t.field({
      type: [AssetCheckhandle],
      nullable: true,
      description: 'Empty: Servo has no asset checks.',
      resolve: () => [],
    }),
  }),
});

export const RunsFeedView = builder.enumType('RunsFeedView', {
  description:
    'ROOTS: backfills and the runs no backfill started; RUNS: every run, no backfills; BACKFILLS: backfills only.',
  values: ['ROOTS', 'RUNS', 'BACKFILLS'] as const,
});

const RunsFeedConnection = builder.objectRef<RunsFeedModel>('RunsFeedConnection').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'RunsFeedConnection',
  fields: (t) => ({
    results: t.field({ type: [RunsFeedEntryRef], resolve: (feed) => feed.results }),
    cursor: t.exposeString('cursor', { description: 'Pass it back to read on (opaque).' }),
    hasMore: t.exposeBoolean('hasMore'),
  }),
});

const RunsFeedConnectionOrError = builder.unionType('RunsFeedConnectionOrError', {
  types: [RunsFeedConnection, PythonError],
});

const RunsFeedCount = builder
  .objectRef<{ __typename: 'RunsFeedCount'; count: number }>('RunsFeedCount')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'RunsFeedCount',
    fields: (t) => ({ count: t.exposeInt('count') }),
  });

const RunsFeedCountOrError = builder.unionType('RunsFeedCountOrError', {
  types: [RunsFeedCount, PythonError],
});

builder.queryFields((t) => ({
  runsFeedOrError: t.field({
    type: RunsFeedConnectionOrError,
    description: 'Runs and backfills, newest first (limit at most 1,000).',
    args: {
      limit: t.arg.int({ required: true }),
      cursor: t.arg.string(),
      view: t.arg({ type: RunsFeedView, required: true }),
      filter: t.arg({ type: RunsFilter }),
    },
    resolve: (_root, args, context) => runsFeed(context, args),
  }),
  runsFeedCountOrError: t.field({
    type: RunsFeedCountOrError,
    args: { view: t.arg({ type: RunsFeedView, required: true }), filter: t.arg({ type: RunsFilter }) },
    resolve: (_root, args, context) => runsFeedCount(context, args),
  }),
}));
