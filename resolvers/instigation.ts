import { isScheduleRunning, scheduleClockOf } from '../engine/controllers/schedules.js';
import { isSensorRunning, nextPollAt, userRunKey } from '../engine/controllers/sensors.js';
import { instigatorId } from '../engine/model/ids.js';
import type { ScheduleDefinitionRow, SensorDefinitionRow } from '../engine/projections/tables/index.js';
import { type ApiContext, roleAllows } from './context.js';
import { type Typed, typed } from './errors.js';
import { type InstigationStateModel, REPOSITORY_NAME } from './models.js';
import { registerRequestCache } from './request-caches.js';
import { requestLoader } from './request-loaders.js';
import type { DryRunTickModel } from './schedules.js';

/**
 * Schedules and sensors as Dagster's `InstigationState`: their on/off state, what is special to
 * each kind, the next tick, and the root fields that find them.
 */

export function scheduleStateOf(
  schedule: Pick<ScheduleDefinitionRow, 'scheduleId' | 'codeLocation' | 'name'>,
): InstigationStateModel {
  return {
    instigationType: 'SCHEDULE',
    instigatorId: schedule.scheduleId,
    codeLocation: schedule.codeLocation,
    name: schedule.name,
  };
}

export function sensorStateOf(
  sensor: Pick<SensorDefinitionRow, 'sensorId' | 'codeLocation' | 'name'>,
): InstigationStateModel {
  return {
    instigationType: 'SENSOR',
    instigatorId: sensor.sensorId,
    codeLocation: sensor.codeLocation,
    name: sensor.name,
  };
}

type InstigationStatusValue = 'RUNNING' | 'STOPPED';

/**
 * The statuses of the schedules and sensors a request listed (`instigatorsOfLocation`), worked out
 * from rows read in the same batch as the list, by kind and then id (the row's own id string, so a
 * lookup builds no key). With them a page of schedules answers `status` without waiting for another
 * batch, so its execution stays synchronous: on a page of 1,000 schedules that halves the time the
 * page takes. A mutation that changes a schedule or sensor forgets its entry
 * (`forgetListedStatus`), as it clears the loaders.
 */
type ListedStatuses = Record<InstigationStateModel['instigationType'], Map<string, InstigationStatusValue>>;
const listedStatuses = new WeakMap<ApiContext, ListedStatuses>();
registerRequestCache((context) => listedStatuses.delete(context));

/** Forgets the status a listing of this request worked out for the schedule or sensor. */
export function forgetListedStatus(
  context: ApiContext,
  instigationType: InstigationStateModel['instigationType'],
  id: string,
): void {
  listedStatuses.get(context)?.[instigationType].delete(id);
}

/**
 * What a schedule or sensor does now: the operator's choice, else the definition's default. Known
 * at once when the request listed it, else loaded.
 */
export function instigationStatus(
  context: ApiContext,
  state: InstigationStateModel,
): InstigationStatusValue | Promise<InstigationStatusValue> {
  return (
    listedStatuses.get(context)?.[state.instigationType].get(state.instigatorId) ??
    loadedStatus(context, state)
  );
}

async function loadedStatus(
  context: ApiContext,
  state: InstigationStateModel,
): Promise<InstigationStatusValue> {
  if (state.instigationType === 'SCHEDULE') {
    const [definition, row] = await Promise.all([
      context.loaders.scheduleDefinition.load(state.instigatorId),
      context.loaders.scheduleState.load(state.instigatorId),
    ]);
    return definition !== undefined && isScheduleRunning(definition, row) ? 'RUNNING' : 'STOPPED';
  }
  const [definition, row] = await Promise.all([
    context.loaders.sensorDefinition.load(state.instigatorId),
    context.loaders.sensorState.load(state.instigatorId),
  ]);
  return definition !== undefined && isSensorRunning(definition, row) ? 'RUNNING' : 'STOPPED';
}

/** Operators and admins may start and stop schedules and sensors; viewers may not. */
export function mayStartOrStop(context: ApiContext): boolean {
  return roleAllows(context.principal.role, 'operator');
}

