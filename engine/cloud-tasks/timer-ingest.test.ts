import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError, type ServoError } from '../errors.js';
import { timerIdFor } from '../model/ids.js';
import type { Timer, TimerQueue } from '../timers/timer-queue.js';
import {
  EARLY_DELIVERY_TOLERANCE_MS,
  MAX_TIMER_INGEST_BYTES,
  parseTimerIngestBody,
  receiveTimer,
  timerFromIngestBody,
  timerIngestBody,
} from './timer-ingest.js';

const FIRE_AT = Date.UTC(2026, 0, 15, 12, 0, 0, 250);
const timer: Timer = {
  timerId: timerIdFor('heartbeat_check', 'run_1/extract', FIRE_AT, 3),
  kind: 'heartbeat_check',
  subjectId: 'run_1/extract',
  fireAt: FIRE_AT,
  attempt: 3,
};
const valid = {
  timerId: timer.timerId,
  kind: 'heartbeat_check',
  subjectId: 'run_1/extract',
  fireAt: '2026-01-15T12:00:00.250Z',
  attempt: 3,
};

function rejection(raw: string | Uint8Array): ServoError {
  try {
    parseTimerIngestBody(raw);
  } catch (error) {
    if (isServoError(error)) return error;
    throw error;
  }
  throw new Error(`accepted ${String(raw)}`);
}

describe('timer-ingest body', () => {
  it('round-trips a timer through its JSON body, with or without an attempt', () => {
    expect(timerIngestBody(timer)).toEqual(valid);
    expect(parseTimerIngestBody(JSON.stringify(timerIngestBody(timer)))).toEqual(timer);
    const { attempt: _attempt, ...withoutAttempt } = timer;
    expect(parseTimerIngestBody(Buffer.from(JSON.stringify(timerIngestBody(withoutAttempt))))).toEqual(
      withoutAttempt,
    );
  });

  it('accepts a fireAt with an offset and ignores fields it does not know', () => {
    const parsed = parseTimerIngestBody(
      JSON.stringify({ ...valid, fireAt: '2026-01-15T13:00:00.250+01:00', addedLater: true }),
    );
    expect(parsed).toEqual(timer);
  });

  it('rejects an empty body, a body that is not JSON, and JSON that is not an object', () => {
    expect(rejection('')).toMatchObject({ code: ErrorCode.InvalidInput, message: /body is empty/ });
    expect(rejection('{"timerId":')).toMatchObject({
      code: ErrorCode.InvalidInput,
      message: /not valid JSON/,
    });
    expect(rejection('[1, 2]').message).toBe('timer-ingest body rejected: must be a JSON object');
    expect(rejection('null').message).toBe('timer-ingest body rejected: must be a JSON object');
  });

  it('names every missing field', () => {
    const error = rejection('{}');
    expect(error.message).toBe(
      'timer-ingest body rejected: timerId is required; kind is required; subjectId is required; fireAt is required',
    );
    expect(error.details.issues).toEqual([
      { field: 'timerId', message: 'is required' },
      { field: 'kind', message: 'is required' },
      { field: 'subjectId', message: 'is required' },
      { field: 'fireAt', message: 'is required' },
    ]);
  });

  it('says what is wrong with each malformed field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ timerId: '' }, 'timerId must not be empty'],
      [{ timerId: 42 }, 'timerId must be a string'],
      [{ timerId: 'has space' }, 'timerId must be printable ASCII without spaces'],
      [{ timerId: 'x'.repeat(513) }, 'timerId must be at most 512 characters'],
      [{ kind: 'cron' }, 'kind must be one of schedule_tick, sensor_poll'],
      [{ subjectId: null }, 'subjectId must be a string'],
      [{ fireAt: '2026-01-15' }, 'fireAt must be an ISO-8601 instant with a time zone'],
      [{ fireAt: 1768478400000 }, 'fireAt must be an ISO-8601 instant with a time zone'],
      [{ fireAt: '2026-01-15T12:00:00' }, 'fireAt must be an ISO-8601 instant with a time zone'],
      [{ attempt: 0 }, 'attempt must be at least 1'],
      [{ attempt: 101 }, 'attempt must be at most 100'],
      [{ attempt: 1.5 }, 'attempt must be an integer'],
      [{ attempt: '2' }, 'attempt must be a number'],
    ];
    for (const [change, message] of cases) {
      const error = rejection(JSON.stringify({ ...valid, ...change }));
      expect(error.code).toBe(ErrorCode.InvalidInput);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(message);
    }
  });

  it('rejects a body over the size limit as PAYLOAD_TOO_LARGE without parsing it', () => {
    const error = rejection(JSON.stringify({ ...valid, padding: 'x'.repeat(MAX_TIMER_INGEST_BYTES) }));
    expect(error.code).toBe(ErrorCode.PayloadTooLarge);
  });

  it('validates an already decoded body the same way', () => {
    expect(timerFromIngestBody(valid)).toEqual(timer);
    expect(() => timerFromIngestBody({ ...valid, kind: undefined })).toThrow(/kind is required/);
  });
});

describe('receiving a timer', () => {
  function recorder() {
    const scheduled: Timer[] = [];
    const handled: Timer[] = [];
    const timerQueue: TimerQueue = {
      schedule: async (next) => {
        scheduled.push(next);
      },
    };
    const handler = async (timers: Timer[]) => {
      handled.push(...timers);
    };
    return { scheduled, handled, timerQueue, handler };
  }

  it('hands a due timer to the handler, also when it arrives late or a little early', async () => {
    for (const now of [FIRE_AT, FIRE_AT + 3_600_000, FIRE_AT - EARLY_DELIVERY_TOLERANCE_MS]) {
      const { scheduled, handled, timerQueue, handler } = recorder();
      expect(await receiveTimer(timer, { now, timerQueue, handler })).toBe('handled');
      expect(handled).toEqual([timer]);
      expect(scheduled).toEqual([]);
    }
  });

  it('schedules a relayed timer again instead of handling it early', async () => {
    const { scheduled, handled, timerQueue, handler } = recorder();
    const now = FIRE_AT - 28 * 24 * 3_600_000;
    expect(await receiveTimer(timer, { now, timerQueue, handler })).toBe('relayed');
    expect(scheduled).toEqual([timer]);
    expect(handled).toEqual([]);
  });

  it('lets a handler failure through, so the endpoint answers non-2xx and Cloud Tasks retries', async () => {
    const { timerQueue } = recorder();
    const failing = async () => {
      throw new Error('ledger unavailable');
    };
    await expect(receiveTimer(timer, { now: FIRE_AT, timerQueue, handler: failing })).rejects.toThrow(
      'ledger unavailable',
    );
  });
});
