import { type CodeLocationModel, REPOSITORY_NAME } from '../../resolvers/models.js';
import { schedulesOfLocation } from '../../resolvers/schedules.js';
import {
  displayMetadata,
  repositoriesOrError,
  repositoryAssets,
  repositoryOrError,
  repositoryPartitionSets,
  repositoryPipelines,
  repositorySensors,
} from '../../resolvers/workspace.js';
import { builder } from '../builder.js';
import {
  AssetKeyRef,
  AssetNodeRef,
  PartitionSetRef,
  PipelineRef,
  RepositoryLocationRef,
  RepositoryRef,
  ScheduleRef,
  SensorRef,
} from '../refs.js';
import { RepositoryMetadata, RepositoryOrigin, RepositorySelector } from './common.js';
import { errorType, PythonError } from './errors.js';
import { SensorType } from './sensor.js';

/**
 * Dagster's `Repository` and `RepositoryLocation`: in Servo both are the code location (one
 * repository per location, named `__repository__`), with its assets, its implicit asset job, and
 * the schedules and sensors defined for it (deployed or through the API).
 */

const isCodeLocationModel = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && 'name' in value && 'row' in value;

RepositoryRef.implement({
  isTypeOf: isCodeLocationModel,
  fields: (t) => ({
    id: t.id({ resolve: (location) => `${location.name}:${REPOSITORY_NAME}` }),
    name: t.string({ resolve: () => REPOSITORY_NAME }),
    location: t.field({
      type: RepositoryLocationRef,
      resolve: (location) => ({ name: location.name, row: location.row }),
    }),
    origin: t.field({ type: RepositoryOrigin, resolve: (location) => ({ codeLocation: location.name }) }),
    pipelines: t.field({
      type: [PipelineRef],
      description: 'The implicit asset job, when the code location defines assets.',
      resolve: (location, _args, context) => repositoryPipelines(context, location),
    }),
    schedules: t.field({
      type: [ScheduleRef],
      resolve: (location, _args, context) => schedulesOfLocation(context, location.name),
    }),
    sensors: t.field({
      type: [SensorRef],
      args: { sensorType: t.arg({ type: SensorType }) },
      description: 'Every Servo sensor, poll or push, is a STANDARD sensor.',
      resolve: (location, args, context) => repositorySensors(context, location, args.sensorType ?? null),
    }),
    partitionSets: t.field({
      type: [PartitionSetRef],
      resolve: (location, _args, context) => repositoryPartitionSets(context, location),
    }),
    assetNodes: t.field({
      type: [AssetNodeRef],
      resolve: (location, _args, context) => repositoryAssets(context, location),
    }),
    displayMetadata: t.field({
      type: [RepositoryMetadata],
      resolve: (location) => displayMetadata(location),
    }),
    allTopLevelResourceDetails: t.field({
      type: [ResourceDetails],
      description: 'Servo code locations declare no resources: always empty.',
      resolve: () => [],
    }),
    hasLocationDocs: t.boolean({ resolve: () => false }),
  }),
});

RepositoryLocationRef.implement({
  isTypeOf: isCodeLocationModel,
  fields: (t) => ({
    id: t.id({ resolve: (location) => location.name }),
    name: t.exposeString('name'),
    isReloadSupported: t.boolean({
      description: 'Code locations are deployed, not reloaded: always false.',
      resolve: () => false,
    }),
    environmentPath: t.string({ nullable: true, resolve: () => null }),
    repositories: t.field({
      type: [RepositoryRef],
      resolve: (location) => [{ name: location.name, row: location.row }],
    }),
    serverId: t.string({
      nullable: true,
      description: 'The deployed code version: it changes whenever the code location is deployed anew.',
      resolve: (location) => location.row?.codeVersion ?? null,
    }),
    dagsterLibraryVersions: t.field({
      type: [DagsterLibraryVersion],
      nullable: true,
      description: 'Servo does not record library versions of code locations: always null.',
      resolve: () => null,
    }),
  }),
});

export const DagsterLibraryVersion = builder
  .objectRef<{ name: string; version: string }>('DagsterLibraryVersion')
  .implement({
    fields: (t) => ({ name: t.exposeString('name'), version: t.exposeString('version') }),
  });

/** Dagster's resources: Servo has none, so these types only describe empty lists. */
const NestedResourceEntry = builder.objectRef<{ name: string }>('NestedResourceEntry').implement({
  fields: (t) => ({ name: t.exposeString('name') }),
});

const JobWithOps = builder.objectRef<{ jobName: string }>('JobWithOps').implement({
  fields: (t) => ({ jobName: t.exposeString('jobName') }),
});

interface ResourceDetailsModel {
  name: string;
  description: string | null;
  resourceType: string;
}

const ResourceDetails = builder.objectRef<ResourceDetailsModel>('ResourceDetails').implement({
  fields: (t) => ({
    id: t.string({ resolve: (resource) => resource.name }),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    resourceType: t.exposeString('resourceType'),
    isTopLevel: t.boolean({ resolve: () => true }),
    parentResources: t.field({ type: [NestedResourceEntry], resolve: () => [] }),
    nestedResources: t.field({ type: [NestedResourceEntry], resolve: () => [] }),
    assetKeysUsing: t.field({ type: [AssetKeyRef], resolve: () => [] }),
    jobsOpsUsing: t.field({ type: [JobWithOps], resolve: () => [] }),
    schedulesUsing: t.stringList({ resolve: () => [] }),
    sensorsUsing: t.stringList({ resolve: () => [] }),
  }),
});

export const RepositoryNotFoundError = errorType(
  'RepositoryNotFoundError',
  ['repositoryName', 'repositoryLocationName'],
  {
    description: `No such code location (or a repository name other than \`${REPOSITORY_NAME}\`).`,
  },
);

const RepositoryConnection = builder
  .objectRef<{ __typename: 'RepositoryConnection'; nodes: CodeLocationModel[] }>('RepositoryConnection')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'RepositoryConnection',
    fields: (t) => ({ nodes: t.field({ type: [RepositoryRef], resolve: (connection) => connection.nodes }) }),
  });

const RepositoriesOrError = builder.unionType('RepositoriesOrError', {
  types: [RepositoryConnection, RepositoryNotFoundError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const RepositoryOrError = builder.unionType('RepositoryOrError', {
  types: [PythonError, RepositoryRef, RepositoryNotFoundError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'Repository',
});

builder.queryField('repositoriesOrError', (t) =>
  t.field({
    type: RepositoriesOrError,
    description: "Every code location's repository, or the one the selector names.",
    args: { repositorySelector: t.arg({ type: RepositorySelector }) },
    resolve: (_root, args, context) => repositoriesOrError(context, args.repositorySelector),
  }),
);

builder.queryField('repositoryOrError', (t) =>
  t.field({
    type: RepositoryOrError,
    args: { repositorySelector: t.arg({ type: RepositorySelector, required: true }) },
    resolve: (_root, args, context) => repositoryOrError(context, args.repositorySelector),
  }),
);
