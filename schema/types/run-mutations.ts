import type { Typed } from '../../resolvers/errors.js';
import {
  type FieldNotDefinedModel,
  launchRun,
  removeRun,
  type TerminateRunResultModel,
  terminate,
  terminateOne,
} from '../../resolvers/run-mutations.js';
import { builder } from '../builder.js';
import { RunRef } from '../refs.js';
import { AssetKeyInput, ExecutionTag } from './common.js';
import { PythonError, UnauthorizedError } from './errors.js';
import {
  EvaluationErrorReason,
  PIPELINE_EXECUTION_ERRORS,
  PipelineConfigValidationError,
} from './execution-errors.js';
import { RunNotFoundError } from './run-queries.js';

/**
 * Dagster's run mutations, for Servo's runs: launch a run of an asset selection (the asset job
 * `__ASSET_JOB`), terminate runs, delete finished runs. Each needs the operator role.
 */

const isTyped = (name: string) => (value: unknown) => (value as { __typename?: string }).__typename === name;

const AssetCheckHandleInput = builder.inputType('AssetCheckHandleInput', {
  fields: (t) => ({
    assetKey: t.field({ type: AssetKeyInput, required: true }),
    name: t.string({ required: true }),
  }),
});

const JobOrPipelineSelector = builder.inputType('JobOrPipelineSelector', {
  description:
    'Servo: the job is __ASSET_JOB of a code location (repositoryName __repository__); assetSelection says what runs.',
  fields: (t) => ({
    pipelineName: t.string(),
    jobName: t.string(),
    repositoryName: t.string({ required: true }),
    repositoryLocationName: t.string({ required: true }),
    solidSelection: t.stringList(),
    assetSelection: t.field({ type: [AssetKeyInput] }),
    assetCheckSelection: t.field({ type: [AssetCheckHandleInput] }),
  }),
});

const ExecutionMetadata = builder.inputType('ExecutionMetadata', {
  description:
    'Run tags. Servo reads dagster/partition (or dagster/asset_partition_range_start and _end) as the partitions to run and servo/run_key as the run key (the same key launches once).',
  fields: (t) => ({
    tags: t.field({ type: [ExecutionTag] }),
    rootRunId: t.string(),
    parentRunId: t.string(),
  }),
});

const ExecutionParams = builder.inputType('ExecutionParams', {
  fields: (t) => ({
    selector: t.field({ type: JobOrPipelineSelector, required: true }),
    runConfigData: t.field({ type: 'RunConfigData' }),
    mode: t.string(),
    executionMetadata: t.field({ type: ExecutionMetadata }),
    stepKeys: t.stringList(),
    preset: t.string(),
  }),
});

builder.objectRef<FieldNotDefinedModel>('FieldNotDefinedConfigError').implement({
  interfaces: [PipelineConfigValidationError],
  isTypeOf: isTyped('FieldNotDefinedConfigError'),
  fields: (t) => ({
    message: t.exposeString('message'),
    path: t.exposeStringList('path'),
    reason: t.field({ type: EvaluationErrorReason, resolve: (error) => error.reason }),
    fieldName: t.exposeString('fieldName'),
  }),
});

type RunResult = Typed<string, { run: typeof RunRef.$inferType }>;

const LaunchPipelineRunSuccess = builder.interfaceRef<RunResult>('LaunchPipelineRunSuccess').implement({
  fields: (t) => ({ run: t.field({ type: RunRef, resolve: (result) => result.run }) }),
});

const LaunchRunSuccess = builder.objectRef<RunResult>('LaunchRunSuccess').implement({
  interfaces: [LaunchPipelineRunSuccess],
  isTypeOf: isTyped('LaunchRunSuccess'),
  fields: () => ({}),
});

const LaunchRunResult = builder.unionType('LaunchRunResult', {
  types: [LaunchRunSuccess, ...PIPELINE_EXECUTION_ERRORS, UnauthorizedError, PythonError],
});