export type InstigationStateNotFoundModel = Typed<
  'InstigationStateNotFoundError',
  { message: string; name: string }
>;

/**
 * The schedule (first) or sensor of that code location and name. One whose definition was deleted
 * is still found while Servo keeps its state, so its tick history stays readable; it shows as
 * STOPPED.
 */
export async function findInstigationState(
  context: ApiContext,
  codeLocation: string,
  name: string,
): Promise<InstigationStateModel | undefined> {
  const id = instigatorId(codeLocation, name);
  const [schedule, sensor] = await Promise.all([
    context.loaders.scheduleDefinition.load(id),
    context.loaders.sensorDefinition.load(id),
  ]);
  const model = { instigatorId: id, codeLocation, name };
  if (schedule !== undefined) return { instigationType: 'SCHEDULE', ...model };
  if (sensor !== undefined) return { instigationType: 'SENSOR', ...model };
  const [scheduleState, sensorState] = await Promise.all([
    context.loaders.scheduleState.load(id),
    context.loaders.sensorState.load(id),
  ]);
  if (scheduleState !== undefined) return { instigationType: 'SCHEDULE', ...model };
  if (sensorState !== undefined) return { instigationType: 'SENSOR', ...model };
  return undefined;
}

export interface InstigationSelectorInput {
  repositoryName: string;
  repositoryLocationName: string;
  name: string;
}

/** `instigationStateOrError`: `id`, when given, must be the state's id (`{codeLocation}:{name}`). */
export async function instigationStateOrError(
  context: ApiContext,
  selector: InstigationSelectorInput,
  id: string | null | undefined,
): Promise<InstigationStateModel | InstigationStateNotFoundModel> {
  const state =
    selector.repositoryName === REPOSITORY_NAME
      ? await findInstigationState(context, selector.repositoryLocationName, selector.name)
      : undefined;
  if (state === undefined || (id != null && id !== state.instigatorId)) {
    return typed('InstigationStateNotFoundError', {
      name: selector.name,
      message:
        selector.repositoryName === REPOSITORY_NAME
          ? `no schedule or sensor ${selector.name} in code location ${selector.repositoryLocationName}${id == null ? '' : ` with id ${id}`}`
          : `no repository ${selector.repositoryName}: every code location's repository is ${REPOSITORY_NAME}`,
    });
  }
  return state;
}

