import type { HandlerMap } from './handler.js';
import { iso } from './handler.js';
import { copyScheduleState } from './row-copies.js';

/** Schedule and sensor state: operator status, ticks, evaluations and cursors. */
export const instigatorHandlers: HandlerMap = {
  'schedule.status-changed.v1'(t, e, env) {
    const state = t.scheduleState.get(e.payload.scheduleId);
    if (state === undefined || !t.scheduleDefinitions.has(e.payload.scheduleId)) return false;
    const next = copyScheduleState(state);
    next.status = e.payload.status === 'DEFAULT' ? null : e.payload.status;
    next.statusChangedAt = env.at;
    next.rowVersion = env.eventId;
    t.scheduleState.set(state.scheduleId, next);
    return true;
  },

  'schedule.ticked.v1'(t, e, env) {
    const p = e.payload;
    // One tick per tick id, whatever idempotency key a redelivery carries.
    if (t.scheduleTicks.has(p.tickId)) return false;
    const scheduledFor = iso(p.scheduledFor);
    const runIds = p.runKeys.map((key) => env.runId(key));
    t.scheduleTicks.set(p.tickId, {
      tickId: p.tickId,
      scheduleId: p.scheduleId,
      scheduledFor,
      trigger: p.trigger,
      status: p.status,
      skipReason: p.skipReason ?? null,
      error: p.error ?? null,
      runKeys: p.runKeys,
      runIds,
      definitionVersion: p.definitionVersion,
      droppedCount: p.dropped?.count ?? null,
      droppedFirstDueFor: p.dropped ? iso(p.dropped.firstDueFor) : null,
      droppedLastDueFor: p.dropped ? iso(p.dropped.lastDueFor) : null,
      recordedAt: env.at,
      rowVersion: env.eventId,
    });
    env.retain('tick', p.tickId);
    const state = t.scheduleState.get(p.scheduleId) ?? {
      scheduleId: p.scheduleId,
      status: null,
      statusChangedAt: null,
      lastTickId: null,
      lastScheduledFor: null,
      lastTickStatus: null,
      lastRunKey: null,
      lastRunId: null,
      ticksRecorded: 0,
      rowVersion: env.eventId,
    };
    // Manual ticks are outside the cron cadence: they never move the catch-up high-water mark.
    const dueFor = p.trigger === 'catchup-skip' && p.dropped ? iso(p.dropped.lastDueFor) : scheduledFor;
    const lastScheduledFor =
      p.trigger === 'manual' ? state.lastScheduledFor : Math.max(state.lastScheduledFor ?? dueFor, dueFor);
    const lastRunKey = p.runKeys.length > 0 ? p.runKeys[p.runKeys.length - 1]! : null;
    const next = copyScheduleState(state);
    next.lastTickId = p.tickId;
    next.lastScheduledFor = lastScheduledFor;
    next.lastTickStatus = p.status;
    if (lastRunKey !== null) {
      next.lastRunKey = lastRunKey;
      next.lastRunId = runIds[runIds.length - 1]!;
    }
    next.ticksRecorded = state.ticksRecorded + 1;
    next.rowVersion = env.eventId;
    t.scheduleState.set(p.scheduleId, next);
    return true;
  },

  'sensor.status-changed.v1'(t, e, env) {
    const state = t.sensorState.get(e.payload.sensorId);
    if (state === undefined || !t.sensorDefinitions.has(e.payload.sensorId)) return false;
    t.sensorState.set(state.sensorId, {
      ...state,
      status: e.payload.status === 'DEFAULT' ? null : e.payload.status,
      statusChangedAt: env.at,
      rowVersion: env.eventId,
    });
    return true;
  },

  'sensor.cursor-set.v1'(t, e, env) {
    const state = t.sensorState.get(e.payload.sensorId);
    if (state === undefined) return false;
    t.sensorState.set(state.sensorId, {
      ...state,
      cursor: e.payload.cursor,
      // Any evaluation computed from the old cursor is now stale.
      stateVersion: state.stateVersion + 1,
      rowVersion: env.eventId,
    });
    return true;
  },

  'sensor.evaluated.v1'(t, e, env) {
    const p = e.payload;
    if (t.sensorEvals.has(p.evalId)) return false;
    const state = t.sensorState.get(p.sensorId) ?? {
      sensorId: p.sensorId,
      status: null,
      statusChangedAt: null,
      cursor: null,
      stateVersion: 0,
      lastEvalId: null,
      lastEvaluatedAt: null,
      lastEvalStatus: null,
      lastRunKey: null,
      consecutiveFailures: 0,
      rowVersion: env.eventId,
    };
    const stale = p.expectedStateVersion !== undefined && p.expectedStateVersion !== state.stateVersion;
    t.sensorEvals.set(p.evalId, {
      evalId: p.evalId,
      sensorId: p.sensorId,
      triggerKind: p.trigger.kind,
      dueAt: p.trigger.kind === 'poll' ? iso(p.trigger.dueAt) : null,
      messageId: p.trigger.kind === 'push' ? p.trigger.messageId : null,
      cursorBefore: p.cursorBefore,
      cursorAfter: p.cursorAfter,
      expectedStateVersion: p.expectedStateVersion ?? null,
      status: stale ? 'SKIPPED' : p.status,
      stale,
      skipReason: stale
        ? `stale evaluation: computed from state version ${p.expectedStateVersion}, current is ${state.stateVersion}; its run requests were dropped`
        : (p.skipReason ?? null),
      error: p.error ?? null,
      runKeys: p.runKeys,
      runIds: stale ? [] : p.runKeys.map((key) => env.runId(key)),
      durationMs: p.durationMs ?? null,
      evaluatedAt: env.at,
      rowVersion: env.eventId,
    });
    env.retain('sensorEval', p.evalId);
    if (stale) {
      // Keep the state row (created above if it was missing) but change nothing else.
      if (!t.sensorState.has(p.sensorId)) t.sensorState.set(p.sensorId, state);
      return true;
    }
    const lastRunKey = p.runKeys.length > 0 ? p.runKeys[p.runKeys.length - 1]! : state.lastRunKey;
    t.sensorState.set(p.sensorId, {
      ...state,
      cursor: p.trigger.kind === 'poll' ? p.cursorAfter : state.cursor,
      stateVersion: state.stateVersion + 1,
      lastEvalId: p.evalId,
      lastEvaluatedAt: env.at,
      lastEvalStatus: p.status,
      lastRunKey,
      consecutiveFailures: p.status === 'FAILURE' ? state.consecutiveFailures + 1 : 0,
      rowVersion: env.eventId,
    });
    return true;
  },
};