const TerminateRunPolicy = builder.enumType('TerminateRunPolicy', {
  description:
    'SAFE_TERMINATE (default): queued work is canceled, running tasks are asked to stop and forced after a grace period; MARK_AS_CANCELED_IMMEDIATELY: running tasks are failed now.',
  values: ['SAFE_TERMINATE', 'MARK_AS_CANCELED_IMMEDIATELY'] as const,
});

const TerminateRunSuccess = builder.objectRef<RunResult>('TerminateRunSuccess').implement({
  isTypeOf: isTyped('TerminateRunSuccess'),
  fields: (t) => ({ run: t.field({ type: RunRef, resolve: (result) => result.run }) }),
});

const TerminateRunFailure = builder
  .objectRef<RunResult & { message: string }>('TerminateRunFailure')
  .implement({
    description: 'The run had already finished.',
    isTypeOf: isTyped('TerminateRunFailure'),
    fields: (t) => ({
      run: t.field({ type: RunRef, resolve: (result) => result.run }),
      message: t.exposeString('message'),
    }),
  });

const TerminateRunResult = builder.unionType('TerminateRunResult', {
  types: [TerminateRunSuccess, TerminateRunFailure, RunNotFoundError, UnauthorizedError, PythonError],
});

const TerminateRunsResult = builder
  .objectRef<{ __typename: 'TerminateRunsResult'; results: TerminateRunResultModel[] }>('TerminateRunsResult')
  .implement({
    isTypeOf: isTyped('TerminateRunsResult'),
    fields: (t) => ({
      terminateRunResults: t.field({ type: [TerminateRunResult], resolve: (result) => result.results }),
    }),
  });

const TerminateRunsResultOrError = builder.unionType('TerminateRunsResultOrError', {
  types: [TerminateRunsResult, PythonError],
});

const DeletePipelineRunSuccess = builder
  .objectRef<{ __typename: 'DeletePipelineRunSuccess'; runId: string }>('DeletePipelineRunSuccess')
  .implement({
    isTypeOf: isTyped('DeletePipelineRunSuccess'),
    fields: (t) => ({ runId: t.exposeString('runId') }),
  });

const DeletePipelineRunResult = builder.unionType('DeletePipelineRunResult', {
  types: [DeletePipelineRunSuccess, UnauthorizedError, PythonError, RunNotFoundError],
});

builder.mutationFields((t) => {
  const launch = t.field({
    type: LaunchRunResult,
    description:
      'Launches a run of selector.assetSelection (job __ASSET_JOB) for the partition in the dagster/partition tag, or the range in dagster/asset_partition_range_start/_end (operator).',
    args: { executionParams: t.arg({ type: ExecutionParams, required: true }) },
    resolve: (_root, args, context) => launchRun(context, args.executionParams),
  });
  const terminateRun = t.field({
    type: TerminateRunResult,
    args: { runId: t.arg.string({ required: true }), terminatePolicy: t.arg({ type: TerminateRunPolicy }) },
    resolve: (_root, args, context) => terminateOne(context, args.runId, args.terminatePolicy),
  });
  const remove = t.field({
    type: DeletePipelineRunResult,
    description: 'Deletes a finished run from the run history (operator).',
    args: { runId: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => removeRun(context, args.runId),
  });
  return {
    launchRun: launch,
    launchPipelineExecution: launch,
    terminateRun,
    terminatePipelineExecution: terminateRun,
    terminateRuns: t.field({
      type: TerminateRunsResultOrError,
      description: 'Terminates runs (operator); each gets its own result.',
      args: {
        runIds: t.arg.stringList({ required: true }),
        terminatePolicy: t.arg({ type: TerminateRunPolicy }),
      },
      resolve: (_root, args, context) => terminate(context, args.runIds, args.terminatePolicy),
    }),
    deletePipelineRun: remove,
    deleteRun: remove,
  };
});
