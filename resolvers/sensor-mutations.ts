import {
  deleteSensor,
  resetSensor,
  sensorDryRun,
  setSensorCursor,
  startSensor,
  stopSensor,
  type UpsertSensorInput,
  upsertSensor,
} from '../engine/commands/sensors.js';
import { ErrorCode, isServoError } from '../engine/errors.js';
import type { SensorDefinitionRow } from '../engine/projections/tables/index.js';
import { ASSET_JOB_NAME } from './assets.js';
import type { ApiContext } from './context.js';
import {
  denied,
  expectedError,
  type PythonErrorModel,
  pythonError,
  requireRole,
  type Typed,
  typed,
  type UnauthorizedErrorModel,
} from './errors.js';
import { forgetListedStatus, sensorStateOf } from './instigation.js';
import { assetKeyString, type InstigationStateModel, REPOSITORY_NAME } from './models.js';
import type { DryRunTickModel, TickEvaluationModel } from './schedules.js';
import { type SensorNotFoundModel, type SensorSelectorInput, sensorIdOf, sensorNotFound } from './sensors.js';

/**
 * The sensor mutations: Dagster's start, stop, reset, cursor and dry run, and Servo's definition
 * CRUD. Every one that changes something needs the operator role.
 */

type SensorResult =
  | Typed<'Sensor', SensorDefinitionRow>
  | SensorNotFoundModel
  | UnauthorizedErrorModel
  | PythonErrorModel;

/** Catches up with the ledger and loads the sensor afresh (this request may have loaded it before). */
async function existingSensor(
  context: ApiContext,
  sensorId: string | undefined,
): Promise<SensorDefinitionRow | undefined> {
  if (sensorId === undefined) return undefined;
  await context.workspace.sync();
  forget(context, sensorId);
  return context.loaders.sensorDefinition.load(sensorId);
}

/** Forget what this request loaded about a sensor before changing it. */
function forget(context: ApiContext, sensorId: string): void {
  context.loaders.sensorDefinition.clear(sensorId);
  context.loaders.sensorState.clear(sensorId);
  forgetListedStatus(context, 'SENSOR', sensorId);
}

function selectorOf(sensor: Pick<SensorDefinitionRow, 'codeLocation' | 'name'>): SensorSelectorInput {
  return {
    repositoryName: REPOSITORY_NAME,
    repositoryLocationName: sensor.codeLocation,
    sensorName: sensor.name,
  };
}

type SensorCommand = (sensor: SensorDefinitionRow) => Promise<unknown>;

/** Runs a command on the selected sensor and returns the sensor as it is afterwards. */
async function onSensor(
  context: ApiContext,
  selector: SensorSelectorInput,
  command: SensorCommand,
): Promise<SensorResult> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const sensor = await existingSensor(context, sensorIdOf(selector));
  if (sensor === undefined) return sensorNotFound(selector);
  try {
    await command(sensor);
  } catch (error) {
    return expectedError(error, () => sensorNotFound(selector));
  }
  forget(context, sensor.sensorId);
  const after = await context.loaders.sensorDefinition.load(sensor.sensorId);
  return after === undefined ? sensorNotFound(selector) : typed('Sensor', { ...after });
}

const target = (sensor: SensorDefinitionRow) => ({ codeLocation: sensor.codeLocation, name: sensor.name });

/** `startSensor`: RUNNING until stopped; a poll sensor polls now or when its interval allows. */
export function startSensorMutation(
  context: ApiContext,
  selector: SensorSelectorInput,
): Promise<SensorResult> {
  return onSensor(context, selector, (sensor) =>
    startSensor(context.workspace.automation, target(sensor), context.principal.subject),
  );
}

/** `resetSensor`: back to the definition's default status. */
export function resetSensorMutation(
  context: ApiContext,
  selector: SensorSelectorInput,
): Promise<SensorResult> {
  return onSensor(context, selector, (sensor) =>
    resetSensor(context.workspace.automation, target(sensor), context.principal.subject),
  );
}

/**
 * `setSensorCursor`: the cursor the next poll starts from (null clears it). An evaluation already
 * under way from the old cursor is recorded as stale and requests nothing. Push sensors have no
 * cursor: setting one is a `PythonError` (`ILLEGAL_STATE`).
 */
