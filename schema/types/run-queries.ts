import { countRuns, getRun, listRunIds, listRuns, runTagKeys, runTagValues } from '../../resolvers/runs.js';
import { builder } from '../builder.js';
import { RunRef } from '../refs.js';
import { ExecutionTag, RunStatus } from './common.js';
import { ErrorInterface, errorType, PythonError } from './errors.js';

/**
 * Dagster's run queries: run lists (`runsOrError`, `pipelineRunsOrError`, `runIdsOrError`) with
 * `RunsFilter`, one run (`runOrError`, `pipelineRunOrError`), and the run tags in use.
 */

export const RunsFilter = builder.inputType('RunsFilter', {
  description:
    'Which runs to list. Tags may be derived ones (dagster/schedule_name, dagster/sensor_name, dagster/backfill, dagster/partition — which matches every partition a run covers — servo/lane, servo/run_key, servo/code_location); values given for one key are alternatives, different keys must all match. Times are epoch seconds, bounds exclusive. Servo runs are all pipelineName __ASSET_JOB, mode default, and have no snapshot (a snapshotId matches none).',
  fields: (t) => ({
    runIds: t.field({ type: ['String'], required: { list: false, items: false } }),
    pipelineName: t.string(),
    tags: t.field({ type: [ExecutionTag] }),
    statuses: t.field({ type: [RunStatus] }),
    snapshotId: t.string(),
    updatedAfter: t.float(),
    updatedBefore: t.float(),
    createdBefore: t.float(),
    createdAfter: t.float(),
    mode: t.string(),
  }),
});

const PipelineRunNotFoundError = builder
  .interfaceRef<{ runId: string; message: string }>('PipelineRunNotFoundError')
  .implement({
    interfaces: [ErrorInterface],
    fields: (t) => ({ runId: t.exposeString('runId'), message: t.exposeString('message') }),
  });

export const RunNotFoundError = builder
  .objectRef<{ __typename: 'RunNotFoundError'; runId: string; message: string }>('RunNotFoundError')
  .implement({
    interfaces: [PipelineRunNotFoundError, ErrorInterface],
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'RunNotFoundError',
    fields: (t) => ({ runId: t.exposeString('runId'), message: t.exposeString('message') }),
  });

export const InvalidPipelineRunsFilterError = errorType('InvalidPipelineRunsFilterError', [], {
  description: 'The filter or cursor cannot be served (e.g. a cursor naming a run that does not exist).',
});

type RunsModel = Extract<ReturnType<typeof listRuns>, { __typename: 'Runs' }>;

const PipelineRuns = builder.interfaceRef<RunsModel>('PipelineRuns').implement({
  fields: (t) => ({
    results: t.field({ type: [RunRef], resolve: (runs) => runs.results }),
    count: t.int({
      nullable: true,
      description: 'Every run the filter matches.',
      resolve: (runs, _args, context) => countRuns(context, runs.filter),
    }),
  }),
});

const Runs = builder.objectRef<RunsModel>('Runs').implement({
  interfaces: [PipelineRuns],
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'Runs',
  fields: () => ({}),
});

const RunsOrError = builder.unionType('RunsOrError', {
  types: [Runs, InvalidPipelineRunsFilterError, PythonError],
});

const RunOrError = builder.unionType('RunOrError', { types: [RunRef, RunNotFoundError, PythonError] });

const RunIds = builder.objectRef<{ __typename: 'RunIds'; results: string[] }>('RunIds').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'RunIds',
  fields: (t) => ({ results: t.exposeStringList('results') }),
});

const RunIdsOrError = builder.unionType('RunIdsOrError', {
  types: [RunIds, InvalidPipelineRunsFilterError, PythonError],
});

const RunTagKeys = builder.objectRef<{ __typename: 'RunTagKeys'; keys: string[] }>('RunTagKeys').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'RunTagKeys',
  fields: (t) => ({ keys: t.exposeStringList('keys') }),
});

const RunTagKeysOrError = builder.unionType('RunTagKeysOrError', { types: [PythonError, RunTagKeys] });

const PipelineTagAndValues = builder
  .objectRef<{ key: string; values: string[] }>('PipelineTagAndValues')
  .implement({
    fields: (t) => ({ key: t.exposeString('key'), values: t.exposeStringList('values') }),
  });

const RunTags = builder
  .objectRef<{ __typename: 'RunTags'; tags: { key: string; values: string[] }[] }>('RunTags')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'RunTags',
    fields: (t) => ({ tags: t.field({ type: [PipelineTagAndValues], resolve: (tags) => tags.tags }) }),
  });

const RunTagsOrError = builder.unionType('RunTagsOrError', { types: [PythonError, RunTags] });

builder.queryFields((t) => {
  const runListArgs = {
    filter: t.arg({ type: RunsFilter }),
    cursor: t.arg.string(),
    limit: t.arg.int(),
  };
  return {
    runsOrError: t.field({
      type: RunsOrError,
      description:
        'Runs, newest first; `cursor` is the id of the last run of the previous page. Default and maximum limit 1,000.',
      args: runListArgs,
      resolve: (_root, args, context) => listRuns(context, args),
    }),
    pipelineRunsOrError: t.field({
      type: RunsOrError,
      description: 'The same as `runsOrError`.',
      args: runListArgs,
      resolve: (_root, args, context) => listRuns(context, args),
    }),
    runIdsOrError: t.field({
      type: RunIdsOrError,
      args: runListArgs,
      resolve: (_root, args, context) => listRunIds(context, args),
    }),
    runOrError: t.field({
      type: RunOrError,
      args: { runId: t.arg.id({ required: true }) },
      resolve: (_root, args, context) => getRun(context, String(args.runId)),
    }),
    pipelineRunOrError: t.field({
      type: RunOrError,
      args: { runId: t.arg.id({ required: true }) },
      resolve: (_root, args, context) => getRun(context, String(args.runId)),
    }),
    runTagKeysOrError: t.field({
      type: RunTagKeysOrError,
      nullable: true,
      resolve: (_root, _args, context) => runTagKeys(context),
    }),
    runTagsOrError: t.field({
      type: RunTagsOrError,
      nullable: true,
      args: { tagKeys: t.arg.stringList(), valuePrefix: t.arg.string(), limit: t.arg.int() },
      resolve: (_root, args, context) => runTagValues(context, args),
    }),
  };
});
