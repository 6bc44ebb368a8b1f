/**
 * When schedules are due: Unix cron expressions read in an IANA time zone, with SPEC §4's DST rule
 * and per-schedule overrides. Pure: no I/O and no clock; time comes in as epoch milliseconds.
 */
export { CronExpression, parseCron } from './cron-expression.js';
export {
  type DstGapPolicy,
  type DstOverlapPolicy,
  parseSchedule,
  ScheduleClock,
  type ScheduleSpec,
} from './schedule-clock.js';
export { validateTimeZone } from './time-zone.js';