export function setSensorCursorMutation(
  context: ApiContext,
  selector: SensorSelectorInput,
  cursor: string | null,
): Promise<SensorResult> {
  return onSensor(context, selector, (sensor) =>
    setSensorCursor(context.workspace.automation, { ...target(sensor), cursor }, context.principal.subject),
  );
}

export type StopSensorResultModel = Typed<
  'StopSensorMutationResult',
  { instigationState: InstigationStateModel | null }
>;

/**
 * `stopSensor`: the sensor by its id (`{codeLocation}:{name}`, the `id` of its `Sensor` and of its
 * `InstigationState`), given as `id`, `jobOriginId` or `jobSelectorId`.
 */
export async function stopSensorMutation(
  context: ApiContext,
  ids: { id?: string | null; jobOriginId?: string | null; jobSelectorId?: string | null },
): Promise<StopSensorResultModel | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const sensorId = ids.id ?? ids.jobSelectorId ?? ids.jobOriginId ?? undefined;
  const sensor = await existingSensor(context, sensorId);
  if (sensor === undefined) {
    return pythonError({
      message:
        sensorId === undefined
          ? 'give the sensor to stop as id (its Sensor or InstigationState id, {codeLocation}:{name})'
          : `no sensor with id ${sensorId}`,
      className: ErrorCode.NotFound,
    });
  }
  try {
    await stopSensor(context.workspace.automation, target(sensor), context.principal.subject);
  } catch (error) {
    return expectedError<never>(error);
  }
  forget(context, sensor.sensorId);
  return typed('StopSensorMutationResult', { instigationState: sensorStateOf(sensor) });
}

/** What a sensor dry run adds to Dagster's `TickEvaluation`: the cursor and dynamic partitions. */
export interface SensorTickEvaluationModel extends TickEvaluationModel {
  cursor: string | null;
  dynamicPartitionsRequests: DynamicPartitionRequestModel[];
}

export interface DynamicPartitionRequestModel {
  partitionsDefName: string;
  partitionKeys: string[];
  type: 'ADD_PARTITIONS' | 'DELETE_PARTITIONS';
}

/**
 * `sensorDryRun`: evaluates a poll sensor in its code location from `cursor` (as Dagster, null is
 * no cursor: the sensor's first evaluation; pass its `lastCursor` to continue from where it is)
 * and returns what the evaluation would record and request, appending nothing. A push sensor is
 * evaluated on messages only: dry-running one is a `PythonError` (`ILLEGAL_STATE`).
 */
export async function sensorDryRunMutation(
  context: ApiContext,
  selector: SensorSelectorInput,
  cursor: string | null | undefined,
): Promise<DryRunTickModel | SensorNotFoundModel | PythonErrorModel> {
  requireRole(context, 'operator');
  const sensor = await existingSensor(context, sensorIdOf(selector));
  if (sensor === undefined) return sensorNotFound(selector);
  const at = context.workspace.automation.clock.now().getTime();
  try {
    const result = await sensorDryRun(context.workspace.automation, {
      ...target(sensor),
      cursor: cursor ?? null,
    });
    const evaluation: SensorTickEvaluationModel = {
      runRequests: result.runRequests.map((request) => ({
        runKey: request.runKey,
        tags: request.tags,
        assetSelection: request.assetSelection,
        partitionKeys: request.partitionKeys ?? [],
        jobName: ASSET_JOB_NAME,
      })),
      skipReason: result.skipReason,
      error: result.error === null ? null : pythonError(result.error),
      cursor: result.cursorAfter,
      dynamicPartitionsRequests: result.dynamicPartitionsRequests.flatMap((request) => [
        ...(request.added.length === 0
          ? []
          : [
              {
                partitionsDefName: request.partitionsDefName,
                partitionKeys: request.added,
                type: 'ADD_PARTITIONS' as const,
              },
            ]),
        ...(request.deleted.length === 0
          ? []
          : [
              {
                partitionsDefName: request.partitionsDefName,
                partitionKeys: request.deleted,
                type: 'DELETE_PARTITIONS' as const,
              },
            ]),
      ]),
    };
    return { __typename: 'DryRunInstigationTick', timestamp: at / 1000, scheduleId: null, evaluation };
  } catch (error) {
    const failure = expectedError(error, () => sensorNotFound(selector));
    return failure.__typename === 'UnauthorizedError' ? pythonError(failure) : failure;
  }
}

