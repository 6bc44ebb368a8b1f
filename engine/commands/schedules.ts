import { z } from 'zod';
import type { AutomationContext } from '../automation/context.js';
import { scheduleTimer } from '../automation/schedules.js';
import {
  decidedThrough,
  decideTick,
  evaluateSchedule,
  futureDueTimes,
  isScheduleRunning,
  manualTriggerDrafts,
  scheduleClockOf,
} from '../controllers/schedules.js';
import { ErrorCode, illegalState, invalidInput, notFound, ServoError } from '../errors.js';
import { draft, type EventDraft, type PayloadOf } from '../model/catalog.js';
import { AssetKey, InstigatorStatus, Lane, Name, PositiveInt, Tags } from '../model/common.js';
import {
  CatchupOrder,
  DstGapPolicy,
  DstOverlapPolicy,
  OverlapPolicy,
  SchedulePartitionSelection,
} from '../model/events/definitions.js';
import { instigatorId } from '../model/ids.js';
import { nextUlid } from '../model/ulid.js';
import type { ScheduleDefinitionRow } from '../projections/tables/index.js';

/** Input of `upsertSchedule` (the API's ScheduleDefinitionInput, with asset keys as strings). */
export const ScheduleDefinitionInput = z.object({
  codeLocation: Name,
  name: Name,
  cronSchedule: z.string().min(1).max(256),
  executionTimezone: z.string().min(1).max(64),
  assetSelection: z.array(AssetKey).min(1, 'select at least one asset').max(10_000),
  description: z.string().max(4096).optional(),
  catchupWindowSeconds: PositiveInt.optional(),
  // At least 1: an evaluation that may run no due time would never tick again.
  maxCatchupTicks: PositiveInt.max(10_000).optional(),
  catchupOrder: CatchupOrder.optional(),
  overlapPolicy: OverlapPolicy.optional(),
  dstGapPolicy: DstGapPolicy.optional(),
  dstOverlapPolicy: DstOverlapPolicy.optional(),
  partitionSelection: SchedulePartitionSelection.optional(),
  defaultStatus: InstigatorStatus.optional(),
  lane: Lane.optional(),
  tags: Tags.optional(),
});
export type ScheduleDefinitionInput = z.input<typeof ScheduleDefinitionInput>;

let lastRequestId: string | undefined;
function requestIdFor(ctx: AutomationContext, given: string | undefined): string {
  if (given !== undefined) return given;
  lastRequestId = nextUlid(lastRequestId, ctx.clock.now().getTime());
  return lastRequestId;
}

function requireSchedule(ctx: AutomationContext, scheduleId: string): ScheduleDefinitionRow {
  const definition = ctx.tables().scheduleDefinitions.get(scheduleId);
  if (definition === undefined) throw notFound(`schedule ${scheduleId} does not exist`, { scheduleId });
  return definition;
}

/**
 * Creates or replaces a schedule defined through the API. The definition is validated whole (cron,
 * zone, assets, partition selection) before anything is written; a schedule defined by a code
 * location can only be changed by deploying that code location.
 */
