import { performance } from 'node:perf_hooks';
import type { CodeLocation } from '../code-location/code-location.js';
import {
  type EvaluationOutcome,
  earliestPollAt,
  evaluationDrafts,
  isSensorRunning,
  nextPollAt,
  type PushBody,
  parsePushMessage,
  pollTimer,
  timerFiredDraft,
  timerRequestedDraft,
  userRunKey,
} from '../controllers/sensors.js';
import { ErrorCode, illegalState, invalidInput, notFound, ServoError } from '../errors.js';
import type { ProjectionTables } from '../fold/state.js';
import { canonicalJson } from '../model/canonical-json.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { Actor, type ErrorInfo } from '../model/common.js';
import type { TickStatus } from '../model/events/automation.js';
import { sha256Hex } from '../model/hashing.js';
import { instigatorId, pushEvalId } from '../model/ids.js';
import type { SensorDefinitionRow } from '../projections/tables/index.js';
import type { Timer } from '../timers/timer-queue.js';
import type { AutomationContext, TimerDomain } from './context.js';

/**
 * Sensors at run time: the poll timer domain (one timer per running poll sensor, each poll one
 * segment) and push message handling (each message evaluated once, bad ones quarantined).
 */

/** Calls the sensor's code location with a deadline; a missing location or a throw is an error outcome. */
export async function evaluateSensorCode(
  ctx: AutomationContext,
  definition: SensorDefinitionRow,
  call: (location: CodeLocation, signal: AbortSignal) => Promise<unknown>,
): Promise<{ outcome: EvaluationOutcome; durationMs: number }> {
  const location = ctx.codeLocations.get(definition.codeLocation);
  if (location === undefined) {
    const error = new ServoError(
      ErrorCode.Unavailable,
      `code location ${definition.codeLocation} is not available`,
    );
    return { outcome: { kind: 'error', error }, durationMs: 0 };
  }
  const timeoutMs =
    definition.evaluationTimeoutSeconds === null
      ? ctx.limits.sensorEvaluationTimeoutMs
      : definition.evaluationTimeoutSeconds * 1000;
  const controller = new AbortController();
  const started = performance.now();
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<EvaluationOutcome>((resolve) => {
    deadline = setTimeout(() => {
      resolve({ kind: 'timeout', timeoutMs });
      controller.abort(new ServoError(ErrorCode.Unavailable, `timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const evaluated = (async (): Promise<EvaluationOutcome> => {
    try {
      return { kind: 'result', result: await call(location, controller.signal) };
    } catch (error) {
      return { kind: 'error', error };
    }
  })();
  try {
    const outcome = await Promise.race([evaluated, timedOut]);
    return { outcome, durationMs: performance.now() - started };
  } finally {
    clearTimeout(deadline);
  }
}

function maxRunRequestsOf(ctx: AutomationContext, definition: SensorDefinitionRow): number {
  return definition.maxRunRequests ?? ctx.limits.maxRunRequestsPerEvaluation;
}

/**
 * The `sensor_poll` timer domain. A delivery for a deleted, stopped or push sensor records nothing
 * and asks for no new timer (starting the sensor asks for one). A timer that fires before the
 * minimum interval has passed asks for one at the earliest allowed time. Otherwise the sensor is
 * evaluated from its cursor and `[timer.fired, sensor.evaluated, run.requested…, timer.requested]`
 * is appended as one segment.
 */
export function createSensorPollDomain(): TimerDomain {
  return {
    kinds: ['sensor_poll'],
    handle: handlePollTimer,
    timerFor(ctx, sensorId) {
      return sensorTimer(ctx, sensorId);
    },

    desiredTimers(ctx) {
      const timers: Timer[] = [];
      for (const definition of ctx.tables().sensorDefinitions.values()) {
        const timer = sensorTimer(ctx, definition.sensorId);
        if (timer !== undefined) timers.push(timer);
      }
      return timers;
    },
  };
}

/** The next poll timer of a running poll sensor, if it needs one. */
function sensorTimer(ctx: AutomationContext, sensorId: string): Timer | undefined {
  const tables = ctx.tables();
  const definition = tables.sensorDefinitions.get(sensorId);
  const state = tables.sensorState.get(sensorId);
  if (
    definition === undefined ||
    definition.kind !== 'poll' ||
    state === undefined ||
    !isSensorRunning(definition, state)
  ) {
    return undefined;
  }
  return pollTimer(
    sensorId,
    nextPollAt(definition, state, ctx.clock.now(), ctx.limits.minimumSensorIntervalSeconds),
  );
}

async function handlePollTimer(ctx: AutomationContext, timer: Timer): Promise<void> {
  await ctx.sync();
  const tables = ctx.tables();
  if (tables.timers.get(timer.timerId)?.state === 'FIRED') return;
  const definition = tables.sensorDefinitions.get(timer.subjectId);
  const state = tables.sensorState.get(timer.subjectId);
  if (definition === undefined || definition.kind !== 'poll' || state === undefined) return;
  if (!isSensorRunning(definition, state)) return;
  const floor = ctx.limits.minimumSensorIntervalSeconds;
  const firedAt = ctx.clock.now();
  const earliest = earliestPollAt(definition, state, floor);
  if (earliest !== null && firedAt.getTime() < earliest) {
    const next = pollTimer(definition.sensorId, earliest);
    await ctx.append([timerFiredDraft(timer, firedAt), timerRequestedDraft(next, firedAt)]);
    await ctx.schedule([next]);
    return;
  }
  const context = {
    cursor: state.cursor,
    lastRunKey: userRunKey(definition.sensorId, state.lastRunKey),
    now: new Date(timer.fireAt).toISOString(),
  };
  const { outcome, durationMs } = await evaluateSensorCode(ctx, definition, (location, signal) =>
    location.evaluateSensor(definition.name, context, signal),
  );
  const at = ctx.clock.now();
  const decision = evaluationDrafts({
    definition,
    state,
    trigger: { kind: 'poll', dueAt: timer.fireAt },
    outcome,
    at,
    maxRunRequests: maxRunRequestsOf(ctx, definition),
    durationMs,
  });
  const next = pollTimer(
    definition.sensorId,
    nextPollAt(definition, { ...state, lastEvaluatedAt: at.getTime() }, at, floor),
  );
  await ctx.append([timerFiredDraft(timer, at), ...decision.drafts, timerRequestedDraft(next, at)]);
  await ctx.schedule([next]);
}

/** Which sensor a message is for: its name (unique across code locations), or location and name. */
export type PushTarget = { sensorName: string } | { codeLocation: string; name: string };

export type PushRequest = PushTarget & PushBody;

export type PushResult =
  | {
      outcome: 'evaluated';
      sensorId: string;
      evalId: string;
      messageId: string;
      status: TickStatus;
      runKeys: string[];
      error: ErrorInfo | null;
    }
  /** The message id was evaluated before (a redelivery): nothing was done. */
  | { outcome: 'duplicate'; sensorId: string; evalId: string; messageId: string }
  /** The message was not accepted; it is kept with its reason and can be replayed. */
  | { outcome: 'quarantined'; quarantineId: string; reason: string; messageId: string | null };

type PushDecision =
  | { result: Extract<PushResult, { outcome: 'quarantined' }>; drafts: EventDraft[] }
  | { result: Extract<PushResult, { outcome: 'duplicate' }>; drafts: EventDraft[] }
  | { result: Extract<PushResult, { outcome: 'evaluated' }>; drafts: EventDraft[] };

/** Evaluation ids are ledger ids (at most 512 characters). */
const MAX_EVAL_ID_LENGTH = 512;

function targetLabel(target: PushTarget): string {
  return 'sensorName' in target ? target.sensorName : instigatorId(target.codeLocation, target.name);
}

function resolveSensor(
  tables: ProjectionTables,
  target: PushTarget,
): { ok: true; definition: SensorDefinitionRow } | { ok: false; reason: string } {
  if (!('sensorName' in target)) {
    const definition = tables.sensorDefinitions.get(instigatorId(target.codeLocation, target.name));
    return definition === undefined
      ? { ok: false, reason: `unknown sensor ${target.name} in code location ${target.codeLocation}` }
      : { ok: true, definition };
  }
  const matches = [...tables.sensorDefinitions.values()].filter((row) => row.name === target.sensorName);
  if (matches.length === 0) return { ok: false, reason: `unknown sensor ${target.sensorName}` };
  if (matches.length > 1) {
    const locations = matches
      .map((row) => row.codeLocation)
      .sort()
      .join(', ');
    return {
      ok: false,
      reason: `sensor name ${target.sensorName} is ambiguous (code locations ${locations}); name the code location`,
    };
  }
  return { ok: true, definition: matches[0]! };
}

async function decidePush(ctx: AutomationContext, request: PushRequest): Promise<PushDecision> {
  await ctx.sync();
  const tables = ctx.tables();
  const receivedAt = ctx.clock.now();
  const maxBytes = ctx.limits.maxPushPayloadBytes;
  const parsed = parsePushMessage(request, maxBytes);
  const quarantine = (reason: string, messageId: string | undefined): PushDecision => {
    const event = quarantineDraft({
      target: targetLabel(request),
      messageId,
      reason,
      receivedAt,
      body: parsed.bytes,
      maxBytes,
    });
    return {
      result: {
        outcome: 'quarantined',
        quarantineId: event.payload.quarantineId,
        reason,
        messageId: messageId ?? null,
      },
      // A redelivery of a message already in quarantine records nothing new.
      drafts: tables.quarantinedMessages.has(event.payload.quarantineId) ? [] : [event],
    };
  };
  if (!parsed.ok) return quarantine(parsed.reason, parsed.messageId);
  const { message } = parsed;
  const resolved = resolveSensor(tables, request);
  if (!resolved.ok) return quarantine(resolved.reason, message.messageId);
  const { definition } = resolved;
  if (definition.kind !== 'push') {
    return quarantine(
      `sensor ${definition.sensorId} is a ${definition.kind} sensor, not a push sensor`,
      message.messageId,
    );
  }
  const base = {
    sensorId: definition.sensorId,
    evalId: pushEvalId(definition.sensorId, message.messageId),
    messageId: message.messageId,
  };
  if (base.evalId.length > MAX_EVAL_ID_LENGTH) {
    return quarantine(
      `message id too long: with its sensor it makes a ${base.evalId.length}-character evaluation id, at most ${MAX_EVAL_ID_LENGTH} are allowed`,
      message.messageId,
    );
  }
  if (tables.sensorEvals.has(base.evalId)) return { result: { outcome: 'duplicate', ...base }, drafts: [] };
  const state = tables.sensorState.get(definition.sensorId);
  if (state === undefined || !isSensorRunning(definition, state)) {
    // Dagster would not evaluate a stopped sensor; keeping the message lets it be replayed after start.
    return quarantine('sensor is stopped', message.messageId);
  }
  const { outcome, durationMs } = await evaluateSensorCode(ctx, definition, (location, signal) =>
    location.handleMessage(definition.name, message, signal),
  );
  const decision = evaluationDrafts({
    definition,
    state,
    trigger: { kind: 'push', messageId: message.messageId },
    outcome,
    at: ctx.clock.now(),
    maxRunRequests: maxRunRequestsOf(ctx, definition),
    durationMs,
  });
  const evaluation = decision.evaluation;
  return {
    result: {
      outcome: 'evaluated',
      ...base,
      status: evaluation.status,
      runKeys: evaluation.runKeys,
      error: evaluation.error ?? null,
    },
    drafts: decision.drafts,
  };
}

/**
 * Handles one push message (a Pub/Sub push envelope or a direct JSON body). Never throws for a bad
 * message: malformed JSON or base64, a missing message id, an oversize body, an unknown, poll or
 * stopped sensor all quarantine the message and return `quarantined` with the reason (the transport
 * acknowledges it: redelivery would not help). A message id already evaluated returns `duplicate`.
 * Throws only when recording fails (retryable: the transport should ask for redelivery).
 */
export async function handlePushMessage(ctx: AutomationContext, request: PushRequest): Promise<PushResult> {
  const decision = await decidePush(ctx, request);
  if (decision.drafts.length > 0) await ctx.append(decision.drafts);
  return decision.result;
}

/** Splits a quarantined message's recorded sensor (`{codeLocation}:{name}` or a bare name). */
function targetOf(recorded: string): PushTarget {
  const colon = recorded.indexOf(':');
  return colon < 0
    ? { sensorName: recorded }
    : { codeLocation: recorded.slice(0, colon), name: recorded.slice(colon + 1) };
}

/**
 * Processes a quarantined message again (after the sensor was created or started, say) and records
 * `push.message-replayed.v1` in the same segment as the evaluation. A message that still cannot be
 * accepted stays in quarantine: the call fails with the reason and appends nothing.
 */
export async function replayQuarantined(
  ctx: AutomationContext,
  quarantineId: string,
  actor: string,
): Promise<PushResult> {
  if (!Actor.safeParse(actor).success) throw invalidInput('the actor must be 1–256 characters');
  await ctx.sync();
  const row = ctx.tables().quarantinedMessages.get(quarantineId);
  if (row === undefined) throw notFound(`no quarantined message ${quarantineId}`, { quarantineId });
  if (row.replayedAt !== null)
    throw illegalState(`message ${quarantineId} was already replayed`, { quarantineId });
  if (row.bodyBase64 === null) {
    throw illegalState(
      `message ${quarantineId} cannot be replayed: its body (${row.sizeBytes} bytes) was not kept`,
      { quarantineId },
    );
  }
  if (row.sensorName === null)
    throw illegalState(`message ${quarantineId} names no sensor`, { quarantineId });
  const decision = await decidePush(ctx, {
    ...targetOf(row.sensorName),
    body: Buffer.from(row.bodyBase64, 'base64'),
    ...(row.messageId === null ? {} : { messageId: row.messageId }),
  });
  const result = decision.result;
  if (result.outcome === 'quarantined') {
    throw illegalState(`message ${quarantineId} still cannot be accepted: ${result.reason}`, {
      quarantineId,
      reason: result.reason,
    });
  }
  const outcome =
    result.outcome === 'duplicate'
      ? `message ${result.messageId} was already evaluated (${result.evalId})`
      : `evaluated as ${result.evalId}: ${result.status}`;
  await ctx.append([
    ...decision.drafts,
    draft('push.message-replayed.v1', { quarantineId, replayedBy: actor, outcome }, ctx.clock.now()),
  ]);
  return result;
}

/** Largest base64 body a quarantine event keeps. */
const MAX_QUARANTINED_BASE64 = 1_500_000;

export interface QuarantineInput {
  /** The sensor as addressed: `{codeLocation}:{name}` or a bare name. */
  target: string;
  messageId: string | undefined;
  reason: string;
  receivedAt: Date;
  body: Uint8Array;
  maxBytes: number;
}

/**
 * `push.message-quarantined.v1` for a message that was not accepted. The quarantine id is derived
 * from the sensor, message id and body, so a redelivery of the same bad message is recorded once.
 * The body is kept when it is within the push payload limit.
 */
export function quarantineDraft(
  input: QuarantineInput,
): Extract<EventDraft, { type: 'push.message-quarantined.v1' }> {
  const base64 = Buffer.from(input.body).toString('base64');
  const quarantineId = `q_${sha256Hex(canonicalJson([input.target, input.messageId ?? null, sha256Hex(base64)])).slice(0, 26)}`;
  const keep = input.body.length <= input.maxBytes && base64.length <= MAX_QUARANTINED_BASE64;
  return draft(
    'push.message-quarantined.v1',
    {
      quarantineId,
      sensorName: input.target.slice(0, 256),
      ...(input.messageId === undefined ? {} : { messageId: input.messageId.slice(0, 1024) }),
      reason: input.reason.slice(0, 4096),
      receivedAt: input.receivedAt.toISOString(),
      ...(keep ? { bodyBase64: base64 } : {}),
      sizeBytes: input.body.length,
    },
    input.receivedAt,
  );
}
