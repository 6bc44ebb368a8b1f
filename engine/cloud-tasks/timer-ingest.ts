/**
 * The timer-ingest contract: the JSON body of every timer task Servo creates in Cloud Tasks, and
 * what the distributed timer-ingest worker does with it (docs/cloud-tasks.md). One module holds both
 * sides so the writer and the reader cannot drift apart.
 *
 * Body (camelCase, UTF-8 JSON, `Content-Type: application/json`):
 * `{ "timerId": string, "kind": TimerKind, "subjectId": string, "fireAt": ISO-8601 instant, "attempt"?: 1..100 }`.
 * Unknown fields are ignored, so a newer writer and an older reader (or the reverse) can overlap
 * during a rolling deploy.
 */
import { z } from 'zod';
import { ErrorCode, ServoError } from '../errors.js';
import { TimerKind } from '../model/events/timers.js';
import type { Timer, TimerHandler, TimerQueue } from '../timers/timer-queue.js';

/** Largest timer-ingest body accepted; real bodies are a few hundred bytes. */
export const MAX_TIMER_INGEST_BYTES = 16 * 1024;

/**
 * A delivery this much (or more) before its `fireAt` is a relay hop of a timer set more than Cloud
 * Tasks' 30-day horizon ahead (see `planTimerTask`), not the timer itself. Relay hops arrive at least
 * 28 days early; the timer's own task is never delivered before `fireAt` (up to clock skew).
 */
export const EARLY_DELIVERY_TOLERANCE_MS = 60 * 60 * 1000;

/** The wire form of a timer. */
export interface TimerIngestBody {
  timerId: string;
  kind: TimerKind;
  subjectId: string;
  /** ISO-8601 UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
  fireAt: string;
  attempt?: number;
}

const requiredOr =
  (message: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : message;

const idField = z
  .string({ error: requiredOr('must be a string') })
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const BodySchema = z.object(
  {
    timerId: idField,
    kind: z.enum(TimerKind.options, {
      error: requiredOr(`must be one of ${TimerKind.options.join(', ')}`),
    }),
    subjectId: idField,
    fireAt: z.iso.datetime({
      offset: true,
      error: requiredOr('must be an ISO-8601 instant with a time zone, e.g. 2026-01-01T00:00:00.000Z'),
    }),
    attempt: z
      .number({ error: requiredOr('must be a number') })
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100')
      .optional(),
  },
  { error: 'must be a JSON object' },
);

/** The body Servo sends for `timer`. */
export function timerIngestBody(timer: Timer): TimerIngestBody {
  const body: TimerIngestBody = {
    timerId: timer.timerId,
    kind: timer.kind,
    subjectId: timer.subjectId,
    fireAt: new Date(timer.fireAt).toISOString(),
  };
  if (timer.attempt !== undefined) body.attempt = timer.attempt;
  return body;
}

/**
 * Parses the raw request body of a timer-ingest request. Throws `INVALID_INPUT` (HTTP 400) naming
 * every bad field (`details.issues`), or `PAYLOAD_TOO_LARGE` (HTTP 413).
 */
export function parseTimerIngestBody(raw: string | Uint8Array): Timer {
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (bytes > MAX_TIMER_INGEST_BYTES) {
    throw new ServoError(
      ErrorCode.PayloadTooLarge,
      `timer-ingest body is ${bytes} bytes; at most ${MAX_TIMER_INGEST_BYTES} are accepted`,
      { details: { bytes, limit: MAX_TIMER_INGEST_BYTES } },
    );
  }
  const text =
    typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (text.trim() === '') throw rejected('timer-ingest body is empty; expected a JSON object', []);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw rejected(`timer-ingest body is not valid JSON: ${reason}`, []);
  }
  return timerFromIngestBody(value);
}

/** Validates an already-decoded timer-ingest body; errors as `parseTimerIngestBody`. */
export function timerFromIngestBody(body: unknown): Timer {
  const result = BodySchema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      field: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    const described = issues.map((issue) =>
      issue.field === '' ? issue.message : `${issue.field} ${issue.message}`,
    );
    throw rejected(`timer-ingest body rejected: ${described.join('; ')}`, issues);
  }
  const { timerId, kind, subjectId, fireAt, attempt } = result.data;
  const timer: Timer = { timerId, kind, subjectId, fireAt: Date.parse(fireAt) };
  if (attempt !== undefined) timer.attempt = attempt;
  return timer;
}

function rejected(message: string, issues: { field: string; message: string }[]): ServoError {
  return new ServoError(ErrorCode.InvalidInput, message, { details: { issues } });
}

export interface ReceiveTimerOptions {
  /** The worker's clock, epoch milliseconds. */
  now: number;
  /** The Cloud Tasks timer queue: an early delivery is scheduled again through it. */
  timerQueue: TimerQueue;
  /** The automation's timer handler (appends `TimerFired` and the handler's decision). */
  handler: TimerHandler;
}

/**
 * What the timer-ingest worker does with a parsed timer: a relay hop (delivered well before
 * `fireAt`) is scheduled again, which creates the next hop or the timer's own task; anything else
 * goes to the handler. Answer 2xx when this resolves and a non-2xx status when it throws, so that
 * Cloud Tasks retries; handlers are idempotent on `timerId`, so a redelivery changes nothing.
 */
export async function receiveTimer(
  timer: Timer,
  options: ReceiveTimerOptions,
): Promise<'handled' | 'relayed'> {
  if (timer.fireAt - options.now > EARLY_DELIVERY_TOLERANCE_MS) {
    await options.timerQueue.schedule(timer);
    return 'relayed';
  }
  await options.handler([timer]);
  return 'handled';
}
