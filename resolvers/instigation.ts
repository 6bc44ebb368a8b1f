import { isScheduleRunning } from '../engine/controllers/schedules.js';
import { isSensorRunning } from '../engine/controllers/sensors.js';
import type { ApiContext } from './context.js';
import type { InstigationStateModel, TickModel } from './models.js';

/** What a schedule or sensor does now: the operator's choice, else the definition's default. */
export async function instigationStatus(
  context: ApiContext,
  state: InstigationStateModel,
): Promise<'RUNNING' | 'STOPPED'> {
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

/** The tick's id as Dagster shows it. */
export function tickIdOf(tick: TickModel): string {
  return tick.instigationType === 'SCHEDULE' ? tick.row.tickId : tick.row.evalId;
}

/** Seconds since the epoch at which the tick was due (schedules) or evaluated (sensors). */
export function tickTimestamp(tick: TickModel): number {
  return tick.instigationType === 'SCHEDULE'
    ? tick.row.scheduledFor / 1000
    : (tick.row.dueAt ?? tick.row.evaluatedAt) / 1000;
}

/** Tick statuses are Dagster's; a stale sensor evaluation shows as SKIPPED. */
export function tickStatus(tick: TickModel): 'STARTED' | 'SKIPPED' | 'SUCCESS' | 'FAILURE' {
  const status = tick.row.status;
  return status === 'SUCCESS' || status === 'FAILURE' || status === 'STARTED' ? status : 'SKIPPED';
}