export async function upsertSchedule(
  ctx: AutomationContext,
  input: ScheduleDefinitionInput,
  actor: string,
  requestId?: string,
): Promise<ScheduleDefinitionRow> {
  const parsed = ScheduleDefinitionInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidInput(`invalid schedule definition: ${issue?.path.join('.')}: ${issue?.message}`, {
      issues: parsed.error.issues,
    });
  }
  const value = parsed.data;
  await ctx.sync();
  const tables = ctx.tables();
  const scheduleId = instigatorId(value.codeLocation, value.name);
  const existing = tables.scheduleDefinitions.get(scheduleId);
  if (existing?.source === 'code') {
    throw illegalState(
      `schedule ${scheduleId} is defined by code location ${existing.codeLocation}; change it there and deploy`,
    );
  }
  for (const assetKey of value.assetSelection) {
    if (!tables.assetDefinitions.has(assetKey))
      throw invalidInput(`asset ${assetKey} is not defined by any code location`, { assetKey });
  }
  const payload: PayloadOf<'schedule.definition-upserted.v1'> = {
    scheduleId,
    codeLocation: value.codeLocation,
    name: value.name,
    source: 'api',
    cronSchedule: value.cronSchedule,
    executionTimezone: value.executionTimezone,
    assetSelection: value.assetSelection,
    catchupWindowSeconds: value.catchupWindowSeconds ?? ctx.limits.defaultCatchupWindowSeconds,
    maxCatchupTicks: value.maxCatchupTicks ?? ctx.limits.defaultMaxCatchupTicks,
    catchupOrder: value.catchupOrder ?? 'NEWEST_FIRST',
    overlapPolicy: value.overlapPolicy ?? 'ALLOW',
    dstGapPolicy: value.dstGapPolicy ?? 'SHIFT',
    dstOverlapPolicy: value.dstOverlapPolicy ?? 'LATER',
    defaultStatus: value.defaultStatus ?? 'RUNNING',
    ...(value.description === undefined ? {} : { description: value.description }),
    ...(value.partitionSelection === undefined ? {} : { partitionSelection: value.partitionSelection }),
    ...(value.lane === undefined ? {} : { lane: value.lane }),
    ...(value.tags === undefined ? {} : { tags: value.tags }),
    changedBy: actor,
    requestId: requestIdFor(ctx, requestId),
  };
  // Validate the cron and zone (and the DST policies) exactly as evaluation will read them.
  const candidate = {
    ...payload,
    createdAt: 0,
    updatedAt: 0,
    rowVersion: '',
  } as unknown as ScheduleDefinitionRow;
  const clock = scheduleClockOf(candidate);
  if (clock instanceof Error) throw new ServoError(ErrorCode.InvalidInput, clock.message, { cause: clock });
  // A partition selection must resolve against the selected assets now.
  const check = evaluatePartitionSelection(candidate, ctx);
  if (check !== undefined) throw invalidInput(check);
  await ctx.append([draft('schedule.definition-upserted.v1', payload, ctx.clock.now())]);
  await scheduleNextTimer(ctx, scheduleId);
  return requireSchedule(ctx, scheduleId);
}

function evaluatePartitionSelection(
  definition: ScheduleDefinitionRow,
  ctx: AutomationContext,
): string | undefined {
  if (definition.partitionSelection === null || definition.partitionSelection === undefined) return undefined;
  const decision = evaluateSchedule({
    definition: { ...definition, overlapPolicy: 'ALLOW' },
    state: undefined,
    tables: ctx.tables(),
    now: ctx.clock.now().getTime(),
  });
  const failure = decision.drafts.find(
    (candidate) => candidate.type === 'schedule.ticked.v1' && candidate.payload.status === 'FAILURE',
  );
  return failure?.type === 'schedule.ticked.v1' ? failure.payload.error?.message : undefined;
}

/** Deletes a schedule defined through the API; its tick history stays. */
export async function deleteSchedule(
  ctx: AutomationContext,
  scheduleId: string,
  actor: string,
  requestId?: string,
): Promise<void> {
  await ctx.sync();
  const definition = requireSchedule(ctx, scheduleId);
  if (definition.source === 'code') {
    throw illegalState(
      `schedule ${scheduleId} is defined by code location ${definition.codeLocation}; remove it there and deploy`,
    );
  }
  await ctx.append([
    draft(
      'schedule.deleted.v1',
      { scheduleId, deletedBy: actor, requestId: requestIdFor(ctx, requestId) },
      ctx.clock.now(),
    ),
  ]);
}

/**
 * Starts, stops or resets (back to the definition's default) a schedule. Starting never replays
 * the stopped period: due times are decided from the moment it started. Setting the status it
 * already has changes nothing.
 */