/** The schedules and sensors defined in a code location, by name (one read for every location asked). */
export function instigatorsOfLocation(context: ApiContext) {
  return requestLoader<string, { schedules: ScheduleDefinitionRow[]; sensors: SensorDefinitionRow[] }>(
    context,
    'instigatorsOfLocation',
    (tables, locations) => {
      const byLocation = new Map(
        locations.map((location) => [
          location,
          { schedules: [] as ScheduleDefinitionRow[], sensors: [] as SensorDefinitionRow[] },
        ]),
      );
      let statuses = listedStatuses.get(context);
      if (statuses === undefined) {
        statuses = { SCHEDULE: new Map(), SENSOR: new Map() };
        listedStatuses.set(context, statuses);
      }
      for (const row of tables.scheduleDefinitions.values()) {
        const listed = byLocation.get(row.codeLocation);
        if (listed === undefined) continue;
        listed.schedules.push(row);
        const running = isScheduleRunning(row, tables.scheduleState.get(row.scheduleId));
        statuses.SCHEDULE.set(row.scheduleId, running ? 'RUNNING' : 'STOPPED');
      }
      for (const row of tables.sensorDefinitions.values()) {
        const listed = byLocation.get(row.codeLocation);
        if (listed === undefined) continue;
        listed.sensors.push(row);
        const running = isSensorRunning(row, tables.sensorState.get(row.sensorId));
        statuses.SENSOR.set(row.sensorId, running ? 'RUNNING' : 'STOPPED');
      }
      for (const entry of byLocation.values()) {
        entry.schedules.sort((a, b) => compare(a.name, b.name));
        entry.sensors.sort((a, b) => compare(a.name, b.name));
      }
      return locations.map((location) => byLocation.get(location) ?? { schedules: [], sensors: [] });
    },
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `instigationStatesOrError(repositoryID)`: every schedule and sensor of the code location whose
 * repository id (`{codeLocation}:__repository__`) is given; none for an id of no code location.
 */
export async function instigationStatesOrError(
  context: ApiContext,
  repositoryId: string,
): Promise<Typed<'InstigationStates', { results: InstigationStateModel[] }>> {
  const suffix = `:${REPOSITORY_NAME}`;
  if (!repositoryId.endsWith(suffix)) return typed('InstigationStates', { results: [] });
  const { schedules, sensors } = await instigatorsOfLocation(context).load(
    repositoryId.slice(0, -suffix.length),
  );
  return typed('InstigationStates', {
    results: [...schedules.map(scheduleStateOf), ...sensors.map(sensorStateOf)],
  });
}

export type ScheduleDataModel = Typed<
  'ScheduleData',
  { cronSchedule: string; startTimestamp: number | null }
>;
export type SensorDataModel = Typed<
  'SensorData',
  { lastTickTimestamp: number | null; lastRunKey: string | null; lastCursor: string | null }
>;

/**
 * `typeSpecificData`: a schedule's cron and when it started running (null when stopped); a
 * sensor's last evaluation time, last run key and cursor. Null once the definition is deleted.
 */
export async function typeSpecificData(
  context: ApiContext,
  state: InstigationStateModel,
): Promise<ScheduleDataModel | SensorDataModel | null> {
  if (state.instigationType === 'SCHEDULE') {
    const [definition, row] = await Promise.all([
      context.loaders.scheduleDefinition.load(state.instigatorId),
      context.loaders.scheduleState.load(state.instigatorId),
    ]);
    if (definition === undefined) return null;
    const running = isScheduleRunning(definition, row);
    const since = row?.status === 'RUNNING' ? row.statusChangedAt : definition.createdAt;
    return typed('ScheduleData', {
      cronSchedule: definition.cronSchedule,
      startTimestamp: running && since !== null ? since / 1000 : null,
    });
  }
  const [definition, row] = await Promise.all([
    context.loaders.sensorDefinition.load(state.instigatorId),
    context.loaders.sensorState.load(state.instigatorId),
  ]);
  if (definition === undefined) return null;
  return typed('SensorData', {
    lastTickTimestamp: row?.lastEvaluatedAt == null ? null : row.lastEvaluatedAt / 1000,
    lastRunKey:
      row?.lastRunKey == null ? null : (userRunKey(state.instigatorId, row.lastRunKey) ?? row.lastRunKey),
    lastCursor: row?.cursor ?? null,
  });
}

/**
 * `nextTick`: when a running schedule is next due (in its time zone), or when a running poll
 * sensor next polls; null when stopped, for push sensors (they run when a message arrives) and for
 * a definition that can no longer be evaluated.
 */
export async function nextTick(
  context: ApiContext,
  state: InstigationStateModel,
): Promise<DryRunTickModel | null> {
  const now = context.now().getTime();
  if (state.instigationType === 'SCHEDULE') {
    const [definition, row] = await Promise.all([
      context.loaders.scheduleDefinition.load(state.instigatorId),
      context.loaders.scheduleState.load(state.instigatorId),
    ]);
    if (definition === undefined || !isScheduleRunning(definition, row)) return null;
    const clock = scheduleClockOf(definition);
    const next = clock instanceof Error ? undefined : clock.nextAfter(now);
    return next === undefined
      ? null
      : { __typename: 'DryRunInstigationTick', timestamp: next / 1000, scheduleId: definition.scheduleId };
  }
  const [definition, row] = await Promise.all([
    context.loaders.sensorDefinition.load(state.instigatorId),
    context.loaders.sensorState.load(state.instigatorId),
  ]);
  if (definition === undefined || definition.kind !== 'poll' || !isSensorRunning(definition, row))
    return null;
  const next = nextPollAt(
    definition,
    { lastEvaluatedAt: row?.lastEvaluatedAt ?? null },
    now,
    context.workspace.automation.limits.minimumSensorIntervalSeconds,
  );
  return { __typename: 'DryRunInstigationTick', timestamp: next / 1000, scheduleId: null };
}
