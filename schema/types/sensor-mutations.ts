import type { TickEvaluationModel } from '../../resolvers/schedules.js';
import {
  type DeleteSensorSuccessModel,
  type DynamicPartitionRequestModel,
  deleteSensorMutation,
  resetSensorMutation,
  type SensorTickEvaluationModel,
  type StopSensorResultModel,
  sensorDryRunMutation,
  setSensorCursorMutation,
  startSensorMutation,
  stopSensorMutation,
  upsertSensorMutation,
} from '../../resolvers/sensor-mutations.js';
import { builder } from '../builder.js';
import { InstigationStateRef, SensorRef } from '../refs.js';
import { AssetKeyInput, ExecutionTag, InstigationStatus, SensorSelector } from './common.js';
import { InvalidDefinitionError } from './definition-errors.js';
import { DryRunInstigationTick, TickEvaluation } from './dry-run.js';
import { PythonError, UnauthorizedError } from './errors.js';
import { SensorNotFoundError, SensorOrError } from './sensor.js';
import { DynamicPartitionsRequestType } from './tick.js';

/**
 * The sensor mutations: Dagster's `startSensor`, `stopSensor`, `resetSensor`, `setSensorCursor`
 * and `sensorDryRun`, and Servo's `upsertSensor` and `deleteSensor`. Each needs the operator role.
 */

const isTyped = (name: string) => (value: unknown) => (value as { __typename?: string }).__typename === name;

const StopSensorMutationResult = builder
  .objectRef<StopSensorResultModel>('StopSensorMutationResult')
  .implement({
    isTypeOf: isTyped('StopSensorMutationResult'),
    fields: (t) => ({
      instigationState: t.field({
        type: InstigationStateRef,
        nullable: true,
        resolve: (result) => result.instigationState,
      }),
    }),
  });

