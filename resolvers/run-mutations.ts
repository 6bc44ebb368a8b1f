import { deleteRun, requestRun, terminateRuns } from '../engine/commands/runs.js';
import { ErrorCode, isServoError } from '../engine/errors.js';
import type { RunRow } from '../engine/projections/tables/index.js';
import { ASSET_JOB_NAME, RunTag } from '../engine/queries/run-tags.js';
import { MAX_RUN_PAGE } from '../engine/queries/runs.js';
import type { ApiContext } from './context.js';
import {
  badRequest,
  denied,
  expectedError,
  type PythonErrorModel,
  pythonError,
  type Typed,
  typed,
  type UnauthorizedErrorModel,
} from './errors.js';
import { assetKeyString, REPOSITORY_NAME } from './models.js';
import { type RunNotFoundModel, runNotFound } from './runs.js';

/**
 * Run mutations: launching a run of an asset selection (Dagster's `launchRun` with the asset job),
 * terminating runs and deleting finished ones. Each needs the operator role.
 */

interface AssetKeyInput {
  path: readonly string[];
}

/** Dagster's `ExecutionParams`, as far as a Servo run uses it. */
export interface ExecutionParamsInput {
  selector: {
    pipelineName?: string | null;
    jobName?: string | null;
    repositoryName: string;
    repositoryLocationName: string;
    solidSelection?: readonly string[] | null;
    assetSelection?: readonly AssetKeyInput[] | null;
    assetCheckSelection?: readonly { assetKey: AssetKeyInput; name: string }[] | null;
  };
  runConfigData?: unknown;
  mode?: string | null;
  executionMetadata?: {
    tags?: readonly { key: string; value: string }[] | null;
    rootRunId?: string | null;
    parentRunId?: string | null;
  } | null;
  stepKeys?: readonly string[] | null;
  preset?: string | null;
}

type Message = { message: string };

/** Dagster's `FieldNotDefinedConfigError`: run config Servo does not take. */
export type FieldNotDefinedModel = Typed<
  'FieldNotDefinedConfigError',
  { message: string; path: string[]; reason: 'FIELD_NOT_DEFINED'; fieldName: string }
>;
export type LaunchRunResultModel =
  | Typed<'LaunchRunSuccess', { run: RunRow }>
  | Typed<
      'PipelineNotFoundError',
      Message & { pipelineName: string; repositoryName: string; repositoryLocationName: string }
    >
  | Typed<'InvalidSubsetError', Message>
  | Typed<'InvalidStepError', { invalidStepKey: string }>
  | Typed<'PresetNotFoundError', Message & { preset: string }>
  | Typed<'ConflictingExecutionParamsError', Message>
  | Typed<'RunConfigValidationInvalid', { pipelineName: string; errors: FieldNotDefinedModel[] }>
  | Typed<'RunConflict', Message>
  | UnauthorizedErrorModel
  | PythonErrorModel;

/** Tags Servo sets itself: a launch may not claim another run's source. */
const DERIVED_TAGS: ReadonlySet<string> = new Set([
  RunTag.scheduleName,
  RunTag.sensorName,
  RunTag.backfill,
  RunTag.lane,
  RunTag.codeLocation,
]);

/** Run config keys (Servo runs take none: their assets are configured by their code location). */
function runConfigKeys(runConfig: unknown): string[] {
  if (runConfig === null || runConfig === undefined) return [];
  if (typeof runConfig === 'string') {
    const text = runConfig.trim();
    return text === '' || text === '{}' ? [] : [text.split(':')[0]?.trim() ?? text];
  }
  return typeof runConfig === 'object' ? Object.keys(runConfig) : ['(run config)'];
}

/** How long a launch waits for its run to be made before answering with the request as it stands. */
const RUN_WAIT_MS = 10_000;

/** The run once the run-requests processor has made it (usually at once, in this process). */
async function madeRun(context: ApiContext, runId: string): Promise<RunRow | undefined> {
  const read = () => context.reads.read((tables) => tables.runs.get(runId));
  const found = read();
  if (found !== undefined) return found;
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve(read());
    };
    const timer = setTimeout(finish, RUN_WAIT_MS);
    const unsubscribe = context.workspace.subscribe((changes) => {
      if (changes.tables.get('runs')?.has(runId)) finish();
    });
  });
}

