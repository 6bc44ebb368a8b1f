import {
  deleteSchedule,
  type ScheduleDefinitionInput,
  setScheduleStatus,
  triggerSchedule,
  upsertSchedule,
} from '../engine/commands/schedules.js';
import { ErrorCode, isServoError } from '../engine/errors.js';
import type { ScheduleDefinitionRow } from '../engine/projections/tables/index.js';
import type { ApiContext } from './context.js';
import {
  denied,
  expectedError,
  type PythonErrorModel,
  requireRole,
  type Typed,
  typed,
  type UnauthorizedErrorModel,
} from './errors.js';
import { forgetListedStatus, scheduleStateOf } from './instigation.js';
import { assetKeyString, type InstigationStateModel, REPOSITORY_NAME, type TickModel } from './models.js';
import {
  type DryRunTickModel,
  evaluateSchedule,
  type ScheduleNotFoundModel,
  type ScheduleSelectorInput,
  scheduleIdOf,
  scheduleNotFound,
} from './schedules.js';

/**
 * The schedule mutations: Dagster's start, stop, reset and dry run, and Servo's definition CRUD and
 * manual trigger. Every one that changes something needs the operator role.
 */

export type ScheduleStateResultModel = Typed<'ScheduleStateResult', { scheduleState: InstigationStateModel }>;
type Failure = ScheduleNotFoundModel | UnauthorizedErrorModel | PythonErrorModel;

async function existingSchedule(
  context: ApiContext,
  scheduleId: string | undefined,
): Promise<ScheduleDefinitionRow | undefined> {
  if (scheduleId === undefined) return undefined;
  await context.workspace.sync();
  context.loaders.scheduleDefinition.clear(scheduleId);
  return context.loaders.scheduleDefinition.load(scheduleId);
}

/** Forget what this request loaded about a schedule before changing it. */
function forget(context: ApiContext, scheduleId: string): void {
  context.loaders.scheduleDefinition.clear(scheduleId);
  context.loaders.scheduleState.clear(scheduleId);
  forgetListedStatus(context, 'SCHEDULE', scheduleId);
}

/** `startSchedule` (RUNNING), `resetSchedule` (back to the definition's default). */
export async function changeScheduleStatus(
  context: ApiContext,
  selector: ScheduleSelectorInput,
  status: 'RUNNING' | 'STOPPED' | 'DEFAULT',
): Promise<ScheduleStateResultModel | Failure> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const schedule = await existingSchedule(context, scheduleIdOf(selector));
  if (schedule === undefined) return scheduleNotFound(selector);
  return setStatus(context, schedule, status);
}

async function setStatus(
  context: ApiContext,
  schedule: ScheduleDefinitionRow,
  status: 'RUNNING' | 'STOPPED' | 'DEFAULT',
): Promise<ScheduleStateResultModel | Failure> {
  try {
    await setScheduleStatus(
      context.workspace.automation,
      schedule.scheduleId,
      status,
      context.principal.subject,
    );
  } catch (error) {
    return expectedError(error, () => scheduleNotFound(selectorOf(schedule)));
  }
  forget(context, schedule.scheduleId);
  return typed('ScheduleStateResult', { scheduleState: scheduleStateOf(schedule) });
}

function selectorOf(schedule: ScheduleDefinitionRow): ScheduleSelectorInput {
  return {
    repositoryName: REPOSITORY_NAME,
    repositoryLocationName: schedule.codeLocation,
    scheduleName: schedule.name,
  };
}

/**
 * `stopRunningSchedule`: the schedule by its id (`{codeLocation}:{name}`, the `id` and `selectorId`
 * of its `InstigationState`), given as `id`, `scheduleSelectorId` or `scheduleOriginId`.
 */