export async function setScheduleStatus(
  ctx: AutomationContext,
  scheduleId: string,
  status: 'RUNNING' | 'STOPPED' | 'DEFAULT',
  actor: string,
  requestId?: string,
): Promise<void> {
  await ctx.sync();
  requireSchedule(ctx, scheduleId);
  const state = ctx.tables().scheduleState.get(scheduleId);
  const current = state?.status ?? null;
  if ((status === 'DEFAULT' && current === null) || status === current) return;
  await ctx.append([
    draft(
      'schedule.status-changed.v1',
      { scheduleId, status, changedBy: actor, requestId: requestIdFor(ctx, requestId) },
      ctx.clock.now(),
    ),
  ]);
  await scheduleNextTimer(ctx, scheduleId);
}

/** Ticks a schedule now, outside its cadence, requesting a run. Returns the tick id. */
export async function triggerSchedule(
  ctx: AutomationContext,
  scheduleId: string,
  actor: string,
  requestId?: string,
): Promise<string> {
  await ctx.sync();
  const definition = requireSchedule(ctx, scheduleId);
  const now = ctx.clock.now().getTime();
  const { drafts, tickId } = manualTriggerDrafts(
    definition,
    ctx.tables(),
    now,
    requestIdFor(ctx, requestId),
    actor,
  );
  if (!ctx.tables().scheduleTicks.has(tickId)) await ctx.append(drafts);
  return tickId;
}

export interface ScheduleDryRun {
  /** What a tick at that time would record. */
  ticks: EventDraft[];
  runRequests: EventDraft[];
}

/**
 * Evaluates a schedule as if it were due at its last due time at or before `at` (default now):
 * what that tick would record and request. Appends nothing.
 */
export async function scheduleDryRun(
  ctx: AutomationContext,
  scheduleId: string,
  at?: number,
): Promise<ScheduleDryRun> {
  await ctx.sync();
  const definition = requireSchedule(ctx, scheduleId);
  const now = at ?? ctx.clock.now().getTime();
  const clock = scheduleClockOf(definition);
  if (clock instanceof Error) throw invalidInput(clock.message);
  const dueAt = clock.previousAtOrBefore(now) ?? now;
  const { drafts } = decideTick(
    { definition, state: ctx.tables().scheduleState.get(scheduleId), tables: ctx.tables(), now },
    dueAt,
    new Date(now),
    false,
  );
  return {
    ticks: drafts.filter((candidate) => candidate.type === 'schedule.ticked.v1'),
    runRequests: drafts.filter((candidate) => candidate.type === 'run.requested.v1'),
  };
}

/** The next due times of a schedule after `after` (default now): the futureTicks preview. */
export function futureTicks(
  ctx: AutomationContext,
  scheduleId: string,
  limit: number,
  after?: number,
): number[] {
  const definition = requireSchedule(ctx, scheduleId);
  if (limit < 1 || limit > ctx.limits.maxFutureTicks) {
    throw invalidInput(`limit must be between 1 and ${ctx.limits.maxFutureTicks}`);
  }
  const times = futureDueTimes(definition, after ?? ctx.clock.now().getTime(), limit);
  if (times instanceof Error) throw invalidInput(times.message);
  return times;
}

/** Makes sure a running schedule has its next timer (after a change of definition or status). */
async function scheduleNextTimer(ctx: AutomationContext, scheduleId: string): Promise<void> {
  const tables = ctx.tables();
  const definition = tables.scheduleDefinitions.get(scheduleId);
  const state = tables.scheduleState.get(scheduleId);
  if (definition === undefined || !isScheduleRunning(definition, state)) return;
  const clock = scheduleClockOf(definition);
  if (clock instanceof Error) return;
  const next = clock.nextAfter(
    Math.max(
      decidedThrough(definition, state),
      ctx.clock.now().getTime() - definition.catchupWindowSeconds * 1000 - 1,
    ),
  );
  if (next !== undefined) await ctx.schedule([scheduleTimer(scheduleId, next)]);
}
