import {
  instigationStateOrError,
  instigationStatesOrError,
  instigationStatus,
  mayStartOrStop,
  nextTick,
  type ScheduleDataModel,
  type SensorDataModel,
  typeSpecificData,
} from '../../resolvers/instigation.js';
import { REPOSITORY_NAME } from '../../resolvers/models.js';
import { tickOf, ticksOf } from '../../resolvers/ticks.js';
import { builder } from '../builder.js';
import { InstigationStateRef, InstigationTickRef } from '../refs.js';
import {
  InstigationSelector,
  InstigationStatus,
  InstigationTickStatus,
  InstigationType,
  RepositoryOrigin,
} from './common.js';
import { DryRunInstigationTick } from './dry-run.js';
import { errorType, PythonError } from './errors.js';

/**
 * Dagster's `InstigationState`: a schedule's or sensor's on/off state, what is special to its kind,
 * its tick history and next tick. (Its runs are added by types/run modules.)
 */

const ScheduleData = builder.objectRef<ScheduleDataModel>('ScheduleData').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'ScheduleData',
  fields: (t) => ({
    cronSchedule: t.exposeString('cronSchedule'),
    startTimestamp: t.float({
      nullable: true,
      description: 'When the schedule started running (epoch seconds); null while stopped.',
      resolve: (data) => data.startTimestamp,
    }),
  }),
});

const SensorData = builder.objectRef<SensorDataModel>('SensorData').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'SensorData',
  fields: (t) => ({
    lastTickTimestamp: t.float({
      nullable: true,
      description: 'When the sensor was last evaluated (epoch seconds).',
      resolve: (data) => data.lastTickTimestamp,
    }),
    lastRunKey: t.string({ nullable: true, resolve: (data) => data.lastRunKey }),
    lastCursor: t.string({ nullable: true, resolve: (data) => data.lastCursor }),
  }),
});

const InstigationTypeSpecificData = builder.unionType('InstigationTypeSpecificData', {
  types: [SensorData, ScheduleData],
  resolveType: (value) => value.__typename,
});

InstigationStateRef.implement({
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'instigatorId' in value,
  fields: (t) => ({
    id: t.id({
      description: 'The schedule or sensor id, `{codeLocation}:{name}`.',
      resolve: (state) => state.instigatorId,
    }),
    selectorId: t.string({ resolve: (state) => state.instigatorId }),
    name: t.exposeString('name'),
    instigationType: t.field({ type: InstigationType, resolve: (state) => state.instigationType }),
    status: t.field({
      type: InstigationStatus,
      description:
        "The operator's choice, else the definition's default; STOPPED once the definition is deleted.",
      resolve: (state, _args, context) => instigationStatus(context, state),
    }),
    repositoryName: t.string({ resolve: () => REPOSITORY_NAME }),
    repositoryLocationName: t.exposeString('codeLocation'),
    repositoryOrigin: t.field({
      type: RepositoryOrigin,
      resolve: (state) => ({ codeLocation: state.codeLocation }),
    }),
    typeSpecificData: t.field({
      type: InstigationTypeSpecificData,
      nullable: true,
      resolve: (state, _args, context) => typeSpecificData(context, state),
    }),
    tick: t.field({
      type: InstigationTickRef,
      description: 'One tick of this schedule or sensor, by id (a NOT_FOUND error when it has no such tick).',
      args: { tickId: t.arg.id({ required: true }) },
      resolve: (state, args, context) => tickOf(context, state, String(args.tickId)),
    }),
    ticks: t.field({
      type: [InstigationTickRef],
      description:
        'Ticks newest first. `statuses`, `beforeTimestamp`/`afterTimestamp` (epoch seconds, exclusive), `dayOffset` (ends that many days ago) and `dayRange` (spans that many days) narrow the window; `cursor` is the id of the last tick of the previous page; `limit` defaults to 100, at most 1000.',
      args: {
        dayRange: t.arg.int(),
        dayOffset: t.arg.int(),
        limit: t.arg.int(),
        cursor: t.arg.string(),
        statuses: t.arg({ type: [InstigationTickStatus] }),
        beforeTimestamp: t.arg.float(),
        afterTimestamp: t.arg.float(),
      },
      resolve: (state, args, context) => ticksOf(context, state, args),
    }),
    nextTick: t.field({
      type: DryRunInstigationTick,
      nullable: true,
      description:
        'When a running schedule is next due (in its time zone) or a running poll sensor next polls; null when stopped and for push sensors.',
      resolve: (state, _args, context) => nextTick(context, state),
    }),
    hasStartPermission: t.boolean({ resolve: (_state, _args, context) => mayStartOrStop(context) }),
    hasStopPermission: t.boolean({ resolve: (_state, _args, context) => mayStartOrStop(context) }),
  }),
});

export const InstigationStateNotFoundError = errorType('InstigationStateNotFoundError', ['name'], {
  description: 'No schedule or sensor of that name in that code location.',
});

const InstigationStateOrError = builder.unionType('InstigationStateOrError', {
  types: [InstigationStateRef, InstigationStateNotFoundError, PythonError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'InstigationState',
});

const InstigationStates = builder
  .objectRef<{ __typename: 'InstigationStates'; results: (typeof InstigationStateRef.$inferType)[] }>(
    'InstigationStates',
  )
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'InstigationStates',
    fields: (t) => ({ results: t.field({ type: [InstigationStateRef], resolve: (page) => page.results }) }),
  });

const InstigationStatesOrError = builder.unionType('InstigationStatesOrError', {
  types: [InstigationStates, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.queryField('instigationStateOrError', (t) =>
  t.field({
    type: InstigationStateOrError,
    description: 'A schedule or sensor by code location and name; `id`, when given, must be its id.',
    args: {
      instigationSelector: t.arg({ type: InstigationSelector, required: true }),
      id: t.arg.string(),
    },
    resolve: (_root, args, context) => instigationStateOrError(context, args.instigationSelector, args.id),
  }),
);

builder.queryField('instigationStatesOrError', (t) =>
  t.field({
    type: InstigationStatesOrError,
    description:
      'Every schedule and sensor of a code location, by its repository id (`{codeLocation}:__repository__`).',
    args: { repositoryID: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => instigationStatesOrError(context, args.repositoryID),
  }),
);