export async function stopRunningSchedule(
  context: ApiContext,
  ids: { id?: string | null; scheduleOriginId?: string | null; scheduleSelectorId?: string | null },
): Promise<ScheduleStateResultModel | Failure> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const scheduleId = ids.id ?? ids.scheduleSelectorId ?? ids.scheduleOriginId ?? undefined;
  const schedule = await existingSchedule(context, scheduleId);
  if (schedule === undefined) {
    return typed('ScheduleNotFoundError', {
      scheduleName: scheduleId?.split(':').slice(1).join(':') ?? '',
      message:
        scheduleId === undefined
          ? 'give the schedule to stop as id (its InstigationState id, {codeLocation}:{name})'
          : `no schedule with id ${scheduleId}`,
    });
  }
  return setStatus(context, schedule, 'STOPPED');
}

/**
 * `scheduleDryRun`: what the schedule would do if it ticked at `timestamp` (epoch seconds, default
 * now) — the tick's decision for the last due time at or before it. Appends nothing.
 */
export async function scheduleDryRunMutation(
  context: ApiContext,
  selector: ScheduleSelectorInput,
  timestamp: number | null | undefined,
): Promise<DryRunTickModel | ScheduleNotFoundModel | PythonErrorModel> {
  requireRole(context, 'operator');
  const schedule = await existingSchedule(context, scheduleIdOf(selector));
  if (schedule === undefined) return scheduleNotFound(selector);
  const at = timestamp ?? context.now().getTime() / 1000;
  return {
    __typename: 'DryRunInstigationTick',
    timestamp: at,
    scheduleId: schedule.scheduleId,
    evaluation: await evaluateSchedule(context, schedule.scheduleId, at * 1000),
  };
}

/** Servo's `ScheduleDefinitionInput` as the API receives it. */
export interface ScheduleDefinitionApiInput {
  repositoryLocationName: string;
  name: string;
  cronSchedule: string;
  executionTimezone: string;
  assetSelection: readonly { path: readonly string[] }[];
  description?: string | null;
  catchupWindowSeconds?: number | null;
  maxCatchupTicks?: number | null;
  catchupOrder?: 'NEWEST_FIRST' | 'OLDEST_FIRST' | null;
  overlapPolicy?: 'ALLOW' | 'SKIP' | null;
  dstGapPolicy?: 'SHIFT' | 'SKIP' | null;
  dstOverlapPolicy?: 'LATER' | 'EARLIER' | 'BOTH' | null;
  partitionSelection?: {
    range?: { start: string; end: string } | null;
    ranges?: readonly { start: string; end: string }[] | null;
  } | null;
  defaultStatus?: 'RUNNING' | 'STOPPED' | null;
}

export type InvalidDefinitionModel = Typed<'InvalidDefinitionError', { message: string }>;

function invalidDefinition(message: string): InvalidDefinitionModel {
  return typed('InvalidDefinitionError', { message });
}

function partitionSelectionOf(
  selection: NonNullable<ScheduleDefinitionApiInput['partitionSelection']>,
): ScheduleDefinitionInput['partitionSelection'] | InvalidDefinitionModel {
  if (selection.range != null && selection.ranges != null) {
    return invalidDefinition('partitionSelection: give either range or ranges, not both');
  }
  if (selection.range != null) {
    return {
      kind: 'selector',
      selector: { kind: 'range', start: selection.range.start, end: selection.range.end },
    };
  }
  if (selection.ranges != null) {
    return {
      kind: 'selector',
      selector: { kind: 'ranges', ranges: selection.ranges.map((range) => ({ ...range })) },
    };
  }
  return invalidDefinition(
    'partitionSelection: give range or ranges (omit partitionSelection for the latest window)',
  );
}

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * `upsertSchedule`: creates or replaces a schedule defined through the API. The whole definition is
 * validated (cron, time zone, DST policies, assets, partition selection) before anything is
 * written; a refused one is an `InvalidDefinitionError` saying which field and why.
 */
