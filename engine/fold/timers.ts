import type { HandlerMap } from './handler.js';
import { iso } from './handler.js';

/** Timers: requested (SCHEDULED) and fired (FIRED). Both are idempotent on the timer id. */
export const timerHandlers: HandlerMap = {
  'timer.requested.v1'(t, e, env) {
    const p = e.payload;
    if (t.timers.has(p.timerId)) return false;
    t.timers.set(p.timerId, {
      timerId: p.timerId,
      kind: p.kind,
      subjectId: p.subjectId,
      attempt: p.attempt ?? null,
      fireAt: iso(p.fireAt),
      state: 'SCHEDULED',
      requestedAt: env.at,
      firedAt: null,
      rowVersion: env.eventId,
    });
    return true;
  },

  'timer.fired.v1'(t, e, env) {
    const p = e.payload;
    const row = t.timers.get(p.timerId);
    if (row?.state === 'FIRED') return false;
    // A timer created by anti-entropy or delivered before its request was folded still fires once.
    t.timers.set(p.timerId, {
      timerId: p.timerId,
      kind: p.kind,
      subjectId: p.subjectId,
      attempt: p.attempt ?? null,
      fireAt: iso(p.fireAt),
      state: 'FIRED',
      requestedAt: row?.requestedAt ?? null,
      firedAt: env.at,
      rowVersion: env.eventId,
    });
    env.retain('firedTimer', p.timerId);
    return true;
  },
};
