import { z } from 'zod';
import { Id, Instant } from '../common.js';
import { defineEvent } from '../event-type.js';

/**
 * What a timer wakes up. Timer ids are derived from kind, subject and fire time, so a timer asked
 * for twice is one timer, and its handler is idempotent on the id.
 */
export const TimerKind = z.enum([
  'schedule_tick',
  'sensor_poll',
  'backfill_reconcile',
  'run_request_sweep',
  'task_retry',
  'heartbeat_check',
  'dispatch_retry',
  'run_terminate',
  'admission_wake',
]);
export type TimerKind = z.infer<typeof TimerKind>;

export const TimerRequested = defineEvent({
  type: 'timer.requested.v1',
  keyFormat: 'timer_req:{timerId}',
  dedupe: {
    by: 'state',
    guard:
      'applies only to a timer id without a row; a copy is rejected while the timer is kept (until `firedTimerDays`, 7 by default, after it fired)',
  },
  description:
    'A controller asked to be woken at a time (next schedule tick, next poll, retry, heartbeat check, …).',
  payload: z.object({
    timerId: Id,
    kind: TimerKind,
    /** The schedule, sensor, backfill or `{runId}/{taskKey}` the timer is about. */
    subjectId: Id,
    fireAt: Instant,
    /** For task timers: the attempt the timer belongs to. */
    attempt: z.number().int().min(1).max(100).optional(),
  }),
  idempotencyKey: (p) => `timer_req:${p.timerId}`,
});

export const TimerFired = defineEvent({
  type: 'timer.fired.v1',
  keyFormat: 'timer_fired:{timerId}',
  dedupe: {
    by: 'state',
    guard:
      'applies only to a timer that has not fired; a copy is rejected while the timer is kept (`firedTimerDays` after it fired, 7 by default)',
  },
  description:
    "A timer was delivered and its handler ran; the handler's decision is in the same segment. Redeliveries change nothing.",
  payload: z.object({
    timerId: Id,
    kind: TimerKind,
    subjectId: Id,
    fireAt: Instant,
    attempt: z.number().int().min(1).max(100).optional(),
  }),
  idempotencyKey: (p) => `timer_fired:${p.timerId}`,
});