/**
 * `launchRun` / `launchPipelineExecution`: a run of the selector's assets in the code location,
 * for the partition named by the `dagster/partition` tag or the range named by the
 * `dagster/asset_partition_range_start`/`_end` tags. A `servo/run_key` tag makes the launch
 * idempotent: the same key launches once; the same key with other work is a `RunConflict`.
 */
export async function launchRun(
  context: ApiContext,
  params: ExecutionParamsInput,
): Promise<LaunchRunResultModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const { selector } = params;
  const jobName = selector.jobName ?? selector.pipelineName ?? ASSET_JOB_NAME;
  if (
    selector.jobName != null &&
    selector.pipelineName != null &&
    selector.jobName !== selector.pipelineName
  ) {
    return typed('ConflictingExecutionParamsError', {
      message: 'jobName and pipelineName name different jobs',
    });
  }
  const location = selector.repositoryLocationName;
  const codeLocation = await context.loaders.codeLocation.load(location);
  if (
    jobName !== ASSET_JOB_NAME ||
    selector.repositoryName !== REPOSITORY_NAME ||
    codeLocation === undefined
  ) {
    return typed('PipelineNotFoundError', {
      message: `no job ${jobName} in ${location}:${selector.repositoryName}; Servo runs are asset runs of ${ASSET_JOB_NAME} in a deployed code location's ${REPOSITORY_NAME}`,
      pipelineName: jobName,
      repositoryName: selector.repositoryName,
      repositoryLocationName: location,
    });
  }
  if (params.preset != null) {
    return typed('PresetNotFoundError', {
      message: `Servo runs have no presets (${params.preset})`,
      preset: params.preset,
    });
  }
  if (params.mode != null && params.mode !== 'default') {
    return pythonError({ message: `Servo runs have one mode, default; not ${params.mode}` });
  }
  const configKeys = runConfigKeys(params.runConfigData);
  if (configKeys.length > 0) {
    return typed('RunConfigValidationInvalid', {
      pipelineName: jobName,
      errors: configKeys.map((fieldName) =>
        typed('FieldNotDefinedConfigError', {
          message: `Servo runs take no run config: field ${fieldName} is not defined`,
          path: [],
          reason: 'FIELD_NOT_DEFINED' as const,
          fieldName,
        }),
      ),
    });
  }
  const firstStep = params.stepKeys?.[0];
  if (firstStep !== undefined) return typed('InvalidStepError', { invalidStepKey: firstStep });
  const metadata = params.executionMetadata;
  if (metadata?.rootRunId != null || metadata?.parentRunId != null) {
    return typed('ConflictingExecutionParamsError', {
      message: 'Servo runs have no re-execution lineage: rootRunId and parentRunId cannot be set',
    });
  }
  if ((selector.solidSelection?.length ?? 0) > 0 || (selector.assetCheckSelection?.length ?? 0) > 0) {
    return typed('InvalidSubsetError', {
      message: 'Servo runs select assets only: solidSelection and assetCheckSelection must be empty',
    });
  }
  const assetSelection = (selector.assetSelection ?? []).map(assetKeyString);
  if (assetSelection.length === 0) {
    return typed('InvalidSubsetError', { message: 'select at least one asset (selector.assetSelection)' });
  }
  const assets = await context.loaders.assetDefinition.loadMany(assetSelection);
  const foreign = assetSelection.filter((_key, index) => {
    const asset = assets[index];
    return asset === undefined || asset instanceof Error || asset.codeLocation !== location;
  });
  if (foreign.length > 0) {
    return typed('InvalidSubsetError', {
      message: `not assets of code location ${location}: ${foreign.join(', ')}`,
    });
  }

  const tags: Record<string, string> = {};
  for (const { key, value } of metadata?.tags ?? []) {
    if (DERIVED_TAGS.has(key))
      return pythonError({ message: `the tag ${key} is set by Servo, not by a launch` });
    tags[key] = value;
  }
  const partition = tags[RunTag.partition];
  const rangeStart = tags[RunTag.partitionRangeStart];
  const rangeEnd = tags[RunTag.partitionRangeEnd];
  const runKey = tags[RunTag.runKey];
  for (const key of [RunTag.partition, RunTag.partitionRangeStart, RunTag.partitionRangeEnd, RunTag.runKey]) {
    delete tags[key];
  }
  if ((rangeStart === undefined) !== (rangeEnd === undefined)) {
    return pythonError({
      message: `a partition range needs both ${RunTag.partitionRangeStart} and ${RunTag.partitionRangeEnd}`,
    });
  }
  try {
    const { runId, conflicting } = await requestRun(
      context.workspace.automation,
      {
        assetSelection,
        ...(partition === undefined ? {} : { partitionKeys: [partition] }),
        ...(rangeStart === undefined || rangeEnd === undefined
          ? {}
          : { partitionRange: { start: rangeStart, end: rangeEnd } }),
        ...(runKey === undefined ? {} : { runKey }),
        tags,
      },
      context.principal.subject,
    );
    if (conflicting) {
      return typed('RunConflict', {
        message: `run key ${runKey} was already used for other work (run ${runId}); the conflict is recorded`,
      });
    }
    const run = await madeRun(context, runId);
    if (run === undefined) {
      return pythonError({
        message: `run ${runId} was requested but not made within ${RUN_WAIT_MS / 1000} s`,
      });
    }
    return typed('LaunchRunSuccess', { run });
  } catch (error) {
    if (isServoError(error, ErrorCode.NotFound))
      return typed('InvalidSubsetError', { message: error.message });
    return expectedError(error);
  }
}

