import { z } from 'zod';
import type { AutomationContext } from '../automation/context.js';
import { evaluateSensorCode } from '../automation/sensors.js';
import {
  evaluationDrafts,
  isSensorRunning,
  nextPollAt,
  pollTimer,
  timerRequestedDraft,
  userRunKey,
} from '../controllers/sensors.js';
import { illegalState, invalidInput, notFound } from '../errors.js';
import { canonicalJson } from '../model/canonical-json.js';
import { draft, type EventDraft, type PayloadOf } from '../model/catalog.js';
import {
  Actor,
  AssetKey,
  type ErrorInfo,
  Id,
  InstigatorStatus,
  Lane,
  Name,
  PositiveInt,
  Tags,
} from '../model/common.js';
import type { TickStatus } from '../model/events/automation.js';
import { SensorKind } from '../model/events/definitions.js';
import { sha256Hex } from '../model/hashing.js';
import { instigatorId } from '../model/ids.js';
import type { SensorDefinitionRow, SensorStateRow } from '../projections/tables/index.js';
import { findSensor, type SensorView } from '../queries/sensors.js';
import type { Timer } from '../timers/timer-queue.js';

/**
 * Operator actions on sensors: validate, then append one segment. Every failure is a typed
 * `ServoError` thrown before anything is appended. A command that changes nothing (starting a
 * sensor the operator already started) appends nothing. Without a `requestId`, the request id is
 * derived from the ledger position the command read, so a retry racing its original is one request.
 */

const Selector = z.object({ codeLocation: Name, name: Name, requestId: Id.max(200).optional() });
export type SensorCommandInput = z.input<typeof Selector>;

const CursorInput = Selector.extend({ cursor: z.string().max(65_536).nullable() });
export type SetSensorCursorInput = z.input<typeof CursorInput>;

const DryRunInput = Selector.extend({ cursor: z.string().max(65_536).nullable().optional() });
export type SensorDryRunInput = z.input<typeof DryRunInput>;

const UpsertInput = Selector.extend({
  kind: SensorKind.optional(),
  targetAssets: z.array(AssetKey).max(10_000).optional(),
  minimumIntervalSeconds: z.number().int().optional(),
  defaultStatus: InstigatorStatus.optional(),
  description: z.string().max(4096).optional(),
  maxRunRequests: PositiveInt.max(10_000).optional(),
  evaluationTimeoutSeconds: PositiveInt.max(3600).optional(),
  lane: Lane.optional(),
  tags: Tags.optional(),
}).strict();
export type UpsertSensorInput = z.input<typeof UpsertInput>;

/** Longest poll interval a definition may ask for: one week. */
const MAX_INTERVAL_SECONDS = 7 * 86_400;

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalidInput(`invalid ${what}: ${issue?.path.join('.') || '(input)'}: ${issue?.message}`, {
    issues: parsed.error.issues.slice(0, 10),
  });
}

/**
 * A request id from the ledger position the command read and what it asks: two copies of one
 * request made from the same position (a retry racing its original) are one request to the fold.
 */
function derivedRequestId(ctx: AutomationContext, what: string): string {
  return `at${ctx.workspace.projections.watermark.seq}.${what}`;
}

function checkActor(actor: string): void {
  if (!Actor.safeParse(actor).success) throw invalidInput('the actor must be 1–256 characters');
}

interface Loaded {
  definition: SensorDefinitionRow;
  state: SensorStateRow;
}

async function load(
  ctx: AutomationContext,
  selector: { codeLocation: string; name: string },
): Promise<Loaded> {
  await ctx.sync();
  const tables = ctx.tables();
  const sensorId = instigatorId(selector.codeLocation, selector.name);
  const definition = tables.sensorDefinitions.get(sensorId);
  const state = tables.sensorState.get(sensorId);
  if (definition === undefined || state === undefined) {
    throw notFound(`no sensor ${selector.name} in code location ${selector.codeLocation}`, { sensorId });
  }
  return { definition, state };
}

function view(
  ctx: AutomationContext,
  definition: { codeLocation: string; name: string; sensorId: string },
): SensorView {
  const found = findSensor(ctx.tables(), definition);
  if (found === undefined) throw notFound(`sensor ${definition.sensorId} was deleted meanwhile`);
  return found;
}

