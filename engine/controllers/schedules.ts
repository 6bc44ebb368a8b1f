import { isServoError } from '../errors.js';
import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { draft, type EventDraft, type PayloadOf } from '../model/catalog.js';
import type { ErrorInfo } from '../model/common.js';
import { parseSchedule, type ScheduleClock } from '../model/cron/index.js';
import { requestFingerprint } from '../model/fingerprint.js';
import { manualScheduleRunKey, manualTickId, scheduleRunKey, scheduleTickId } from '../model/ids.js';
import { resolveSelector } from '../model/partitions/index.js';
import type { ScheduleDefinitionRow, ScheduleStateRow } from '../projections/tables/index.js';
import { partitionSpaceOf } from '../queries/partitions.js';

/** Dropped due times are counted up to this many; beyond it the skip reason says "at least". */
const MAX_COUNTED_DROPS = 1_000_000;

/** The schedule's clock, or the reason it has none (an invalid cron or zone). */
export function scheduleClockOf(definition: ScheduleDefinitionRow): ScheduleClock | Error {
  try {
    return parseSchedule({
      cron: definition.cronSchedule,
      timezone: definition.executionTimezone,
      dstGapPolicy: definition.dstGapPolicy as 'SHIFT' | 'SKIP',
      dstOverlapPolicy: definition.dstOverlapPolicy as 'LATER' | 'EARLIER' | 'BOTH',
    });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

export function isScheduleRunning(
  definition: ScheduleDefinitionRow,
  state: ScheduleStateRow | undefined,
): boolean {
  return (state?.status ?? definition.defaultStatus) === 'RUNNING';
}

/**
 * Due times strictly after this instant are the schedule's to decide: its newest decided due time,
 * or when it was last started (a stopped schedule never replays its stopped period), or when it was
 * created.
 */
export function decidedThrough(
  definition: ScheduleDefinitionRow,
  state: ScheduleStateRow | undefined,
): number {
  const activeSince = Math.max(definition.createdAt, state?.statusChangedAt ?? 0);
  return Math.max(state?.lastScheduledFor ?? Number.NEGATIVE_INFINITY, activeSince);
}

export interface ScheduleDecision {
  /** The ticks and run requests to append, as one segment (empty when nothing is due). */
  drafts: EventDraft[];
  /** When the schedule should be evaluated next; undefined when it never will be (broken definition). */
  nextDueAt: number | undefined;
  /** Due times decided by these drafts (ticks or the catch-up skip). */
  decided: number;
}

export interface ScheduleInputs {
  definition: ScheduleDefinitionRow;
  state: ScheduleStateRow | undefined;
  tables: ProjectionTables;
  now: number;
  /** For a broken definition: the due time the timer was set for (one FAILURE tick per due time). */
  dueAt?: number;
}

/**
 * One evaluation of a schedule at `now` (SPEC §4): the due times since the last decision, after the
 * catch-up policy, each become a SUCCESS tick with its run request, a SKIPPED tick (overlap, run key
 * already used) or a FAILURE tick (the definition can no longer be evaluated); due times dropped by
 * the catch-up policy are recorded on one SKIPPED tick that names how many and which. Pure.
 */
export function evaluateSchedule(inputs: ScheduleInputs): ScheduleDecision {
  const { definition, state, now } = inputs;
  const at = new Date(now);
  const clock = scheduleClockOf(definition);
  if (clock instanceof Error) {
    // A definition that became invalid fails once for the due time it was woken for, then stays quiet.
    const dueAt = inputs.dueAt ?? now;
    if (dueAt <= (state?.lastScheduledFor ?? Number.NEGATIVE_INFINITY))
      return { drafts: [], nextDueAt: undefined, decided: 0 };
    return {
      drafts: [tick(definition, dueAt, 'cron', 'FAILURE', at, { error: errorInfo(clock) })],
      nextDueAt: undefined,
      decided: 1,
    };
  }
  const after = decidedThrough(definition, state);
  const windowStart = now - definition.catchupWindowSeconds * 1000;
  const drafts: EventDraft[] = [];

  // Due times older than the catch-up window are dropped (counted, never silently lost).
  let dropped = 0;
  let firstDropped: number | undefined;
  let lastDropped: number | undefined;
  if (after < windowStart) {
    for (const due of clock.dueTimesBetween(after, windowStart - 1, MAX_COUNTED_DROPS)) {
      dropped += 1;
      firstDropped ??= due;
      lastDropped = due;
    }
  }
  const due = [...clock.dueTimesBetween(Math.max(after, windowStart - 1), now)];
  // Commands refuse 0; a definition recorded with 0 still runs one due time per evaluation, as
  // running none would leave the schedule stuck (OLDEST_FIRST) or never ticking (NEWEST_FIRST).
  const maxTicks = Math.max(1, definition.maxCatchupTicks);
  let run = due;
  let remaining: number | undefined;
  if (due.length > maxTicks) {
    if (definition.catchupOrder === 'OLDEST_FIRST') {
      run = due.slice(0, maxTicks);
      // The rest stays due: the next evaluation is woken at the oldest of them.
      remaining = due[maxTicks];
    } else {
      const excess = due.slice(0, due.length - maxTicks);
      run = due.slice(due.length - maxTicks);
      dropped += excess.length;
      firstDropped ??= excess[0];
      lastDropped = excess[excess.length - 1];
    }
  }
  if (dropped > 0 && firstDropped !== undefined && lastDropped !== undefined) {
    const count = dropped >= MAX_COUNTED_DROPS ? `at least ${dropped}` : String(dropped);
    drafts.push(
      tick(definition, lastDropped, 'catchup-skip', 'SKIPPED', at, {
        skipReason: `catch-up policy dropped ${count} due time${dropped === 1 ? '' : 's'} from ${iso(firstDropped)} to ${iso(lastDropped)} (window ${definition.catchupWindowSeconds} s, at most ${maxTicks} ticks, ${definition.catchupOrder.toLowerCase().replace('_', ' ')})`,
        dropped: { count: dropped, firstDueFor: iso(firstDropped), lastDueFor: iso(lastDropped) },
      }),
    );
  }
  let pendingRun = false;
  for (const dueAt of run) {
    const decision = decideTick(inputs, dueAt, at, pendingRun);
    drafts.push(...decision.drafts);
    pendingRun ||= decision.requestedRun;
  }
  const nextDueAt = remaining ?? clock.nextAfter(now);
  return { drafts, nextDueAt, decided: run.length + (dropped > 0 ? 1 : 0) };
}

/** One due time: SUCCESS with a run request, or SKIPPED/FAILURE with the reason (also the dry run). */
export function decideTick(
  inputs: ScheduleInputs,
  dueAt: number,
  at: Date,
  previousTickRequestedRun: boolean,
): { drafts: EventDraft[]; requestedRun: boolean } {
  const { definition, state, tables } = inputs;
  for (const assetKey of definition.assetSelection) {
    if (!tables.assetDefinitions.has(assetKey)) {
      return {
        drafts: [
          tick(definition, dueAt, 'cron', 'FAILURE', at, {
            error: { message: `asset ${assetKey} is not defined by any code location` },
          }),
        ],
        requestedRun: false,
      };
    }
  }
  if (definition.overlapPolicy === 'SKIP') {
    const last =
      state?.lastRunId === null || state?.lastRunId === undefined
        ? undefined
        : tables.runs.get(state.lastRunId);
    const lastPending =
      state?.lastRunKey != null && tables.runKeyIndex.get(state.lastRunKey)?.status === 'PENDING';
    if (previousTickRequestedRun || lastPending || (last !== undefined && !isTerminalRun(last.status))) {
      const which = previousTickRequestedRun ? 'the previous tick' : `run ${state?.lastRunId}`;
      return {
        drafts: [
          tick(definition, dueAt, 'cron', 'SKIPPED', at, {
            skipReason: `overlap policy SKIP: ${which} is still running`,
          }),
        ],
        requestedRun: false,
      };
    }
  }
  const runKey = scheduleRunKey(definition.scheduleId, dueAt);
  if (tables.runKeyIndex.has(runKey)) {
    return {
      drafts: [
        tick(definition, dueAt, 'cron', 'SKIPPED', at, {
          skipReason: `run key ${runKey} was already requested`,
        }),
      ],
      requestedRun: false,
    };
  }
  const partitions = partitionKeysFor(definition, tables, dueAt);
  if (partitions instanceof Error) {
    return {
      drafts: [tick(definition, dueAt, 'cron', 'FAILURE', at, { error: errorInfo(partitions) })],
      requestedRun: false,
    };
  }
  const tickId = scheduleTickId(definition.scheduleId, dueAt);
  return {
    drafts: [
      tick(definition, dueAt, 'cron', 'SUCCESS', at, { runKeys: [runKey] }),
      runRequestDraft(
        definition,
        runKey,
        { kind: 'schedule', scheduleId: definition.scheduleId, tickId },
        partitions,
        at,
      ),
    ],
    requestedRun: true,
  };
}

/** A manual trigger: a tick now, outside the cron cadence, that requests a run. */
export function manualTriggerDrafts(
  definition: ScheduleDefinitionRow,
  tables: ProjectionTables,
  now: number,
  requestId: string,
  actor: string,
): { drafts: EventDraft[]; tickId: string } {
  const at = new Date(now);
  const tickId = manualTickId(definition.scheduleId, requestId);
  const runKey = manualScheduleRunKey(definition.scheduleId, requestId);
  const partitions = partitionKeysFor(definition, tables, now);
  if (partitions instanceof Error) {
    return {
      drafts: [tick(definition, now, 'manual', 'FAILURE', at, { tickId, error: errorInfo(partitions) })],
      tickId,
    };
  }
  return {
    drafts: [
      tick(definition, now, 'manual', 'SUCCESS', at, { tickId, runKeys: [runKey] }),
      runRequestDraft(
        definition,
        runKey,
        { kind: 'schedule', scheduleId: definition.scheduleId, tickId },
        partitions,
        at,
        {
          'servo/triggered_by': actor,
        },
      ),
    ],
    tickId,
  };
}

/** The next `limit` due times after `after` (futureTicks preview). */
export function futureDueTimes(
  definition: ScheduleDefinitionRow,
  after: number,
  limit: number,
): number[] | Error {
  const clock = scheduleClockOf(definition);
  if (clock instanceof Error) return clock;
  const times: number[] = [];
  let cursor = after;
  while (times.length < limit) {
    const next = clock.nextAfter(cursor);
    if (next === undefined) break;
    times.push(next);
    cursor = next;
  }
  return times;
}

/** Partition keys a tick requests: none, the latest complete window before it, or a fixed selection. */
function partitionKeysFor(
  definition: ScheduleDefinitionRow,
  tables: ProjectionTables,
  dueAt: number,
): string[] | undefined | Error {
  const partitioned = definition.assetSelection
    .map((assetKey) => tables.assetDefinitions.get(assetKey))
    .filter((asset) => asset?.partitions != null);
  const selection = definition.partitionSelection as
    | PayloadOf<'schedule.definition-upserted.v1'>['partitionSelection']
    | null;
  if (partitioned.length === 0) return undefined;
  const first = partitioned[0]!;
  try {
    const space = partitionSpaceOf(tables, first.partitions!, dueAt, first.assetKey);
    if (selection === null || selection === undefined || selection.kind === 'latestWindow') {
      if (space.count() === 0)
        return new Error(`asset ${first.assetKey} has no complete partition before ${iso(dueAt)}`);
      return [space.keyAt(space.count() - 1)];
    }
    const resolved = resolveSelector(space, selection.selector);
    if (resolved.total > 10_000) return new Error('a schedule tick may request at most 10,000 partitions');
    return resolved.slice(0, resolved.total);
  } catch (error) {
    return isServoError(error) || error instanceof Error ? (error as Error) : new Error(String(error));
  }
}

/**
 * The request fingerprint of a tick that names no partitions, which depends on the definition alone:
 * computed once per definition row (rows are immutable; a changed definition is a new row).
 */
const unpartitionedFingerprints = new WeakMap<ScheduleDefinitionRow, string>();

function unpartitionedFingerprint(definition: ScheduleDefinitionRow): string {
  let fingerprint = unpartitionedFingerprints.get(definition);
  if (fingerprint === undefined) {
    fingerprint = requestFingerprint({ assetSelection: definition.assetSelection });
    unpartitionedFingerprints.set(definition, fingerprint);
  }
  return fingerprint;
}

function runRequestDraft(
  definition: ScheduleDefinitionRow,
  runKey: string,
  source: PayloadOf<'run.requested.v1'>['source'],
  partitionKeys: string[] | undefined,
  at: Date,
  extraTags: Record<string, string> = {},
): EventDraft {
  return draft(
    'run.requested.v1',
    {
      runKey,
      requestFingerprint:
        partitionKeys === undefined
          ? unpartitionedFingerprint(definition)
          : requestFingerprint({ assetSelection: definition.assetSelection, partitionKeys }),
      assetSelection: definition.assetSelection,
      ...(partitionKeys === undefined ? {} : { partitionKeys }),
      source,
      lane: (definition.lane ?? 'schedule') as PayloadOf<'run.requested.v1'>['lane'],
      priority: 0,
      tags: { ...(definition.tags ?? {}), 'dagster/schedule_name': definition.name, ...extraTags },
      ...(definition.codeVersion === null ? {} : { codeVersion: definition.codeVersion }),
      singleRun: false,
    },
    at,
  );
}

function tick(
  definition: ScheduleDefinitionRow,
  dueAt: number,
  trigger: 'cron' | 'manual' | 'catchup-skip',
  status: 'SUCCESS' | 'SKIPPED' | 'FAILURE',
  at: Date,
  extra: Partial<PayloadOf<'schedule.ticked.v1'>> = {},
): EventDraft {
  return draft(
    'schedule.ticked.v1',
    {
      scheduleId: definition.scheduleId,
      tickId: scheduleTickId(definition.scheduleId, dueAt),
      scheduledFor: iso(dueAt),
      trigger,
      status,
      runKeys: [],
      definitionVersion: definition.rowVersion,
      ...extra,
    },
    at,
  );
}

function errorInfo(error: Error): ErrorInfo {
  return { message: error.message, className: error.name };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