export type TerminateRunResultModel =
  | Typed<'TerminateRunSuccess', { run: RunRow }>
  | Typed<'TerminateRunFailure', { run: RunRow; message: string }>
  | RunNotFoundModel
  | UnauthorizedErrorModel
  | PythonErrorModel;

/**
 * `terminateRuns`: queued runs are canceled at once; running ones are asked to stop
 * (SAFE_TERMINATE, forced after a grace period) or failed now (MARK_AS_CANCELED_IMMEDIATELY).
 */
export async function terminate(
  context: ApiContext,
  runIds: readonly string[],
  policy: TerminatePolicy,
): Promise<Typed<'TerminateRunsResult', { results: TerminateRunResultModel[] }>> {
  return typed('TerminateRunsResult', { results: await terminateEach(context, runIds, policy) });
}

/** `terminateRun`: one run's result of `terminateRuns`. */
export async function terminateOne(
  context: ApiContext,
  runId: string,
  policy: TerminatePolicy,
): Promise<TerminateRunResultModel> {
  return (await terminateEach(context, [runId], policy))[0] as TerminateRunResultModel;
}

type TerminatePolicy = 'SAFE_TERMINATE' | 'MARK_AS_CANCELED_IMMEDIATELY' | null | undefined;

async function terminateEach(
  context: ApiContext,
  runIds: readonly string[],
  policy: TerminatePolicy,
): Promise<TerminateRunResultModel[]> {
  if (runIds.length > MAX_RUN_PAGE) throw badRequest(`terminate at most ${MAX_RUN_PAGE} runs at once`);
  const refused = denied(context, 'operator');
  if (refused !== undefined) return runIds.map(() => refused);
  const outcomes = await terminateRuns(
    context.workspace.automation,
    runIds,
    { force: policy === 'MARK_AS_CANCELED_IMMEDIATELY' },
    context.principal.subject,
  );
  const rows = context.reads.read((tables) => outcomes.map(({ runId }) => tables.runs.get(runId)));
  return outcomes.map(({ runId, outcome }, index): TerminateRunResultModel => {
    const run = rows[index];
    if (outcome === 'not-found' || run === undefined) return runNotFound(runId);
    if (outcome === 'already-finished') {
      return typed('TerminateRunFailure', {
        run,
        message: `run ${runId} has already finished (${run.status})`,
      });
    }
    return typed('TerminateRunSuccess', { run });
  });
}

export type DeleteRunResultModel =
  | Typed<'DeletePipelineRunSuccess', { runId: string }>
  | RunNotFoundModel
  | UnauthorizedErrorModel
  | PythonErrorModel;

/** `deletePipelineRun` / `deleteRun`: removes a finished run from the run history. */
export async function removeRun(context: ApiContext, runId: string): Promise<DeleteRunResultModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  try {
    await deleteRun(context.workspace.automation, runId, context.principal.subject);
    return typed('DeletePipelineRunSuccess', { runId });
  } catch (error) {
    return expectedError(error, () => runNotFound(runId));
  }
}
