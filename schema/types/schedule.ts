import { InstigationStateRef, ScheduleRef } from '../refs.js';
import { DefinitionTag, InstigationStatus, tagsOf } from './common.js';

/** Dagster's `Schedule`: a cron schedule of Servo's, targeting an asset selection. */
ScheduleRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (schedule) => schedule.scheduleId }),
    name: t.exposeString('name'),
    cronSchedule: t.exposeString('cronSchedule'),
    executionTimezone: t.string({ nullable: true, resolve: (schedule) => schedule.executionTimezone }),
    description: t.string({ nullable: true, resolve: (schedule) => schedule.description }),
    defaultStatus: t.field({
      type: InstigationStatus,
      resolve: (schedule) => (schedule.defaultStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED'),
    }),
    scheduleState: t.field({
      type: InstigationStateRef,
      resolve: (schedule) => ({
        instigationType: 'SCHEDULE' as const,
        instigatorId: schedule.scheduleId,
        codeLocation: schedule.codeLocation,
        name: schedule.name,
      }),
    }),
    tags: t.field({ type: [DefinitionTag], resolve: (schedule) => tagsOf(schedule.tags) }),
  }),
});