/** What deciding a sensor's next poll needs from its definition and state. */
type PollSubject = Pick<
  SensorDefinitionRow,
  'sensorId' | 'kind' | 'defaultStatus' | 'minimumIntervalSeconds'
> &
  Pick<SensorStateRow, 'status' | 'lastEvaluatedAt'>;

/** The next poll timer of a running poll sensor, or none. */
function pollTimerFor(ctx: AutomationContext, subject: PollSubject): Timer[] {
  if (subject.kind !== 'poll' || !isSensorRunning(subject, subject)) return [];
  const dueAt = nextPollAt(subject, subject, ctx.clock.now(), ctx.limits.minimumSensorIntervalSeconds);
  return [pollTimer(subject.sensorId, dueAt)];
}

async function appendWithTimers(
  ctx: AutomationContext,
  drafts: EventDraft[],
  timers: Timer[],
): Promise<void> {
  const at = ctx.clock.now();
  await ctx.append([...drafts, ...timers.map((timer) => timerRequestedDraft(timer, at))]);
  await ctx.schedule(timers);
}

async function changeStatus(
  ctx: AutomationContext,
  input: SensorCommandInput,
  actor: string,
  status: 'RUNNING' | 'STOPPED' | 'DEFAULT',
): Promise<SensorView> {
  const selector = parse(Selector, input, 'sensor selector');
  checkActor(actor);
  const { definition, state } = await load(ctx, selector);
  const wanted = status === 'DEFAULT' ? null : status;
  // Starting again polls once, from now: the stopped period is not replayed.
  const timers = pollTimerFor(ctx, { ...definition, status: wanted, lastEvaluatedAt: state.lastEvaluatedAt });
  if (state.status === wanted) {
    await ctx.schedule(timers);
    return view(ctx, definition);
  }
  const payload = {
    sensorId: definition.sensorId,
    status,
    changedBy: actor,
    requestId: selector.requestId ?? derivedRequestId(ctx, status),
  };
  await appendWithTimers(ctx, [draft('sensor.status-changed.v1', payload, ctx.clock.now())], timers);
  return view(ctx, definition);
}

/** Starts a sensor (status RUNNING). A poll sensor polls once now or when its minimum interval allows. */
export const startSensor = (
  ctx: AutomationContext,
  input: SensorCommandInput,
  actor: string,
): Promise<SensorView> => changeStatus(ctx, input, actor, 'RUNNING');

/** Stops a sensor: it makes no evaluations and quarantines push messages ("sensor is stopped"). */
export const stopSensor = (
  ctx: AutomationContext,
  input: SensorCommandInput,
  actor: string,
): Promise<SensorView> => changeStatus(ctx, input, actor, 'STOPPED');

/** Clears the operator's choice: the definition's default status applies again (Dagster's resetSensor). */
export const resetSensor = (
  ctx: AutomationContext,
  input: SensorCommandInput,
  actor: string,
): Promise<SensorView> => changeStatus(ctx, input, actor, 'DEFAULT');

/**
 * Sets (or, with null, clears) a poll sensor's cursor. It bumps the sensor's state version, so an
 * evaluation already under way from the old cursor is recorded as stale and requests nothing.
 */
export async function setSensorCursor(
  ctx: AutomationContext,
  input: SetSensorCursorInput,
  actor: string,
): Promise<SensorView> {
  const parsed = parse(CursorInput, input, 'cursor input');
  checkActor(actor);
  const { definition } = await load(ctx, parsed);
  if (definition.kind !== 'poll') {
    throw illegalState(`sensor ${definition.sensorId} is a push sensor; push sensors have no cursor`);
  }
  const cursorHash = parsed.cursor === null ? 'null' : sha256Hex(parsed.cursor).slice(0, 16);
  const payload = {
    sensorId: definition.sensorId,
    cursor: parsed.cursor,
    changedBy: actor,
    requestId: parsed.requestId ?? derivedRequestId(ctx, cursorHash),
  };
  await ctx.append([draft('sensor.cursor-set.v1', payload, ctx.clock.now())]);
  return view(ctx, definition);
}

/**
 * Resets the cursor: the next evaluation starts from no cursor, as the sensor's first did. It
 * replays nothing by itself: run keys the sensor already requested stay used, so only work under
 * new run keys runs again (see docs/sensors.md).
 */
