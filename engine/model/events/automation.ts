import { z } from 'zod';
import { Actor, ErrorInfo, Id, Instant, InstigatorStatus, NonNegativeInt } from '../common.js';
import { defineEvent } from '../event-type.js';
import { sha256Hex } from '../hashing.js';

/** `DEFAULT` clears the operator's choice so the definition's `defaultStatus` applies again. */
export const InstigatorStatusChange = z.union([InstigatorStatus, z.literal('DEFAULT')]);

export const ScheduleStatusChanged = defineEvent({
  type: 'schedule.status-changed.v1',
  keyFormat: 'sched_status:{scheduleId}:{requestId}',
  dedupe: { by: 'key' },
  description: 'An operator started, stopped or reset a schedule. Stopping never replays the stopped period.',
  payload: z.object({
    scheduleId: Id,
    status: InstigatorStatusChange,
    changedBy: Actor,
    requestId: Id,
  }),
  idempotencyKey: (p) => `sched_status:${p.scheduleId}:${p.requestId}`,
});

export const TickStatus = z.enum(['SUCCESS', 'SKIPPED', 'FAILURE']);
export type TickStatus = z.infer<typeof TickStatus>;

export const ScheduleTicked = defineEvent({
  type: 'schedule.ticked.v1',
  keyFormat: 'sched_tick:{tickId}',
  dedupe: {
    by: 'state',
    guard:
      'applies only to a tick id not yet recorded; a copy is rejected while the tick is kept (`tickDays`, 90 by default)',
  },
  description:
    'One decision of a schedule for one due time: a run requested (SUCCESS), skipped with a reason, or failed with an error.',
  payload: z.object({
    scheduleId: Id,
    /** `{scheduleId}:{epochSeconds}` for cron ticks, `{scheduleId}:manual:{requestId}` for manual triggers. */
    tickId: Id,
    /** The nominal due time (cron time after the DST rule), or the trigger time of a manual tick. */
    scheduledFor: Instant,
    trigger: z.enum(['cron', 'manual', 'catchup-skip']),
    status: TickStatus,
    skipReason: z.string().max(4096).optional(),
    error: ErrorInfo.optional(),
    runKeys: z.array(Id).max(1000),
    /** The definition row version (event id) the decision was made from. */
    definitionVersion: Id,
    /** Due times dropped by the catch-up policy, recorded on one SKIPPED tick. */
    dropped: z
      .object({ count: z.number().int().min(1), firstDueFor: Instant, lastDueFor: Instant })
      .optional(),
  }),
  idempotencyKey: (p) => `sched_tick:${p.tickId}`,
});

export const SensorStatusChanged = defineEvent({
  type: 'sensor.status-changed.v1',
  keyFormat: 'sensor_status:{sensorId}:{requestId}',
  dedupe: { by: 'key' },
  description: 'An operator started, stopped or reset a sensor.',
  payload: z.object({
    sensorId: Id,
    status: InstigatorStatusChange,
    changedBy: Actor,
    requestId: Id,
  }),
  idempotencyKey: (p) => `sensor_status:${p.sensorId}:${p.requestId}`,
});

export const SensorCursorSet = defineEvent({
  type: 'sensor.cursor-set.v1',
  keyFormat: 'sensor_cursor:{sensorId}:{requestId}',
  dedupe: { by: 'key' },
  description:
    'An operator set or reset (null) a sensor cursor. It bumps the state version, so evaluations computed from the old cursor are stale.',
  payload: z.object({
    sensorId: Id,
    cursor: z.string().max(65_536).nullable(),
    changedBy: Actor,
    requestId: Id,
  }),
  idempotencyKey: (p) => `sensor_cursor:${p.sensorId}:${p.requestId}`,
});

export const SensorTrigger = z.discriminatedUnion('kind', [
  /** A poll timer fired for this due time. */
  z.object({ kind: z.literal('poll'), dueAt: Instant }),
  /** A push message arrived; each message id is evaluated once. */
  z.object({ kind: z.literal('push'), messageId: Id }),
]);

export const SensorEvaluated = defineEvent({
  type: 'sensor.evaluated.v1',
  keyFormat:
    'push: sensor_eval:{sensorId}:msg:{messageId}; poll: sensor_eval:{sensorId}:poll:{dueAt}:{sha256(cursorBefore) or none}',
  dedupe: {
    by: 'state',
    guard:
      'applies only to an evaluation id not yet recorded; a copy is rejected while the evaluation is kept (`sensorEvalDays`, 30 by default)',
  },
  description:
    'One evaluation of a sensor: its new cursor and the run requests it made. Poll evaluations carry the state version they were computed from; a stale one is recorded as skipped and requests nothing.',
  payload: z.object({
    sensorId: Id,
    /** `{sensorId}:poll:{epochSeconds}` or `{sensorId}:msg:{messageId}`. */
    evalId: Id,
    trigger: SensorTrigger,
    cursorBefore: z.string().max(65_536).nullable(),
    cursorAfter: z.string().max(65_536).nullable(),
    /** Compare-and-swap guard: the sensor's `stateVersion` the evaluation started from. */
    expectedStateVersion: NonNegativeInt.optional(),
    status: TickStatus,
    skipReason: z.string().max(4096).optional(),
    error: ErrorInfo.optional(),
    runKeys: z.array(Id).max(10_000),
    durationMs: NonNegativeInt.optional(),
  }),
  idempotencyKey: (p) =>
    p.trigger.kind === 'push'
      ? `sensor_eval:${p.sensorId}:msg:${p.trigger.messageId}`
      : `sensor_eval:${p.sensorId}:poll:${p.trigger.dueAt}:${p.cursorBefore === null ? 'none' : sha256Hex(p.cursorBefore)}`,
});

export const PushMessageQuarantined = defineEvent({
  type: 'push.message-quarantined.v1',
  keyFormat: 'quarantine:{quarantineId}',
  dedupe: { by: 'key' },
  description:
    'A push message could not be accepted; it is kept with its reason so it can be listed and replayed.',
  payload: z.object({
    quarantineId: Id,
    sensorName: z.string().max(256).optional(),
    messageId: z.string().max(1024).optional(),
    reason: z.string().max(4096),
    receivedAt: Instant,
    /** The raw body, base64, when it fits the push payload limit. */
    bodyBase64: z.string().max(1_500_000).optional(),
    sizeBytes: NonNegativeInt,
  }),
  idempotencyKey: (p) => `quarantine:${p.quarantineId}`,
});

export const PushMessageReplayed = defineEvent({
  type: 'push.message-replayed.v1',
  keyFormat: 'quarantine_replay:{quarantineId}',
  dedupe: { by: 'key' },
  description: 'A quarantined push message was replayed by an operator.',
  payload: z.object({ quarantineId: Id, replayedBy: Actor, outcome: z.string().max(4096) }),
  idempotencyKey: (p) => `quarantine_replay:${p.quarantineId}`,
});
