import { REPOSITORY_NAME } from '../../resolvers/models.js';
import { schedulesOfLocation } from '../../resolvers/schedules.js';
import { mayLaunchRuns, repositoryOf, sensorsOfJob } from '../../resolvers/workspace.js';
import { PipelineRef, RepositoryRef, ScheduleRef, SensorRef } from '../refs.js';
import { PipelineTag } from './common.js';
import { DefinitionOwner } from './definition-owner.js';
import { MetadataEntry } from './metadata-entry.js';

/**
 * Dagster's `Pipeline` (a job). A Servo code location has one: the implicit asset job
 * `__ASSET_JOB`, which runs any selection of its assets; every schedule and sensor targets it.
 */
PipelineRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (job) => `${job.codeLocation}:${REPOSITORY_NAME}:${job.name}` }),
    name: t.exposeString('name'),
    graphName: t.exposeString('name'),
    description: t.string({ nullable: true, resolve: () => null }),
    isJob: t.boolean({ resolve: () => true }),
    isAssetJob: t.boolean({ resolve: () => true }),
    externalJobSource: t.string({ nullable: true, resolve: () => null }),
    pipelineSnapshotId: t.string({
      description: 'Servo keeps no job snapshots: the job id stands in for one.',
      resolve: (job) => `${job.codeLocation}:${REPOSITORY_NAME}:${job.name}`,
    }),
    parentSnapshotId: t.string({ nullable: true, resolve: () => null }),
    owners: t.field({ type: [DefinitionOwner], resolve: () => [] }),
    tags: t.field({ type: [PipelineTag], resolve: () => [] }),
    runTags: t.field({ type: [PipelineTag], resolve: () => [] }),
    metadataEntries: t.field({ type: [MetadataEntry], resolve: () => [] }),
    schedules: t.field({
      type: [ScheduleRef],
      resolve: (job, _args, context) => schedulesOfLocation(context, job.codeLocation),
    }),
    sensors: t.field({
      type: [SensorRef],
      resolve: (job, _args, context) => sensorsOfJob(context, job.codeLocation),
    }),
    repository: t.field({
      type: RepositoryRef,
      resolve: (job, _args, context) => repositoryOf(context, job.codeLocation),
    }),
    hasLaunchExecutionPermission: t.boolean({ resolve: (_job, _args, context) => mayLaunchRuns(context) }),
    hasLaunchReexecutionPermission: t.boolean({ resolve: (_job, _args, context) => mayLaunchRuns(context) }),
  }),
});
