import { type PushMessage, SensorResult, type SensorRunRequest } from '../code-location/code-location.js';
import { ServoError } from '../errors.js';
import { MAX_SEGMENT_BYTES } from '../ledger/ledger.js';
import { draft, type EventDraft, MAX_EVENT_BYTES, type PayloadOf } from '../model/catalog.js';
import { type ErrorInfo, Lane } from '../model/common.js';
import type { TickStatus } from '../model/events/automation.js';
import { requestFingerprint } from '../model/fingerprint.js';
import { pollEvalId, pushEvalId, timerIdFor } from '../model/ids.js';
import type { SensorDefinitionRow, SensorStateRow } from '../projections/tables/index.js';
import type { Timer } from '../timers/timer-queue.js';

/**
 * Sensor decisions as pure functions: whether a sensor runs, when it polls next, and what one
 * evaluation records. Time, ids and the code location's answer come in as inputs.
 */

/** The operator's choice when there is one, else the definition's default status. */
export function isSensorRunning(
  definition: Pick<SensorDefinitionRow, 'defaultStatus'>,
  state: Pick<SensorStateRow, 'status'> | undefined,
): boolean {
  return (state?.status ?? definition.defaultStatus) === 'RUNNING';
}

/** The interval a poll sensor keeps between evaluations: its own, never below the platform floor. */
export function pollIntervalSeconds(
  definition: Pick<SensorDefinitionRow, 'minimumIntervalSeconds'>,
  floorSeconds: number,
): number {
  return Math.max(definition.minimumIntervalSeconds, floorSeconds);
}

/**
 * The earliest time the next poll may run: the minimum interval after the last evaluation, rounded
 * up to a whole second (timer ids carry epoch seconds, so each due time names one timer). Null
 * when the sensor was never evaluated.
 */
export function earliestPollAt(
  definition: Pick<SensorDefinitionRow, 'minimumIntervalSeconds'>,
  state: Pick<SensorStateRow, 'lastEvaluatedAt'>,
  floorSeconds: number,
): number | null {
  if (state.lastEvaluatedAt === null) return null;
  const due = state.lastEvaluatedAt + pollIntervalSeconds(definition, floorSeconds) * 1000;
  return Math.ceil(due / 1000) * 1000;
}

/**
 * When the next poll is due: at the earliest the minimum interval after the last evaluation, and
 * never in the past. A sensor that was stopped polls once when started again; the stopped period
 * is not replayed.
 */
export function nextPollAt(
  definition: Pick<SensorDefinitionRow, 'minimumIntervalSeconds'>,
  state: Pick<SensorStateRow, 'lastEvaluatedAt'>,
  now: Date | number,
  floorSeconds = 30,
): number {
  const nowMs = typeof now === 'number' ? now : now.getTime();
  const earliest = earliestPollAt(definition, state, floorSeconds);
  return earliest === null ? nowMs : Math.max(earliest, nowMs);
}

export function pollTimer(sensorId: string, dueAt: number): Timer {
  return {
    timerId: timerIdFor('sensor_poll', sensorId, dueAt),
    kind: 'sensor_poll',
    subjectId: sensorId,
    fireAt: dueAt,
  };
}

function timerPayload(timer: Timer) {
  const fireAt = new Date(timer.fireAt).toISOString();
  const base = { timerId: timer.timerId, kind: timer.kind, subjectId: timer.subjectId, fireAt };
  return timer.attempt === undefined ? base : { ...base, attempt: timer.attempt };
}

export function timerRequestedDraft(timer: Timer, at: Date): EventDraft {
  return draft('timer.requested.v1', timerPayload(timer), at);
}

export function timerFiredDraft(timer: Timer, at: Date): EventDraft {
  return draft('timer.fired.v1', timerPayload(timer), at);
}

/**
 * Run keys are scoped to their sensor, as Dagster scopes them to (repository, sensor): two sensors
 * may use the same key, and no sensor can claim a schedule's or backfill's key.
 */
export function sensorRunKey(sensorId: string, runKey: string): string {
  return `sensor:${sensorId}:${runKey}`;
}

