import { valueFromASTUntyped } from 'graphql';
import { REPOSITORY_NAME } from '../../resolvers/models.js';
import { builder } from '../builder.js';
import { AssetKeyRef } from '../refs.js';

/** Types used across the schema: asset keys, tags, selectors, and the shared enums. */

builder.scalarType('RunConfigData', {
  description: "Dagster's run configuration: a JSON object or a YAML string. Servo runs take none.",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => valueFromASTUntyped(ast),
});

AssetKeyRef.implement({
  fields: (t) => ({ path: t.exposeStringList('path') }),
});

export const AssetKeyInput = builder.inputType('AssetKeyInput', {
  fields: (t) => ({ path: t.stringList({ required: true }) }),
});

interface KeyValue {
  key: string;
  value: string;
}

function keyValueType(name: string, description: string) {
  return builder.objectRef<KeyValue>(name).implement({
    description,
    fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }),
  });
}

export const DefinitionTag = keyValueType(
  'DefinitionTag',
  'A tag on a schedule, sensor or asset definition.',
);
export const PipelineTag = keyValueType('PipelineTag', 'A tag on a run or run request.');
export const RepositoryMetadata = keyValueType(
  'RepositoryMetadata',
  'A key/value shown beside a code location.',
);

/** Tags as `{key, value}` pairs, sorted by key. */
export function tagsOf(tags: Record<string, string> | null | undefined): KeyValue[] {
  if (tags === null || tags === undefined) return [];
  return Object.keys(tags)
    .sort()
    .map((key) => ({ key, value: tags[key] as string }));
}

export const ExecutionTag = builder.inputType('ExecutionTag', {
  fields: (t) => ({ key: t.string({ required: true }), value: t.string({ required: true }) }),
});

export const RepositorySelector = builder.inputType('RepositorySelector', {
  description: `A code location. \`repositoryName\` is always \`${REPOSITORY_NAME}\`.`,
  fields: (t) => ({
    repositoryName: t.string({ required: true }),
    repositoryLocationName: t.string({ required: true }),
  }),
});

export const ScheduleSelector = builder.inputType('ScheduleSelector', {
  fields: (t) => ({
    repositoryName: t.string({ required: true }),
    repositoryLocationName: t.string({ required: true }),
    scheduleName: t.string({ required: true }),
  }),
});

export const SensorSelector = builder.inputType('SensorSelector', {
  fields: (t) => ({
    repositoryName: t.string({ required: true }),
    repositoryLocationName: t.string({ required: true }),
    sensorName: t.string({ required: true }),
  }),
});

export const InstigationSelector = builder.inputType('InstigationSelector', {
  description: 'A schedule or a sensor, by code location and name.',
  fields: (t) => ({
    repositoryName: t.string({ required: true }),
    repositoryLocationName: t.string({ required: true }),
    name: t.string({ required: true }),
  }),
});

/** A code location (Dagster's `RepositoryOrigin`): the model is the code location's name. */
export const RepositoryOrigin = builder.objectRef<{ codeLocation: string }>('RepositoryOrigin').implement({
  fields: (t) => ({
    id: t.string({ resolve: (origin) => `${origin.codeLocation}:${REPOSITORY_NAME}` }),
    repositoryLocationName: t.string({ resolve: (origin) => origin.codeLocation }),
    repositoryName: t.string({ resolve: () => REPOSITORY_NAME }),
    repositoryLocationMetadata: t.field({ type: [RepositoryMetadata], resolve: () => [] }),
  }),
});

export const InstigationStatus = builder.enumType('InstigationStatus', {
  values: ['RUNNING', 'STOPPED'] as const,
});

export const InstigationType = builder.enumType('InstigationType', {
  values: ['SCHEDULE', 'SENSOR', 'AUTO_MATERIALIZE'] as const,
});

export const InstigationTickStatus = builder.enumType('InstigationTickStatus', {
  values: ['STARTED', 'SKIPPED', 'SUCCESS', 'FAILURE'] as const,
});

export const RunStatus = builder.enumType('RunStatus', {
  description:
    "A run's status. Servo uses QUEUED (waiting for admission), STARTING, STARTED, SUCCESS, FAILURE, CANCELING and CANCELED; NOT_STARTED and MANAGED exist for clients written against Dagster.",
  values: [
    'QUEUED',
    'NOT_STARTED',
    'MANAGED',
    'STARTING',
    'STARTED',
    'SUCCESS',
    'FAILURE',
    'CANCELING',
    'CANCELED',
  ] as const,
});

export const BulkActionStatus = builder.enumType('BulkActionStatus', {
  values: [
    'REQUESTED',
    'COMPLETED',
    'FAILED',
    'CANCELED',
    'CANCELING',
    'COMPLETED_SUCCESS',
    'COMPLETED_FAILED',
    'FAILING',
  ] as const,
});
