import {
  changeScheduleStatus,
  type DeleteScheduleSuccessModel,
  deleteScheduleMutation,
  type ScheduleStateResultModel,
  scheduleDryRunMutation,
  stopRunningSchedule,
  triggerScheduleMutation,
  upsertScheduleMutation,
} from '../../resolvers/schedule-mutations.js';
import { builder } from '../builder.js';
import { InstigationStateRef, InstigationTickRef, ScheduleRef } from '../refs.js';
import { PartitionsSelector } from './backfill-mutations.js';
import { AssetKeyInput, InstigationStatus, ScheduleSelector } from './common.js';
import { InvalidDefinitionError } from './definition-errors.js';
import { DryRunInstigationTick } from './dry-run.js';
import { PythonError, UnauthorizedError } from './errors.js';
import { ScheduleNotFoundError } from './schedule.js';

/**
 * Changing schedules: Dagster's `startSchedule`, `stopRunningSchedule`, `resetSchedule` and
 * `scheduleDryRun`, and Servo's `upsertSchedule`, `deleteSchedule` and `triggerSchedule`. Every one
 * needs the operator role; a refused request appends nothing.
 */

const ScheduleStateResult = builder.objectRef<ScheduleStateResultModel>('ScheduleStateResult').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'ScheduleStateResult',
  fields: (t) => ({
    scheduleState: t.field({ type: InstigationStateRef, resolve: (result) => result.scheduleState }),
  }),
});