/** The key the sensor itself chose, from a scoped run key (null when it is not this sensor's). */
export function userRunKey(sensorId: string, scoped: string | null): string | null {
  const prefix = `sensor:${sensorId}:`;
  return scoped?.startsWith(prefix) === true ? scoped.slice(prefix.length) : null;
}

/** What came back from the code location. */
export type EvaluationOutcome =
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout'; timeoutMs: number };

export type SensorTriggerInput = { kind: 'poll'; dueAt: number } | { kind: 'push'; messageId: string };

export interface EvaluationInput {
  definition: SensorDefinitionRow;
  /** The state the evaluation started from: its cursor and version (the CAS guard). */
  state: SensorStateRow;
  trigger: SensorTriggerInput;
  outcome: EvaluationOutcome;
  /** When the evaluation finished; the evaluation's time (the minimum interval counts from it). */
  at: Date;
  maxRunRequests: number;
  durationMs?: number;
}

export interface EvaluationDecision {
  evaluation: PayloadOf<'sensor.evaluated.v1'>;
  runRequests: PayloadOf<'run.requested.v1'>[];
  /** `sensor.evaluated.v1` followed by its run requests: one segment. */
  drafts: EventDraft[];
}

const MAX_ERROR_MESSAGE = 16_384;
const MAX_STACK = 65_536;
/** A scoped run key must fit the ledger's id limit. */
const MAX_RUN_KEY_LENGTH = 512;

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    return {
      message: error.message.slice(0, MAX_ERROR_MESSAGE) || error.name,
      className: (error instanceof ServoError ? `ServoError(${error.code})` : error.name).slice(0, 256),
      ...(error.stack === undefined ? {} : { stack: error.stack.slice(0, MAX_STACK) }),
    };
  }
  return { message: String(error).slice(0, MAX_ERROR_MESSAGE) };
}

export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

type RequestsOrFailure =
  | { ok: true; requests: PayloadOf<'run.requested.v1'>[] }
  | { ok: false; message: string };

/**
 * Turns one evaluation's outcome into its events. SUCCESS when it requested runs; SKIPPED with the
 * sensor's skip reason (or "no new data") when it requested none; FAILURE when the code failed,
 * timed out, answered something invalid or asked for more runs than allowed — then it requests
 * nothing and keeps the cursor. Poll evaluations carry the state version they read, so one computed
 * before a cursor change or a concurrent evaluation is recorded as stale and its requests dropped.
 * Push evaluations carry no version (each message stands alone) and never move the cursor.
 */