export function resetSensorCursor(
  ctx: AutomationContext,
  input: SensorCommandInput,
  actor: string,
): Promise<SensorView> {
  return setSensorCursor(ctx, { ...input, cursor: null }, actor);
}

/**
 * Creates or replaces (definition CRUD) a sensor whose logic lives in a code location already
 * deployed. Omitted fields keep their current value, or take the defaults: poll, no target assets,
 * the platform's minimum interval, STOPPED (Dagster's default status).
 */
export async function upsertSensor(
  ctx: AutomationContext,
  input: UpsertSensorInput,
  actor: string,
): Promise<SensorView> {
  const parsed = parse(UpsertInput, input, 'sensor definition');
  checkActor(actor);
  if (ctx.codeLocations.get(parsed.codeLocation) === undefined) {
    throw notFound(`code location ${parsed.codeLocation} is not known`, {
      codeLocation: parsed.codeLocation,
    });
  }
  await ctx.sync();
  const tables = ctx.tables();
  const deployed = tables.codeLocations.get(parsed.codeLocation);
  if (deployed !== undefined && !deployed.sensors.includes(parsed.name)) {
    throw notFound(`code location ${parsed.codeLocation} does not define a sensor ${parsed.name}`);
  }
  const sensorId = instigatorId(parsed.codeLocation, parsed.name);
  const current = tables.sensorDefinitions.get(sensorId);
  const floor = ctx.limits.minimumSensorIntervalSeconds;
  const interval = parsed.minimumIntervalSeconds ?? current?.minimumIntervalSeconds ?? floor;
  if (interval < floor || interval > MAX_INTERVAL_SECONDS) {
    const message = `minimumIntervalSeconds must be from ${floor} to ${MAX_INTERVAL_SECONDS}; got ${interval}`;
    throw invalidInput(message, { minimumIntervalSeconds: interval });
  }
  const targetAssets = parsed.targetAssets ?? current?.targetAssets ?? [];
  const unknown = targetAssets.find((assetKey) => !tables.assetDefinitions.has(assetKey));
  if (unknown !== undefined)
    throw invalidInput(`sensor ${parsed.name} targets ${unknown}, which no code location defines`);
  const payload: PayloadOf<'sensor.definition-upserted.v1'> = {
    sensorId,
    codeLocation: parsed.codeLocation,
    name: parsed.name,
    source: 'api',
    kind: parsed.kind ?? (current?.kind === 'push' ? 'push' : 'poll'),
    targetAssets,
    minimumIntervalSeconds: interval,
    defaultStatus: parsed.defaultStatus ?? (current?.defaultStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED'),
    ...defined({
      description: parsed.description ?? current?.description,
      maxRunRequests: parsed.maxRunRequests ?? current?.maxRunRequests,
      evaluationTimeoutSeconds: parsed.evaluationTimeoutSeconds ?? current?.evaluationTimeoutSeconds,
      codeVersion: current?.codeVersion ?? deployed?.codeVersion,
      lane: parsed.lane ?? Lane.safeParse(current?.lane).data,
      tags: parsed.tags ?? current?.tags,
    }),
    changedBy: actor,
    requestId: '',
  };
  if (current !== undefined && definitionContent(current) === definitionContent(payload))
    return view(ctx, current);
  const contentHash = sha256Hex(definitionContent(payload)).slice(0, 16);
  payload.requestId = parsed.requestId ?? derivedRequestId(ctx, contentHash);
  const state = tables.sensorState.get(sensorId) ?? { status: null, lastEvaluatedAt: null };
  const timers = pollTimerFor(ctx, {
    ...payload,
    status: state.status,
    lastEvaluatedAt: state.lastEvaluatedAt,
  });
  await appendWithTimers(ctx, [draft('sensor.definition-upserted.v1', payload, ctx.clock.now())], timers);
  return view(ctx, payload);
}

/** Copies only the members that have a value (optional payload fields are omitted, never null). */
function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], null> } {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined && value !== null);
  return Object.fromEntries(entries) as { [K in keyof T]?: Exclude<T[K], null> };
}

const NOT_CONTENT = new Set(['changedBy', 'requestId', 'createdAt', 'updatedAt', 'rowVersion']);

/** What a definition (row or payload) says, without who asked and when, as canonical JSON. */
function definitionContent(value: object): string {
  const entries = Object.entries(value).filter(([key, field]) => !NOT_CONTENT.has(key) && field != null);
  return canonicalJson(Object.fromEntries(entries));
}