const ScheduleMutationResult = builder.unionType('ScheduleMutationResult', {
  types: [PythonError, UnauthorizedError, ScheduleStateResult, ScheduleNotFoundError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const ScheduleDryRunResult = builder.unionType('ScheduleDryRunResult', {
  types: [DryRunInstigationTick, PythonError, ScheduleNotFoundError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const CatchupOrder = builder.enumType('CatchupOrder', {
  description: 'Which due times a schedule runs after downtime when more are due than `maxCatchupTicks`.',
  values: {
    NEWEST_FIRST: {
      description: 'Run the newest; the older ones are skipped (recorded on one SKIPPED tick).',
    },
    OLDEST_FIRST: { description: 'Run the oldest now and the rest in the next evaluations.' },
  } as const,
});

const OverlapPolicy = builder.enumType('OverlapPolicy', {
  description: "What a tick does while the schedule's previous run is still going.",
  values: {
    ALLOW: { description: 'Request the run anyway.' },
    SKIP: { description: 'Skip the tick, with the reason.' },
  } as const,
});

const DstGapPolicy = builder.enumType('DstGapPolicy', {
  description: 'What a local due time that does not exist (spring forward) does.',
  values: {
    SHIFT: { description: 'Run when the gap ends.' },
    SKIP: { description: 'Skip that day.' },
  } as const,
});

const DstOverlapPolicy = builder.enumType('DstOverlapPolicy', {
  description: 'What a local due time that happens twice (fall back) does.',
  values: {
    LATER: { description: 'Run at the second occurrence.' },
    EARLIER: { description: 'Run at the first occurrence.' },
    BOTH: { description: 'Run at both.' },
  } as const,
});

const ScheduleDefinitionInput = builder.inputType('ScheduleDefinitionInput', {
  description:
    'A schedule defined through the API. Defaults: catch-up window and ticks from the platform limits, NEWEST_FIRST, ALLOW, SHIFT, LATER, RUNNING; no partitionSelection means the latest complete window of partitioned assets.',
  fields: (t) => ({
    repositoryLocationName: t.string({ required: true }),
    name: t.string({ required: true }),
    cronSchedule: t.string({ required: true, description: 'Unix cron, 5 fields or 6 (with seconds).' }),
    executionTimezone: t.string({ required: true, description: 'An IANA time zone, e.g. Europe/Paris.' }),
    assetSelection: t.field({ type: [AssetKeyInput], required: true }),
    description: t.string(),
    catchupWindowSeconds: t.int(),
    maxCatchupTicks: t.int(),
    catchupOrder: t.field({ type: CatchupOrder }),
    overlapPolicy: t.field({ type: OverlapPolicy }),
    dstGapPolicy: t.field({ type: DstGapPolicy }),
    dstOverlapPolicy: t.field({ type: DstOverlapPolicy }),
    partitionSelection: t.field({ type: PartitionsSelector }),
    defaultStatus: t.field({ type: InstigationStatus }),
  }),
});

const UpsertScheduleResult = builder.unionType('UpsertScheduleResult', {
  types: [ScheduleRef, InvalidDefinitionError, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'Schedule',
});

const DeleteScheduleSuccess = builder
  .objectRef<DeleteScheduleSuccessModel>('DeleteScheduleSuccess')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'DeleteScheduleSuccess',
    fields: (t) => ({
      deletedScheduleId: t.exposeString('deletedScheduleId'),
      scheduleName: t.exposeString('scheduleName'),
      repositoryLocationName: t.exposeString('repositoryLocationName'),
    }),
  });

const DeleteScheduleResult = builder.unionType('DeleteScheduleResult', {
  types: [DeleteScheduleSuccess, ScheduleNotFoundError, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const TriggerScheduleResult = builder.unionType('TriggerScheduleResult', {
  types: [InstigationTickRef, ScheduleNotFoundError, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.mutationField('startSchedule', (t) =>
  t.field({
    type: ScheduleMutationResult,
    description: 'Starts the schedule (operator). It ticks from now on; the stopped period is not replayed.',
    args: { scheduleSelector: t.arg({ type: ScheduleSelector, required: true }) },
    resolve: (_root, args, context) => changeScheduleStatus(context, args.scheduleSelector, 'RUNNING'),
  }),
);

builder.mutationField('stopRunningSchedule', (t) =>
  t.field({
    type: ScheduleMutationResult,
    description:
      'Stops the schedule (operator) named by its id `{codeLocation}:{name}` — the `id` of its InstigationState — as `id` (or `scheduleSelectorId` / `scheduleOriginId`).',
    args: { id: t.arg.string(), scheduleOriginId: t.arg.string(), scheduleSelectorId: t.arg.string() },
    resolve: (_root, args, context) => stopRunningSchedule(context, args),
  }),
);

builder.mutationField('resetSchedule', (t) =>
  t.field({
    type: ScheduleMutationResult,
    description:
      "Clears the operator's start or stop (operator): the definition's default status applies again.",
    args: { scheduleSelector: t.arg({ type: ScheduleSelector, required: true }) },
    resolve: (_root, args, context) => changeScheduleStatus(context, args.scheduleSelector, 'DEFAULT'),
  }),
);

builder.mutationField('scheduleDryRun', (t) =>
  t.field({
    type: ScheduleDryRunResult,
    description:
      'What the schedule would record and request if it ticked at `timestamp` (epoch seconds, default now): the decision for its last due time at or before it (operator). Appends nothing.',
    args: {
      selectorData: t.arg({ type: ScheduleSelector, required: true }),
      timestamp: t.arg.float(),
    },
    resolve: (_root, args, context) => scheduleDryRunMutation(context, args.selectorData, args.timestamp),
  }),
);

builder.mutationField('upsertSchedule', (t) =>
  t.field({
    type: UpsertScheduleResult,
    description:
      'Creates or replaces a schedule defined through the API (operator). The whole definition is checked first; a refused one is an InvalidDefinitionError and nothing is written. Schedules a code location deploys are changed by deploying it.',
    args: { input: t.arg({ type: ScheduleDefinitionInput, required: true }) },
    resolve: (_root, args, context) => upsertScheduleMutation(context, args.input),
  }),
);

builder.mutationField('deleteSchedule', (t) =>
  t.field({
    type: DeleteScheduleResult,
    description:
      'Deletes a schedule defined through the API (operator); its tick history stays until retention expires it.',
    args: { scheduleSelector: t.arg({ type: ScheduleSelector, required: true }) },
    resolve: (_root, args, context) => deleteScheduleMutation(context, args.scheduleSelector),
  }),
);

builder.mutationField('triggerSchedule', (t) =>
  t.field({
    type: TriggerScheduleResult,
    description:
      'Ticks the schedule now, outside its cadence, requesting its run whether or not it is running (operator). Returns the tick.',
    args: { scheduleSelector: t.arg({ type: ScheduleSelector, required: true }) },
    resolve: (_root, args, context) => triggerScheduleMutation(context, args.scheduleSelector),
  }),
);