export function evaluationDrafts(input: EvaluationInput): EvaluationDecision {
  const { definition, state, trigger, outcome, at } = input;
  const sensorId = definition.sensorId;
  const isPoll = trigger.kind === 'poll';
  const evalId = isPoll ? pollEvalId(sensorId, trigger.dueAt) : pushEvalId(sensorId, trigger.messageId);
  const base = {
    sensorId,
    evalId,
    trigger: isPoll
      ? { kind: 'poll' as const, dueAt: new Date(trigger.dueAt).toISOString() }
      : { kind: 'push' as const, messageId: trigger.messageId },
    cursorBefore: state.cursor,
    ...(isPoll ? { expectedStateVersion: state.stateVersion } : {}),
    ...(input.durationMs === undefined ? {} : { durationMs: Math.max(0, Math.round(input.durationMs)) }),
  };
  const failed = (error: ErrorInfo): EvaluationDecision => {
    const evaluation = { ...base, cursorAfter: state.cursor, status: 'FAILURE' as const, error, runKeys: [] };
    return { evaluation, runRequests: [], drafts: [draft('sensor.evaluated.v1', evaluation, at)] };
  };

  if (outcome.kind === 'timeout') {
    return failed({
      message: `sensor ${definition.name} evaluation timed out after ${formatDuration(outcome.timeoutMs)}`,
      className: 'SensorTimeout',
    });
  }
  if (outcome.kind === 'error') return failed(errorInfo(outcome.error));
  const parsed = SensorResult.safeParse(outcome.result);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return failed({
      message: `sensor ${definition.name} returned an invalid result: ${issues}`,
      className: 'InvalidSensorResult',
    });
  }
  const result = parsed.data;
  if (result.runRequests.length > input.maxRunRequests) {
    return failed({
      message: `sensor ${definition.name} asked for ${result.runRequests.length} runs in one evaluation; at most ${input.maxRunRequests} are allowed, so nothing was requested and the cursor was kept`,
      className: 'RunRequestLimitExceeded',
    });
  }
  const built = runRequestsOf(definition, evalId, result.runRequests);
  if (!built.ok) return failed({ message: built.message, className: 'InvalidRunRequest' });

  const runKeys = [...new Set(built.requests.map((request) => request.runKey))];
  // An absent cursor keeps the cursor; push sensors have none to move.
  const cursorAfter = isPoll && result.cursor !== undefined ? result.cursor : state.cursor;
  const status: TickStatus = runKeys.length > 0 ? 'SUCCESS' : 'SKIPPED';
  const evaluation: PayloadOf<'sensor.evaluated.v1'> = {
    ...base,
    cursorAfter,
    status,
    ...(status === 'SKIPPED' ? { skipReason: result.skipReason ?? 'no new data' } : {}),
    runKeys,
  };
  return {
    evaluation,
    runRequests: built.requests,
    drafts: [
      draft('sensor.evaluated.v1', evaluation, at),
      // Partitions the sensor adds come before the runs that may target them.
      ...result.dynamicPartitions.map((request, index) =>
        draft(
          'partitions.dynamic-changed.v1',
          {
            partitionsDefName: request.partitionsDefName,
            added: request.add,
            deleted: request.delete,
            requestId: `${evalId}:${index}`,
            changedBy: `sensor:${definition.sensorId}`,
          },
          at,
        ),
      ),
      ...built.requests.map((request) => draft('run.requested.v1', request, at)),
    ],
  };
}

/**
 * One request per run key and content. Identical requests under one key collapse into the first
 * (Dagster #26753); a later request under the same key with other content is kept, so the fold
 * records it as a run-key conflict instead of it vanishing.
 */
function runRequestsOf(
  definition: SensorDefinitionRow,
  evalId: string,
  requests: readonly SensorRunRequest[],
): RequestsOrFailure {
  const lane = Lane.safeParse(definition.lane);
  const seen = new Set<string>();
  const out: PayloadOf<'run.requested.v1'>[] = [];
  let bytes = 0;
  for (const request of requests) {
    const runKey = sensorRunKey(definition.sensorId, request.runKey);
    if (runKey.length > MAX_RUN_KEY_LENGTH) {
      return {
        ok: false,
        message: `run key ${request.runKey} is too long: with its sensor scope it has ${runKey.length} characters, at most ${MAX_RUN_KEY_LENGTH} are allowed`,
      };
    }
    const assetSelection = request.assetSelection ?? definition.targetAssets;
    if (assetSelection.length === 0) {
      return {
        ok: false,
        message: `run request ${request.runKey} names no assets and sensor ${definition.name} has no target assets`,
      };
    }
    const partitionKeys =
      request.partitionKeys !== undefined && request.partitionKeys.length > 0
        ? request.partitionKeys
        : undefined;
    const fingerprint = requestFingerprint({ assetSelection, partitionKeys });
    if (seen.has(`${runKey}\n${fingerprint}`)) continue;
    seen.add(`${runKey}\n${fingerprint}`);
    const payload: PayloadOf<'run.requested.v1'> = {
      runKey,
      requestFingerprint: fingerprint,
      assetSelection,
      ...(partitionKeys === undefined ? {} : { partitionKeys }),
      source: { kind: 'sensor', sensorId: definition.sensorId, evalId },
      lane: lane.success ? lane.data : 'sensor',
      priority: 0,
      tags: {
        ...definition.tags,
        ...request.tags,
        'dagster/sensor_name': definition.name,
        'dagster/run_key': request.runKey,
      },
      ...(definition.codeVersion === null ? {} : { codeVersion: definition.codeVersion }),
      singleRun: false,
    };
    const size = JSON.stringify(payload).length;
    bytes += size;
    if (size > MAX_EVENT_BYTES / 2 || bytes > MAX_SEGMENT_BYTES / 2) {
      return {
        ok: false,
        message: `run request ${request.runKey} makes the evaluation too large to record (${bytes} bytes); request fewer partitions per run`,
      };
    }
    out.push(payload);
  }
  return { ok: true, requests: out };
}