export async function upsertScheduleMutation(
  context: ApiContext,
  input: ScheduleDefinitionApiInput,
): Promise<ScheduleDefinitionRow | InvalidDefinitionModel | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const partitionSelection =
    input.partitionSelection == null ? undefined : partitionSelectionOf(input.partitionSelection);
  if (partitionSelection !== undefined && 'message' in partitionSelection) return partitionSelection;
  const definition: ScheduleDefinitionInput = {
    codeLocation: input.repositoryLocationName,
    name: input.name,
    cronSchedule: input.cronSchedule,
    executionTimezone: input.executionTimezone,
    assetSelection: input.assetSelection.map(assetKeyString),
    ...optional('description', input.description),
    ...optional('catchupWindowSeconds', input.catchupWindowSeconds),
    ...optional('maxCatchupTicks', input.maxCatchupTicks),
    ...optional('catchupOrder', input.catchupOrder),
    ...optional('overlapPolicy', input.overlapPolicy),
    ...optional('dstGapPolicy', input.dstGapPolicy),
    ...optional('dstOverlapPolicy', input.dstOverlapPolicy),
    ...optional('defaultStatus', input.defaultStatus),
    ...optional('partitionSelection', partitionSelection),
  };
  try {
    const schedule = await upsertSchedule(
      context.workspace.automation,
      definition,
      context.principal.subject,
    );
    forget(context, schedule.scheduleId);
    return schedule;
  } catch (error) {
    if (isServoError(error, ErrorCode.InvalidInput) || isServoError(error, ErrorCode.IllegalState)) {
      return invalidDefinition(error.message);
    }
    return expectedError(error);
  }
}

export type DeleteScheduleSuccessModel = Typed<
  'DeleteScheduleSuccess',
  { deletedScheduleId: string; scheduleName: string; repositoryLocationName: string }
>;

/**
 * `deleteSchedule`: removes a schedule defined through the API (its tick history stays until
 * retention expires it). A schedule a code location defines is changed by deploying that code
 * location: deleting it is a `PythonError` with class `ILLEGAL_STATE`.
 */
export async function deleteScheduleMutation(
  context: ApiContext,
  selector: ScheduleSelectorInput,
): Promise<DeleteScheduleSuccessModel | Failure> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const schedule = await existingSchedule(context, scheduleIdOf(selector));
  if (schedule === undefined) return scheduleNotFound(selector);
  try {
    await deleteSchedule(context.workspace.automation, schedule.scheduleId, context.principal.subject);
  } catch (error) {
    return expectedError(error, () => scheduleNotFound(selector));
  }
  forget(context, schedule.scheduleId);
  return typed('DeleteScheduleSuccess', {
    deletedScheduleId: schedule.scheduleId,
    scheduleName: schedule.name,
    repositoryLocationName: schedule.codeLocation,
  });
}

/**
 * `triggerSchedule`: ticks the schedule now, outside its cadence, and requests its run (whether or
 * not the schedule is running). Returns the tick it recorded.
 */
export async function triggerScheduleMutation(
  context: ApiContext,
  selector: ScheduleSelectorInput,
): Promise<Typed<'InstigationTick', TickModel> | Failure> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const schedule = await existingSchedule(context, scheduleIdOf(selector));
  if (schedule === undefined) return scheduleNotFound(selector);
  let tickId: string;
  try {
    tickId = await triggerSchedule(
      context.workspace.automation,
      schedule.scheduleId,
      context.principal.subject,
    );
  } catch (error) {
    return expectedError(error, () => scheduleNotFound(selector));
  }
  forget(context, schedule.scheduleId);
  context.loaders.scheduleTick.clear(tickId);
  const row = await context.loaders.scheduleTick.load(tickId);
  // The command returns only after the tick is folded; a missing row is a bug, masked and logged.
  if (row === undefined) throw new Error(`tick ${tickId} was not recorded`);
  return { __typename: 'InstigationTick', instigationType: 'SCHEDULE', row };
}
