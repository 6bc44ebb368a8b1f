import { scheduleDryRun } from '../engine/commands/schedules.js';
import { scheduleClockOf } from '../engine/controllers/schedules.js';
import { isServoError } from '../engine/errors.js';
import type { EventDraft } from '../engine/model/catalog.js';
import { instigatorId } from '../engine/model/ids.js';
import type { ScheduleDefinitionRow } from '../engine/projections/tables/index.js';
import { ASSET_JOB_NAME } from './assets.js';
import type { ApiContext } from './context.js';
import { type PythonErrorModel, pythonError, type Typed, typed } from './errors.js';
import { instigationStatus, instigatorsOfLocation, scheduleStateOf } from './instigation.js';
import { type PartitionSetModel, REPOSITORY_NAME } from './models.js';
import { partitionSetOfSchedule } from './partition-sets.js';
import { pageLimit } from './ticks.js';

/**
 * Schedules as Dagster's `Schedule` shows them: lookups, the future ticks in the schedule's time
 * zone, and what a tick at a given time would do (a dry run, which appends nothing).
 */

export interface ScheduleSelectorInput {
  repositoryName: string;
  repositoryLocationName: string;
  scheduleName: string;
}

export type ScheduleNotFoundModel = Typed<'ScheduleNotFoundError', { message: string; scheduleName: string }>;

export type RepositoryNotFoundModel = Typed<
  'RepositoryNotFoundError',
  { message: string; repositoryName: string; repositoryLocationName: string }
>;

/** Dagster's `RunRequest` of a dry run. */
export interface RunRequestModel {
  runKey: string | null;
  tags: Record<string, string>;
  assetSelection: string[];
  partitionKeys: string[];
  jobName: string;
}

/** Dagster's `TickEvaluation`: what a tick at that time would record and request. */
export interface TickEvaluationModel {
  runRequests: RunRequestModel[];
  skipReason: string | null;
  error: PythonErrorModel | null;
  /** The cursor after the evaluation (sensor dry runs); schedules keep none. */
  cursor?: string | null;
}

/**
 * Dagster's `DryRunInstigationTick`: a due time, evaluated lazily (`evaluationResult`) for
 * schedules; sensors' next ticks carry no evaluation here.
 */
export interface DryRunTickModel {
  readonly __typename: 'DryRunInstigationTick';
  /** Epoch seconds. */
  readonly timestamp: number | null;
  /** The schedule to evaluate at `timestamp`, or null (a sensor's next poll). */
  readonly scheduleId: string | null;
  /** Already evaluated (a `scheduleDryRun` result). */
  readonly evaluation?: TickEvaluationModel;
}

export function scheduleNotFound(selector: ScheduleSelectorInput): ScheduleNotFoundModel {
  return typed('ScheduleNotFoundError', {
    scheduleName: selector.scheduleName,
    message:
      selector.repositoryName === REPOSITORY_NAME
        ? `no schedule ${selector.scheduleName} in code location ${selector.repositoryLocationName}`
        : `no repository ${selector.repositoryName}: every code location's repository is ${REPOSITORY_NAME}`,
  });
}

/** The schedule id a selector names, or undefined when its repository name is not Servo's. */
export function scheduleIdOf(selector: ScheduleSelectorInput): string | undefined {
  return selector.repositoryName === REPOSITORY_NAME
    ? instigatorId(selector.repositoryLocationName, selector.scheduleName)
    : undefined;
}

export async function scheduleOrError(
  context: ApiContext,
  selector: ScheduleSelectorInput,
): Promise<ScheduleDefinitionRow | ScheduleNotFoundModel> {
  const scheduleId = scheduleIdOf(selector);
  const schedule =
    scheduleId === undefined ? undefined : await context.loaders.scheduleDefinition.load(scheduleId);
  return schedule ?? scheduleNotFound(selector);
}

export function repositoryNotFound(selector: {
  repositoryName: string;
  repositoryLocationName: string;
}): RepositoryNotFoundModel {
  return typed('RepositoryNotFoundError', {
    repositoryName: selector.repositoryName,
    repositoryLocationName: selector.repositoryLocationName,
    message:
      selector.repositoryName === REPOSITORY_NAME
        ? `no code location ${selector.repositoryLocationName} is deployed`
        : `no repository ${selector.repositoryName}: every code location's repository is ${REPOSITORY_NAME}`,
  });
}

/** The schedules of a code location (deployed or defined through the API), by name. */
export async function schedulesOfLocation(
  context: ApiContext,
  codeLocation: string,
): Promise<ScheduleDefinitionRow[]> {
  return (await instigatorsOfLocation(context).load(codeLocation)).schedules;
}

/** `schedulesOrError`: a code location's schedules, optionally only the running or stopped ones. */
export async function schedulesOrError(
  context: ApiContext,
  selector: { repositoryName: string; repositoryLocationName: string },
  status: 'RUNNING' | 'STOPPED' | null | undefined,
): Promise<Typed<'Schedules', { results: ScheduleDefinitionRow[] }> | RepositoryNotFoundModel> {
  if (selector.repositoryName !== REPOSITORY_NAME) return repositoryNotFound(selector);
  const [location, schedules] = await Promise.all([
    context.loaders.codeLocation.load(selector.repositoryLocationName),
    schedulesOfLocation(context, selector.repositoryLocationName),
  ]);
  if (location === undefined && schedules.length === 0) return repositoryNotFound(selector);
  if (status == null) return typed('Schedules', { results: schedules });
  const statuses = await Promise.all(
    schedules.map((schedule) => instigationStatus(context, scheduleStateOf(schedule))),
  );
  return typed('Schedules', { results: schedules.filter((_, index) => statuses[index] === status) });
}

