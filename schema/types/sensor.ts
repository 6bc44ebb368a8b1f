import type { SensorDefinitionRow } from '../../engine/projections/tables/index.js';
import { nextTick, sensorStateOf } from '../../resolvers/instigation.js';
import { assetKeyOf } from '../../resolvers/models.js';
import {
  canReset,
  hasCursorUpdatePermissions,
  sensorAssetSelection,
  sensorOrError,
  sensorsOrError,
  type TargetModel,
  targetsOf,
} from '../../resolvers/sensors.js';
import { builder } from '../builder.js';
import { AssetKeyRef, AssetSelectionRef, InstigationStateRef, SensorRef } from '../refs.js';
import { DefinitionTag, InstigationStatus, RepositorySelector, SensorSelector, tagsOf } from './common.js';
import { DefinitionOwner } from './definition-owner.js';
import { DryRunInstigationTick } from './dry-run.js';
import { errorType, PythonError, UnauthorizedError } from './errors.js';
import { MetadataEntry } from './metadata-entry.js';
import { RepositoryNotFoundError } from './repository.js';

/**
 * Dagster's `Sensor`: a poll sensor (evaluated every `minIntervalSeconds`) or a push sensor
 * (evaluated for each message POSTed to `/push/{codeLocation}/{sensor}`), whose code lives in a
 * code location. Both are `STANDARD` sensors in Dagster's terms.
 */

export const SensorType = builder.enumType('SensorType', {
  description:
    'Every Servo sensor runs its own code (poll or push), which Dagster calls STANDARD; the other values exist for clients written against Dagster.',
  values: [
    'STANDARD',
    'RUN_STATUS',
    'ASSET',
    'MULTI_ASSET',
    'FRESHNESS_POLICY',
    'AUTO_MATERIALIZE',
    'AUTOMATION',
    'UNKNOWN',
  ] as const,
});

export const Target = builder.objectRef<TargetModel>('Target').implement({
  description: `What a sensor requests runs of: Servo's implicit asset job \`__ASSET_JOB\` over the sensor's assets.`,
  fields: (t) => ({
    pipelineName: t.exposeString('pipelineName'),
    mode: t.exposeString('mode'),
    solidSelection: t.exposeStringList('solidSelection', { nullable: true }),
  }),
});

const SensorMetadata = builder.objectRef<{ assetKeys: readonly string[] }>('SensorMetadata').implement({
  fields: (t) => ({
    assetKeys: t.field({
      type: [AssetKeyRef],
      nullable: true,
      description: "The sensor's target assets.",
      resolve: (metadata) => metadata.assetKeys.map(assetKeyOf),
    }),
  }),
});

SensorRef.implement({
  fields: (t) => ({
    id: t.id({
      description: 'The sensor id, `{codeLocation}:{name}`.',
      resolve: (sensor) => sensor.sensorId,
    }),
    jobOriginId: t.string({
      description: 'The sensor id again (Dagster names the sensor by origin for `stopSensor`).',
      resolve: (sensor) => sensor.sensorId,
    }),
    name: t.exposeString('name'),
    description: t.string({ nullable: true, resolve: (sensor) => sensor.description }),
    minIntervalSeconds: t.int({ resolve: (sensor) => sensor.minimumIntervalSeconds }),
    defaultStatus: t.field({
      type: InstigationStatus,
      resolve: (sensor) => (sensor.defaultStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED'),
    }),
    canReset: t.boolean({
      description: 'An operator started or stopped it: `resetSensor` would return it to `defaultStatus`.',
      resolve: (sensor, _args, context) => canReset(context, sensor),
    }),
    hasCursorUpdatePermissions: t.boolean({
      resolve: (_sensor, _args, context) => hasCursorUpdatePermissions(context),
    }),
    sensorState: t.field({ type: InstigationStateRef, resolve: (sensor) => sensorStateOf(sensor) }),
    nextTick: t.field({
      type: DryRunInstigationTick,
      nullable: true,
      description: 'When a running poll sensor polls next; null when stopped and for push sensors.',
      resolve: (sensor, _args, context) => nextTick(context, sensorStateOf(sensor)),
    }),
    sensorType: t.field({ type: SensorType, resolve: () => 'STANDARD' as const }),
    targets: t.field({ type: [Target], nullable: true, resolve: (sensor) => targetsOf(sensor) }),
    metadata: t.field({ type: SensorMetadata, resolve: (sensor) => ({ assetKeys: sensor.targetAssets }) }),
    assetSelection: t.field({
      type: AssetSelectionRef,
      nullable: true,
      resolve: (sensor) => sensorAssetSelection(sensor),
    }),
    owners: t.field({ type: [DefinitionOwner], resolve: () => [] }),
    tags: t.field({ type: [DefinitionTag], resolve: (sensor) => tagsOf(sensor.tags) }),
    metadataEntries: t.field({ type: [MetadataEntry], resolve: () => [] }),
  }),
});

export const SensorNotFoundError = errorType('SensorNotFoundError', ['sensorName'], {
  description: 'No sensor of that name in that code location.',
});

export const SensorOrError = builder.unionType('SensorOrError', {
  types: [SensorRef, SensorNotFoundError, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'Sensor',
});

const Sensors = builder.objectRef<{ results: SensorDefinitionRow[] }>('Sensors').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'Sensors',
  fields: (t) => ({ results: t.field({ type: [SensorRef], resolve: (sensors) => sensors.results }) }),
});

// A thunk: repository.ts and this module import each other.
const SensorsOrError = builder.unionType('SensorsOrError', {
  types: () => [Sensors, RepositoryNotFoundError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.queryField('sensorOrError', (t) =>
  t.field({
    type: SensorOrError,
    args: { sensorSelector: t.arg({ type: SensorSelector, required: true }) },
    resolve: (_root, args, context) => sensorOrError(context, args.sensorSelector),
  }),
);

builder.queryField('sensorsOrError', (t) =>
  t.field({
    type: SensorsOrError,
    description:
      "A code location's sensors, by name; with `sensorStatus`, only those RUNNING or STOPPED now.",
    args: {
      repositorySelector: t.arg({ type: RepositorySelector, required: true }),
      sensorStatus: t.arg({ type: InstigationStatus }),
    },
    resolve: (_root, args, context) =>
      sensorsOrError(context, args.repositorySelector, args.sensorStatus ?? null),
  }),
);
