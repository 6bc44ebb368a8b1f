import { ASSET_JOB_NAME } from '../../resolvers/assets.js';
import { scheduleStateOf } from '../../resolvers/instigation.js';
import {
  canReset,
  dryRunTick,
  futureTicks,
  potentialTickTimestamps,
  scheduleOrError,
  schedulePartitionSet,
  schedulesOrError,
} from '../../resolvers/schedules.js';
import { builder } from '../builder.js';
import { AssetSelectionRef, InstigationStateRef, PartitionSetRef, ScheduleRef } from '../refs.js';
import { DefinitionTag, InstigationStatus, RepositorySelector, ScheduleSelector, tagsOf } from './common.js';
import { DefinitionOwner } from './definition-owner.js';
import { DryRunInstigationTick, DryRunInstigationTicks } from './dry-run.js';
import { errorType, PythonError } from './errors.js';
import { MetadataEntry } from './metadata-entry.js';
import { RepositoryNotFoundError } from './repository.js';

/**
 * Dagster's `Schedule`: a cron schedule read in its IANA time zone, targeting an asset selection
 * in the code location's implicit asset job; deployed by a code location or defined through the
 * API (`upsertSchedule`).
 */
ScheduleRef.implement({
  isTypeOf: (value) =>
    typeof value === 'object' && value !== null && 'scheduleId' in value && 'cronSchedule' in value,
  fields: (t) => ({
    id: t.id({
      description: 'The schedule id, `{codeLocation}:{name}`.',
      resolve: (schedule) => schedule.scheduleId,
    }),
    name: t.exposeString('name'),
    cronSchedule: t.exposeString('cronSchedule'),
    executionTimezone: t.string({ nullable: true, resolve: (schedule) => schedule.executionTimezone }),
    description: t.string({ nullable: true, resolve: (schedule) => schedule.description }),
    pipelineName: t.string({ description: 'The implicit asset job.', resolve: () => ASSET_JOB_NAME }),
    solidSelection: t.stringList({
      nullable: { list: true, items: true },
      description: 'Servo selects assets, not ops: always null (see `assetSelection`).',
      resolve: () => null,
    }),
    mode: t.string({ resolve: () => 'default' }),
    defaultStatus: t.field({
      type: InstigationStatus,
      resolve: (schedule) => (schedule.defaultStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED'),
    }),
    canReset: t.boolean({
      description: 'An operator started or stopped it: `resetSchedule` would return it to `defaultStatus`.',
      resolve: (schedule, _args, context) => canReset(context, schedule),
    }),
    scheduleState: t.field({ type: InstigationStateRef, resolve: (schedule) => scheduleStateOf(schedule) }),
    partitionSet: t.field({
      type: PartitionSetRef,
      nullable: true,
      description: 'The partitions its ticks choose from, when its assets share one partitions definition.',
      resolve: (schedule, _args, context) => schedulePartitionSet(context, schedule),
    }),
    futureTicks: t.field({
      type: DryRunInstigationTicks,
      description:
        "Due times at or after `cursor` (epoch seconds, default now), before `until` when given, in the schedule's time zone; `limit` defaults to 10 and is at most the platform limit `maxFutureTicks` (which also caps an `until` window — continue from the returned `cursor`).",
      args: { cursor: t.arg.float(), limit: t.arg.int(), until: t.arg.float() },
      resolve: (schedule, args, context) => futureTicks(context, schedule, args),
    }),
    futureTick: t.field({
      type: DryRunInstigationTick,
      description: 'The tick due at `tickTimestamp` (epoch seconds): its `evaluationResult` is a dry run.',
      args: { tickTimestamp: t.arg.int({ required: true }) },
      resolve: (schedule, args) => dryRunTick(schedule.scheduleId, args.tickTimestamp),
    }),
    potentialTickTimestamps: t.floatList({
      description:
        '`lowerLimit` due times before `startTimestamp` (default now) and `upperLimit` at or after it (10 each by default), ascending, in epoch seconds.',
      args: { startTimestamp: t.arg.float(), upperLimit: t.arg.int(), lowerLimit: t.arg.int() },
      resolve: (schedule, args, context) => potentialTickTimestamps(context, schedule, args),
    }),
    assetSelection: t.field({
      type: AssetSelectionRef,
      nullable: true,
      resolve: (schedule) => ({ assetKeys: schedule.assetSelection }),
    }),
    owners: t.field({ type: [DefinitionOwner], resolve: () => [] }),
    tags: t.field({ type: [DefinitionTag], resolve: (schedule) => tagsOf(schedule.tags) }),
    metadataEntries: t.field({ type: [MetadataEntry], resolve: () => [] }),
  }),
});

export const ScheduleNotFoundError = errorType('ScheduleNotFoundError', ['scheduleName'], {
  description: 'No schedule of that name in that code location.',
});

const ScheduleOrError = builder.unionType('ScheduleOrError', {
  types: [ScheduleRef, ScheduleNotFoundError, PythonError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'Schedule',
});

const Schedules = builder
  .objectRef<{ __typename: 'Schedules'; results: (typeof ScheduleRef.$inferType)[] }>('Schedules')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'Schedules',
    fields: (t) => ({ results: t.field({ type: [ScheduleRef], resolve: (page) => page.results }) }),
  });

const SchedulesOrError = builder.unionType('SchedulesOrError', {
  types: [Schedules, RepositoryNotFoundError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const Scheduler = builder
  .objectRef<{ __typename: 'Scheduler'; schedulerClass: string }>('Scheduler')
  .implement({
    description:
      "Servo's scheduler: schedule timers of its automation runtime, decided in each schedule's time zone.",
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'Scheduler',
    fields: (t) => ({
      schedulerClass: t.string({ nullable: true, resolve: (scheduler) => scheduler.schedulerClass }),
    }),
  });

const SchedulerNotDefinedError = errorType('SchedulerNotDefinedError', []);

const SchedulerOrError = builder.unionType('SchedulerOrError', {
  types: [Scheduler, SchedulerNotDefinedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.queryField('scheduleOrError', (t) =>
  t.field({
    type: ScheduleOrError,
    args: { scheduleSelector: t.arg({ type: ScheduleSelector, required: true }) },
    resolve: (_root, args, context) => scheduleOrError(context, args.scheduleSelector),
  }),
);

builder.queryField('schedulesOrError', (t) =>
  t.field({
    type: SchedulesOrError,
    description:
      "A code location's schedules (deployed or defined through the API), optionally only RUNNING or STOPPED ones.",
    args: {
      repositorySelector: t.arg({ type: RepositorySelector, required: true }),
      scheduleStatus: t.arg({ type: InstigationStatus }),
    },
    resolve: (_root, args, context) =>
      schedulesOrError(context, args.repositorySelector, args.scheduleStatus),
  }),
);

builder.queryField('scheduler', (t) =>
  t.field({
    type: SchedulerOrError,
    resolve: () => ({ __typename: 'Scheduler' as const, schedulerClass: 'ServoScheduleTimers' }),
  }),
);