const StopSensorMutationResultOrError = builder.unionType('StopSensorMutationResultOrError', {
  types: [StopSensorMutationResult, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const SensorDryRunResult = builder.unionType('SensorDryRunResult', {
  types: [PythonError, SensorNotFoundError, DryRunInstigationTick],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const DynamicPartitionRequest = builder
  .objectRef<DynamicPartitionRequestModel>('DynamicPartitionRequest')
  .implement({
    description: 'Keys a sensor evaluation adds to or deletes from a dynamic partitions definition.',
    fields: (t) => ({
      partitionKeys: t.exposeStringList('partitionKeys', { nullable: true }),
      partitionsDefName: t.exposeString('partitionsDefName'),
      type: t.field({ type: DynamicPartitionsRequestType, resolve: (request) => request.type }),
    }),
  });

function isSensorEvaluation(evaluation: TickEvaluationModel): evaluation is SensorTickEvaluationModel {
  return 'dynamicPartitionsRequests' in evaluation;
}

builder.objectFields(TickEvaluation, (t) => ({
  dynamicPartitionsRequests: t.field({
    type: [DynamicPartitionRequest],
    nullable: true,
    description: "A sensor dry run's dynamic partition changes; null for schedules.",
    resolve: (evaluation) => (isSensorEvaluation(evaluation) ? evaluation.dynamicPartitionsRequests : null),
  }),
}));

const SensorKind = builder.enumType('SensorKind', {
  description: 'How a Servo sensor is evaluated: POLL every minimum interval, PUSH for each message.',
  values: ['POLL', 'PUSH'] as const,
});

const SensorDefinitionInput = builder.inputType('SensorDefinitionInput', {
  description:
    "A sensor whose code is in a deployed code location (which must implement a sensor of this name). Omitted fields keep their value; a new sensor's defaults are POLL, no target assets, the platform's minimum interval and STOPPED.",
  fields: (t) => ({
    repositoryLocationName: t.string({ required: true }),
    name: t.string({ required: true }),
    kind: t.field({ type: SensorKind }),
    minIntervalSeconds: t.int({ description: 'From the platform minimum (30 s by default) to a week.' }),
    defaultStatus: t.field({ type: InstigationStatus }),
    description: t.string(),
    assetSelection: t.field({ type: [AssetKeyInput], description: 'The target assets.' }),
    maxRunRequests: t.int({ description: 'Most run requests one evaluation may make.' }),
    evaluationTimeoutSeconds: t.int(),
    tags: t.field({ type: [ExecutionTag], description: "Tags added to the sensor's runs." }),
  }),
});

const UpsertSensorResult = builder.unionType('UpsertSensorResult', {
  types: [SensorRef, InvalidDefinitionError, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'Sensor',
});

const DeleteSensorSuccess = builder.objectRef<DeleteSensorSuccessModel>('DeleteSensorSuccess').implement({
  isTypeOf: isTyped('DeleteSensorSuccess'),
  fields: (t) => ({
    deletedSensorId: t.exposeString('deletedSensorId'),
    sensorName: t.exposeString('sensorName'),
    repositoryLocationName: t.exposeString('repositoryLocationName'),
  }),
});

const DeleteSensorResult = builder.unionType('DeleteSensorResult', {
  types: [DeleteSensorSuccess, SensorNotFoundError, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.mutationField('startSensor', (t) =>
  t.field({
    type: SensorOrError,
    description:
      'Starts the sensor (operator). A poll sensor polls now, or when its minimum interval allows; the stopped period is not replayed.',
    args: { sensorSelector: t.arg({ type: SensorSelector, required: true }) },
    resolve: (_root, args, context) => startSensorMutation(context, args.sensorSelector),
  }),
);

builder.mutationField('stopSensor', (t) =>
  t.field({
    type: StopSensorMutationResultOrError,
    description:
      'Stops the sensor (operator) named by its id `{codeLocation}:{name}` as `id` (or `jobOriginId` / `jobSelectorId`). A stopped push sensor quarantines its messages.',
    args: { id: t.arg.string(), jobOriginId: t.arg.string(), jobSelectorId: t.arg.string() },
    resolve: (_root, args, context) => stopSensorMutation(context, args),
  }),
);

builder.mutationField('resetSensor', (t) =>
  t.field({
    type: SensorOrError,
    description:
      "Clears the operator's start or stop (operator): the definition's default status applies again.",
    args: { sensorSelector: t.arg({ type: SensorSelector, required: true }) },
    resolve: (_root, args, context) => resetSensorMutation(context, args.sensorSelector),
  }),
);

builder.mutationField('setSensorCursor', (t) =>
  t.field({
    type: SensorOrError,
    description:
      "Sets a poll sensor's cursor (operator); null clears it. An evaluation already under way from the old cursor is recorded as stale and requests nothing.",
    args: { cursor: t.arg.string(), sensorSelector: t.arg({ type: SensorSelector, required: true }) },
    resolve: (_root, args, context) =>
      setSensorCursorMutation(context, args.sensorSelector, args.cursor ?? null),
  }),
);

builder.mutationField('sensorDryRun', (t) =>
  t.field({
    type: SensorDryRunResult,
    description:
      "Evaluates a poll sensor in its code location from `cursor` (null: no cursor, as a first evaluation; pass the sensor's `lastCursor` to continue from where it is) and returns what it would record and request (operator). Appends nothing.",
    args: { cursor: t.arg.string(), selectorData: t.arg({ type: SensorSelector, required: true }) },
    resolve: (_root, args, context) => sensorDryRunMutation(context, args.selectorData, args.cursor),
  }),
);

builder.mutationField('upsertSensor', (t) =>
  t.field({
    type: UpsertSensorResult,
    description:
      'Defines or changes a sensor whose code is in a deployed code location (operator). A refused definition is an InvalidDefinitionError and nothing is written.',
    args: { input: t.arg({ type: SensorDefinitionInput, required: true }) },
    resolve: (_root, args, context) => upsertSensorMutation(context, args.input),
  }),
);

builder.mutationField('deleteSensor', (t) =>
  t.field({
    type: DeleteSensorResult,
    description:
      "Deletes a sensor's definition (operator). Its state (status, cursor) and evaluation history stay; a sensor its code location defines comes back with the next deploy.",
    args: { sensorSelector: t.arg({ type: SensorSelector, required: true }) },
    resolve: (_root, args, context) => deleteSensorMutation(context, args.sensorSelector),
  }),
);
