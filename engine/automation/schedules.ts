import {
  decidedThrough,
  evaluateSchedule,
  isScheduleRunning,
  scheduleClockOf,
} from '../controllers/schedules.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { timerIdFor } from '../model/ids.js';
import type { ScheduleDefinitionRow } from '../projections/tables/index.js';
import type { Timer } from '../timers/timer-queue.js';
import type { AutomationContext, TimerDomain } from './context.js';

/**
 * Bounds of one segment when many schedules are due together (after downtime): decisions are
 * gathered until the next one would pass either bound, so a pass writes few segments (each a
 * durable write) while each decision stays whole in one of them. The byte bound is an estimate
 * (`approximateBytes`), kept well under the ledger's segment limit.
 */
const MAX_EVENTS_PER_SEGMENT = 10_000;
const MAX_APPROXIMATE_SEGMENT_BYTES = 8 * 1024 * 1024;
/** Estimated bytes of one event, before the lists and tags counted on their own (see `approximateBytes`). */
const APPROXIMATE_EVENT_BYTES = 1024;

export function scheduleTimer(scheduleId: string, fireAt: number): Timer {
  return {
    timerId: timerIdFor('schedule_tick', scheduleId, fireAt),
    kind: 'schedule_tick',
    subjectId: scheduleId,
    fireAt,
  };
}

/**
 * Schedule ticks driven by timers: each running schedule has a timer for its next due time. When it
 * fires, the schedule is evaluated at the current time (catch-up included), and the ticks, their run
 * requests, the `TimerFired` and the next `TimerRequested` are appended as one segment. Many
 * schedules due together (after downtime) are decided in one pass and written in few segments.
 */
export const scheduleTimers: TimerDomain = {
  kinds: ['schedule_tick'],

  handle(context, timer) {
    return handleScheduleTimers(context, [timer]);
  },

  handleBatch(context, timers) {
    return handleScheduleTimers(context, timers);
  },

  timerFor(context, scheduleId) {
    const definition = context.tables().scheduleDefinitions.get(scheduleId);
    return definition === undefined ? undefined : nextTimerFor(definition, context);
  },

  desiredTimers(context) {
    const tables = context.tables();
    const timers: Timer[] = [];
    for (const definition of tables.scheduleDefinitions.values()) {
      const next = nextTimerFor(definition, context);
      if (next !== undefined) timers.push(next);
    }
    return timers;
  },
};

/** The timer a running schedule needs now: its first undecided due time. */
function nextTimerFor(definition: ScheduleDefinitionRow, context: AutomationContext): Timer | undefined {
  const state = context.tables().scheduleState.get(definition.scheduleId);
  if (!isScheduleRunning(definition, state)) return undefined;
  const clock = scheduleClockOf(definition);
  if (clock instanceof Error) return undefined;
  const now = context.clock.now().getTime();
  // Catch-up never looks further back than the window, so neither does the timer.
  const after = Math.max(decidedThrough(definition, state), now - definition.catchupWindowSeconds * 1000 - 1);
  const next = clock.nextAfter(after);
  return next === undefined ? undefined : scheduleTimer(definition.scheduleId, next);
}

async function handleScheduleTimers(context: AutomationContext, timers: Timer[]): Promise<void> {
  await context.sync();
  const tables = context.tables();
  const now = context.clock.now().getTime();
  const at = new Date(now);
  const next: Timer[] = [];
  let batch: EventDraft[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length > 0) await context.append(batch);
    batch = [];
    batchBytes = 0;
  };
  for (const timer of timers) {
    const definition = tables.scheduleDefinitions.get(timer.subjectId);
    const state = tables.scheduleState.get(timer.subjectId);
    // Deleted or stopped: the schedule makes no ticks and needs no timer.
    if (definition === undefined || !isScheduleRunning(definition, state)) continue;
    const decision = evaluateSchedule({ definition, state, tables, now, dueAt: timer.fireAt });
    const following =
      decision.nextDueAt === undefined ? undefined : scheduleTimer(definition.scheduleId, decision.nextDueAt);
    if (decision.drafts.length === 0) {
      // Woken early, or already decided by another process: only make sure the next timer exists.
      if (following !== undefined) next.push(following);
      continue;
    }
    const segment: EventDraft[] = [
      draft(
        'timer.fired.v1',
        {
          timerId: timer.timerId,
          kind: 'schedule_tick',
          subjectId: timer.subjectId,
          fireAt: new Date(timer.fireAt).toISOString(),
        },
        at,
      ),
      ...decision.drafts,
    ];
    if (following !== undefined) {
      segment.push(
        draft(
          'timer.requested.v1',
          {
            timerId: following.timerId,
            kind: 'schedule_tick',
            subjectId: following.subjectId,
            fireAt: new Date(following.fireAt).toISOString(),
          },
          at,
        ),
      );
      next.push(following);
    }
    const bytes = approximateBytes(segment);
    if (
      batch.length + segment.length > MAX_EVENTS_PER_SEGMENT ||
      batchBytes + bytes > MAX_APPROXIMATE_SEGMENT_BYTES
    )
      await flush();
    batch.push(...segment);
    batchBytes += bytes;
  }
  await flush();
  await context.schedule(next);
}

/**
 * Estimated serialized size of a decision: a fixed size per event, plus what can make a run request
 * large (its partition keys, asset keys and tags), at up to 3 bytes a character.
 */
function approximateBytes(drafts: readonly EventDraft[]): number {
  let bytes = 0;
  for (const event of drafts) {
    bytes += APPROXIMATE_EVENT_BYTES;
    if (event.type !== 'run.requested.v1') continue;
    const { partitionKeys = [], assetSelection, tags } = event.payload;
    let characters = 0;
    for (const key of partitionKeys) characters += key.length + 3;
    for (const key of assetSelection) characters += key.length + 3;
    for (const name in tags) characters += name.length + (tags[name]?.length ?? 0) + 6;
    bytes += characters * 3;
  }
  return bytes;
}