/** Deletes a sensor definition; its state and evaluation history stay (a re-created sensor keeps its cursor). */
export async function deleteSensor(
  ctx: AutomationContext,
  input: SensorCommandInput,
  actor: string,
): Promise<{ sensorId: string; deleted: true }> {
  const selector = parse(Selector, input, 'sensor selector');
  checkActor(actor);
  const { definition } = await load(ctx, selector);
  const payload = {
    sensorId: definition.sensorId,
    deletedBy: actor,
    requestId: selector.requestId ?? derivedRequestId(ctx, 'delete'),
  };
  await ctx.append([draft('sensor.deleted.v1', payload, ctx.clock.now())]);
  return { sensorId: definition.sensorId, deleted: true };
}

export interface DryRunRunRequest {
  /** The key as the sensor chose it, and as Servo records it (scoped to the sensor). */
  runKey: string;
  scopedRunKey: string;
  requestFingerprint: string;
  assetSelection: string[];
  partitionKeys: string[] | null;
  tags: Record<string, string>;
  /** The run key was requested before: requesting it again would start nothing. */
  alreadyRequested: boolean;
  /** It was requested before with other content: requesting it again would be a run-key conflict. */
  conflict: boolean;
}

export interface SensorDryRunResult {
  sensorId: string;
  status: TickStatus;
  cursorBefore: string | null;
  cursorAfter: string | null;
  skipReason: string | null;
  error: ErrorInfo | null;
  runRequests: DryRunRunRequest[];
  /** Keys the evaluation would add to or delete from dynamic partitions definitions. */
  dynamicPartitionsRequests: { partitionsDefName: string; added: string[]; deleted: string[] }[];
}

/**
 * Evaluates a poll sensor from the given cursor (the current one when absent) and returns what an
 * evaluation would record, appending nothing (Dagster's sensorDryRun).
 */
export async function sensorDryRun(
  ctx: AutomationContext,
  input: SensorDryRunInput,
): Promise<SensorDryRunResult> {
  const parsed = parse(DryRunInput, input, 'dry-run input');
  const { definition, state } = await load(ctx, parsed);
  if (definition.kind !== 'poll') {
    throw illegalState(
      `sensor ${definition.sensorId} is a push sensor: it is evaluated on messages, not dry-run`,
    );
  }
  const from = { ...state, cursor: parsed.cursor === undefined ? state.cursor : parsed.cursor };
  const now = ctx.clock.now();
  const lastRunKey = userRunKey(definition.sensorId, from.lastRunKey);
  const { outcome } = await evaluateSensorCode(ctx, definition, (location, signal) =>
    location.evaluateSensor(
      definition.name,
      { cursor: from.cursor, lastRunKey, now: now.toISOString() },
      signal,
    ),
  );
  const decision = evaluationDrafts({
    definition,
    state: from,
    trigger: { kind: 'poll', dueAt: now.getTime() },
    outcome,
    at: now,
    maxRunRequests: definition.maxRunRequests ?? ctx.limits.maxRunRequestsPerEvaluation,
  });
  const index = ctx.tables().runKeyIndex;
  const evaluation = decision.evaluation;
  return {
    sensorId: definition.sensorId,
    status: evaluation.status,
    cursorBefore: evaluation.cursorBefore,
    cursorAfter: evaluation.cursorAfter,
    skipReason: evaluation.skipReason ?? null,
    error: evaluation.error ?? null,
    runRequests: decision.runRequests.map((request) => {
      const existing = index.get(request.runKey);
      return {
        runKey: userRunKey(definition.sensorId, request.runKey) ?? request.runKey,
        scopedRunKey: request.runKey,
        requestFingerprint: request.requestFingerprint,
        assetSelection: request.assetSelection,
        partitionKeys: request.partitionKeys ?? null,
        tags: request.tags,
        alreadyRequested: existing !== undefined,
        conflict: existing !== undefined && existing.requestFingerprint !== request.requestFingerprint,
      };
    }),
    dynamicPartitionsRequests: decision.drafts.flatMap((event) =>
      event.type === 'partitions.dynamic-changed.v1'
        ? [
            {
              partitionsDefName: event.payload.partitionsDefName,
              added: event.payload.added,
              deleted: event.payload.deleted,
            },
          ]
        : [],
    ),
  };
}