/** Servo's `SensorDefinitionInput` as the API receives it. */
export interface SensorDefinitionApiInput {
  repositoryLocationName: string;
  name: string;
  kind?: 'POLL' | 'PUSH' | null;
  minIntervalSeconds?: number | null;
  defaultStatus?: 'RUNNING' | 'STOPPED' | null;
  description?: string | null;
  assetSelection?: readonly { path: readonly string[] }[] | null;
  maxRunRequests?: number | null;
  evaluationTimeoutSeconds?: number | null;
  tags?: readonly { key: string; value: string }[] | null;
}

export type InvalidDefinitionModel = Typed<'InvalidDefinitionError', { message: string }>;

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * `upsertSensor`: creates or changes the definition of a sensor whose code is in a deployed code
 * location (the code location must define a sensor of that name). Omitted fields keep their value
 * (or take the defaults: poll, no target assets, the platform's minimum interval, STOPPED). A
 * refused definition is an `InvalidDefinitionError` saying which field and why.
 */
export async function upsertSensorMutation(
  context: ApiContext,
  input: SensorDefinitionApiInput,
): Promise<
  Typed<'Sensor', SensorDefinitionRow> | InvalidDefinitionModel | UnauthorizedErrorModel | PythonErrorModel
> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const tags =
    input.tags == null ? undefined : Object.fromEntries(input.tags.map((tag) => [tag.key, tag.value]));
  const definition: UpsertSensorInput = {
    codeLocation: input.repositoryLocationName,
    name: input.name,
    ...optional<'kind', 'poll' | 'push'>(
      'kind',
      input.kind == null ? null : input.kind === 'PUSH' ? 'push' : 'poll',
    ),
    ...optional('minimumIntervalSeconds', input.minIntervalSeconds),
    ...optional('defaultStatus', input.defaultStatus),
    ...optional('description', input.description),
    ...optional('targetAssets', input.assetSelection?.map(assetKeyString)),
    ...optional('maxRunRequests', input.maxRunRequests),
    ...optional('evaluationTimeoutSeconds', input.evaluationTimeoutSeconds),
    ...optional('tags', tags),
  };
  try {
    const view = await upsertSensor(context.workspace.automation, definition, context.principal.subject);
    forget(context, view.sensorId);
    const sensor = await context.loaders.sensorDefinition.load(view.sensorId);
    if (sensor === undefined)
      return pythonError({ message: `sensor ${view.sensorId} was deleted meanwhile` });
    return typed('Sensor', { ...sensor });
  } catch (error) {
    if (isServoError(error, ErrorCode.InvalidInput) || isServoError(error, ErrorCode.NotFound)) {
      return typed('InvalidDefinitionError', { message: error.message });
    }
    return expectedError(error);
  }
}

export type DeleteSensorSuccessModel = Typed<
  'DeleteSensorSuccess',
  { deletedSensorId: string; sensorName: string; repositoryLocationName: string }
>;

/**
 * `deleteSensor`: removes a sensor's definition; its state (cursor, status) and evaluation history
 * stay, so a sensor defined again continues from its cursor. A sensor its code location defines
 * comes back with the next deploy of that code location.
 */
export async function deleteSensorMutation(
  context: ApiContext,
  selector: SensorSelectorInput,
): Promise<DeleteSensorSuccessModel | SensorNotFoundModel | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const sensor = await existingSensor(context, sensorIdOf(selector));
  if (sensor === undefined) return sensorNotFound(selector);
  try {
    await deleteSensor(context.workspace.automation, target(sensor), context.principal.subject);
  } catch (error) {
    return expectedError(error, () => sensorNotFound(selectorOf(sensor)));
  }
  forget(context, sensor.sensorId);
  return typed('DeleteSensorSuccess', {
    deletedSensorId: sensor.sensorId,
    sensorName: sensor.name,
    repositoryLocationName: sensor.codeLocation,
  });
}