/** Whether an operator's start or stop overrides the definition's default (so a reset changes something). */
export async function canReset(context: ApiContext, schedule: ScheduleDefinitionRow): Promise<boolean> {
  return ((await context.loaders.scheduleState.load(schedule.scheduleId))?.status ?? null) !== null;
}

export interface FutureTicksArgs {
  cursor?: number | null;
  limit?: number | null;
  until?: number | null;
}

export type DryRunTicksModel = { results: DryRunTickModel[]; cursor: number };

/**
 * `futureTicks`: the due times at or after `cursor` (default now), in the schedule's time zone —
 * before `until` when given, at most `limit` (default 10; at most the platform's `maxFutureTicks`,
 * which also caps an `until` window). `cursor` of the result continues after the last one.
 */
export function futureTicks(
  context: ApiContext,
  schedule: ScheduleDefinitionRow,
  args: FutureTicksArgs,
): DryRunTicksModel {
  const max = context.workspace.automation.limits.maxFutureTicks;
  const cursor = args.cursor ?? context.now().getTime() / 1000;
  const limit = pageLimit(args.limit, args.until == null ? Math.min(10, max) : max, max);
  const clock = scheduleClockOf(schedule);
  if (clock instanceof Error) return { results: [], cursor };
  const untilInclusive = args.until == null ? Number.POSITIVE_INFINITY : Math.ceil(args.until * 1000) - 1;
  const times = [...clock.dueTimesBetween(Math.ceil(cursor * 1000) - 1, untilInclusive, limit)];
  const last = times[times.length - 1];
  return {
    results: times.map((time) => dryRunTick(schedule.scheduleId, time / 1000)),
    cursor: last === undefined ? cursor : last / 1000 + 1,
  };
}

export function dryRunTick(scheduleId: string, timestamp: number): DryRunTickModel {
  return { __typename: 'DryRunInstigationTick', timestamp, scheduleId };
}

/**
 * `potentialTickTimestamps`: `lowerLimit` due times before `startTimestamp` (default now) and
 * `upperLimit` at or after it (10 each by default), ascending, in epoch seconds.
 */
export function potentialTickTimestamps(
  context: ApiContext,
  schedule: ScheduleDefinitionRow,
  args: { startTimestamp?: number | null; upperLimit?: number | null; lowerLimit?: number | null },
): number[] {
  const max = context.workspace.automation.limits.maxFutureTicks;
  const upper = pageLimit(args.upperLimit, 10, max);
  const lower = pageLimit(args.lowerLimit, 10, max);
  const clock = scheduleClockOf(schedule);
  if (clock instanceof Error) return [];
  const start = Math.ceil((args.startTimestamp ?? context.now().getTime() / 1000) * 1000);
  const before: number[] = [];
  for (let at = start - 1; before.length < lower; ) {
    const previous = clock.previousAtOrBefore(at);
    if (previous === undefined) break;
    before.push(previous);
    at = previous - 1;
  }
  const after = [...clock.dueTimesBetween(start - 1, Number.POSITIVE_INFINITY, upper)];
  return [...before.reverse(), ...after].map((time) => time / 1000);
}

/**
 * `DryRunInstigationTick.evaluationResult`: what the schedule would record and request if it
 * ticked at that time, decided exactly as a real tick is (a due time already ticked shows as
 * skipped: its run key was used). Appends nothing.
 */
export async function tickEvaluation(
  context: ApiContext,
  tick: DryRunTickModel,
): Promise<TickEvaluationModel | null> {
  if (tick.evaluation !== undefined) return tick.evaluation;
  if (tick.scheduleId === null || tick.timestamp === null) return null;
  return evaluateSchedule(context, tick.scheduleId, tick.timestamp * 1000);
}

export async function evaluateSchedule(
  context: ApiContext,
  scheduleId: string,
  atMs: number,
): Promise<TickEvaluationModel> {
  try {
    const result = await scheduleDryRun(context.workspace.automation, scheduleId, atMs);
    return evaluationOf(result.ticks, result.runRequests);
  } catch (error) {
    if (!isServoError(error)) throw error;
    return { runRequests: [], skipReason: null, error: pythonError(error) };
  }
}

function evaluationOf(ticks: readonly EventDraft[], runRequests: readonly EventDraft[]): TickEvaluationModel {
  const tick = ticks.find((draft) => draft.type === 'schedule.ticked.v1');
  const payload = tick?.type === 'schedule.ticked.v1' ? tick.payload : undefined;
  return {
    runRequests: runRequests.flatMap((draft) =>
      draft.type === 'run.requested.v1'
        ? [
            {
              runKey: draft.payload.runKey,
              tags: draft.payload.tags ?? {},
              assetSelection: draft.payload.assetSelection,
              partitionKeys: draft.payload.partitionKeys ?? [],
              jobName: ASSET_JOB_NAME,
            },
          ]
        : [],
    ),
    skipReason: payload?.status === 'SKIPPED' ? (payload.skipReason ?? null) : null,
    error: payload?.error === undefined ? null : pythonError(payload.error),
  };
}

/** `Schedule.partitionSet`: the partitions its ticks choose from, when its assets share a definition. */
export async function schedulePartitionSet(
  context: ApiContext,
  schedule: ScheduleDefinitionRow,
): Promise<Typed<'PartitionSet', PartitionSetModel> | null> {
  const set = await partitionSetOfSchedule(context, schedule);
  return set === null ? null : typed('PartitionSet', { ...set });
}