/** A push message as it arrived: a Pub/Sub push envelope or a direct JSON body. */
export interface PushBody {
  body: Uint8Array | string;
  contentType?: string;
  /** The message id of a direct body (a header, say); a Pub/Sub envelope carries its own. */
  messageId?: string;
  attributes?: Record<string, string>;
  /** True: must be a Pub/Sub push envelope; false: a direct body; absent: recognised by its shape. */
  pubsubEnvelope?: boolean;
}

export type ParsedPush = { bytes: Uint8Array } & (
  | { ok: true; message: PushMessage }
  | { ok: false; reason: string; messageId?: string }
);

const MESSAGE_ID = /^[\x21-\x7e]{1,256}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Reads a push message, checking in order: size, content type, UTF-8, JSON, then (for a Pub/Sub
 * envelope) base64 `message.data` and string attributes, and finally the message id. Pub/Sub
 * `data` that is JSON is handed to the sensor parsed, other text as text. Pure.
 */
export function parsePushMessage(input: PushBody, maxBytes: number): ParsedPush {
  const bytes = typeof input.body === 'string' ? new TextEncoder().encode(input.body) : input.body;
  const reject = (reason: string, messageId?: string): ParsedPush => ({
    ok: false,
    bytes,
    reason,
    ...(messageId === undefined ? {} : { messageId }),
  });
  if (bytes.length > maxBytes)
    return reject(`payload too large: ${bytes.length} bytes, the limit is ${maxBytes}`);
  const mediaType = input.contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
    return reject(`unsupported content type ${mediaType}: push messages are JSON`);
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) return reject('body is not valid UTF-8');
  const json = parseJson(text);
  if (!json.ok) return reject(`malformed JSON: ${json.error}`);
  const body = json.value;
  const looksLikeEnvelope = isRecord(body) && isRecord(body.message) && typeof body.subscription === 'string';
  const envelope = input.pubsubEnvelope ?? looksLikeEnvelope;
  if (!envelope) {
    const fromBody = isRecord(body) && typeof body.messageId === 'string' ? body.messageId : undefined;
    const messageId = input.messageId ?? fromBody;
    if (messageId === undefined || messageId === '') return reject('missing message id');
    if (!MESSAGE_ID.test(messageId))
      return reject('invalid message id: 1–256 printable ASCII characters without spaces', messageId);
    return { ok: true, bytes, message: { messageId, data: body, attributes: { ...input.attributes } } };
  }
  if (!isRecord(body) || !isRecord(body.message))
    return reject('not a Pub/Sub push envelope: no message object');
  const message = body.message;
  const rawId = message.messageId ?? message.message_id;
  const messageId = typeof rawId === 'string' ? rawId : undefined;
  let data: unknown = null;
  if (message.data !== undefined) {
    if (typeof message.data !== 'string' || !BASE64.test(message.data)) {
      return reject('message.data is not valid base64', messageId);
    }
    const decoded = decodeUtf8(Buffer.from(message.data, 'base64'));
    if (decoded === undefined) return reject('message.data is not valid UTF-8', messageId);
    const parsedData = parseJson(decoded);
    data = parsedData.ok ? parsedData.value : decoded;
  }
  const attributes = message.attributes ?? {};
  if (!isRecord(attributes) || Object.values(attributes).some((value) => typeof value !== 'string')) {
    return reject('message.attributes must map strings to strings', messageId);
  }
  if (messageId === undefined || messageId === '') return reject('missing message id');
  if (!MESSAGE_ID.test(messageId))
    return reject('invalid message id: 1–256 printable ASCII characters without spaces', messageId);
  const published = message.publishTime ?? message.publish_time;
  return {
    ok: true,
    bytes,
    message: {
      messageId,
      data,
      attributes: attributes as Record<string, string>,
      ...(typeof published === 'string' ? { publishTime: published } : {}),
    },
  };
}
