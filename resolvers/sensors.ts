import { isSensorRunning } from '../engine/controllers/sensors.js';
import { instigatorId } from '../engine/model/ids.js';
import type { SensorDefinitionRow } from '../engine/projections/tables/index.js';
import { ASSET_JOB_NAME } from './assets.js';
import type { ApiContext } from './context.js';
import { type Typed, typed } from './errors.js';
import { instigatorsOfLocation } from './instigation.js';
import { type AssetSelectionModel, REPOSITORY_NAME } from './models.js';
import { type RepositoryNotFoundModel, repositoryNotFound } from './schedules.js';

/**
 * Sensors as Dagster's `Sensor` shows them: lookups by selector and by code location, and what
 * Servo's sensor definitions say in Dagster's terms. Mutations are in `sensor-mutations.ts`.
 */

export interface SensorSelectorInput {
  repositoryName: string;
  repositoryLocationName: string;
  sensorName: string;
}

export type SensorNotFoundModel = Typed<'SensorNotFoundError', { message: string; sensorName: string }>;
export type SensorsModel = Typed<'Sensors', { results: SensorDefinitionRow[] }>;

/** Dagster's `SensorType`. Every Servo sensor, poll or push, runs its own code: STANDARD. */
export type SensorTypeValue = 'STANDARD';

export function sensorNotFound(selector: SensorSelectorInput): SensorNotFoundModel {
  return typed('SensorNotFoundError', {
    sensorName: selector.sensorName,
    message:
      selector.repositoryName === REPOSITORY_NAME
        ? `no sensor ${selector.sensorName} in code location ${selector.repositoryLocationName}`
        : `no repository ${selector.repositoryName}: every code location's repository is ${REPOSITORY_NAME}`,
  });
}

/** The sensor id a selector names, or undefined when its repository name is not Servo's. */
export function sensorIdOf(selector: SensorSelectorInput): string | undefined {
  return selector.repositoryName === REPOSITORY_NAME
    ? instigatorId(selector.repositoryLocationName, selector.sensorName)
    : undefined;
}

export async function sensorOrError(
  context: ApiContext,
  selector: SensorSelectorInput,
): Promise<Typed<'Sensor', SensorDefinitionRow> | SensorNotFoundModel> {
  const sensorId = sensorIdOf(selector);
  const sensor = sensorId === undefined ? undefined : await context.loaders.sensorDefinition.load(sensorId);
  return sensor === undefined ? sensorNotFound(selector) : typed('Sensor', { ...sensor });
}

/** The sensors of a code location, by name, optionally only those RUNNING or STOPPED now. */
export async function sensorsOfLocation(
  context: ApiContext,
  codeLocation: string,
  status: 'RUNNING' | 'STOPPED' | null = null,
): Promise<SensorDefinitionRow[]> {
  const { sensors } = await instigatorsOfLocation(context).load(codeLocation);
  if (status === null) return sensors;
  const states = await context.loaders.sensorState.loadMany(sensors.map((sensor) => sensor.sensorId));
  return sensors.filter((sensor, index) => {
    const state = states[index];
    const running = isSensorRunning(sensor, state instanceof Error ? undefined : state);
    return running === (status === 'RUNNING');
  });
}

/** `sensorsOrError`: a deployed code location's sensors (RepositoryNotFoundError otherwise). */
export async function sensorsOrError(
  context: ApiContext,
  selector: { repositoryName: string; repositoryLocationName: string },
  status: 'RUNNING' | 'STOPPED' | null,
): Promise<SensorsModel | RepositoryNotFoundModel> {
  const location = await context.loaders.codeLocation.load(selector.repositoryLocationName);
  if (selector.repositoryName !== REPOSITORY_NAME || location === undefined)
    return repositoryNotFound(selector);
  return typed('Sensors', {
    results: await sensorsOfLocation(context, selector.repositoryLocationName, status),
  });
}

/** Whether an operator's start or stop overrides the default status (`resetSensor` would clear it). */
export async function canReset(context: ApiContext, sensor: SensorDefinitionRow): Promise<boolean> {
  const state = await context.loaders.sensorState.load(sensor.sensorId);
  return state?.status != null;
}

/** Operators and admins may set cursors; viewers may not. */
export function hasCursorUpdatePermissions(context: ApiContext): boolean {
  return context.principal.role !== 'viewer';
}

/** Dagster's `Target`: Servo's sensors target the implicit asset job with their asset selection. */
export interface TargetModel {
  pipelineName: string;
  mode: string;
  solidSelection: string[] | null;
}

export function targetsOf(sensor: SensorDefinitionRow): TargetModel[] {
  return sensor.targetAssets.length === 0
    ? []
    : [{ pipelineName: ASSET_JOB_NAME, mode: 'default', solidSelection: null }];
}

/** The sensor's target assets; null when it names none (its run requests name their assets). */
export function sensorAssetSelection(sensor: SensorDefinitionRow): AssetSelectionModel | null {
  return sensor.targetAssets.length === 0 ? null : { assetKeys: sensor.targetAssets };
}
