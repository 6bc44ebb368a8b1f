import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TimerDomain } from '../engine/automation/context.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import { silentLogger } from '../engine/logging.js';
import { AutomationHarness } from '../engine/testing/automation-harness.js';
import type { Timer } from '../engine/timers/timer-queue.js';
import { createHttpServer, listen } from './http-server.js';
import { TIMER_INGEST_PATH, timerIngestRoute } from './timer-ingest-route.js';
import { createCallerVerifier, verifiedRoute, WORKER_SECRET_HEADER } from './worker-auth.js';

const SECRET = 'timer-ingest-secret-0123';
const handled: Timer[] = [];
const relayed: Timer[] = [];
let failNext: ServoError | undefined;
let harness: AutomationHarness;
let server: Server;
let url = '';

const recordingDomain: TimerDomain = {
  kinds: ['schedule_tick'],
  async handle(_context, timer) {
    if (failNext !== undefined) {
      const error = failNext;
      failNext = undefined;
      throw error;
    }
    handled.push(timer);
  },
  desiredTimers: () => [],
};

beforeAll(async () => {
  harness = await AutomationHarness.create({
    start: Date.UTC(2026, 10, 27, 12),
    domains: () => [recordingDomain],
  });
  server = createHttpServer(
    [
      verifiedRoute(
        createCallerVerifier({ mode: 'secret', secret: SECRET }),
        (path) => path === TIMER_INGEST_PATH,
        timerIngestRoute({
          automation: () => harness.automation,
          timerQueue: { schedule: async (timer) => void relayed.push(timer) },
          logger: silentLogger,
        }),
      ),
    ],
    () => {},
  );
  const address: AddressInfo = await listen(server, 0, '127.0.0.1');
  url = `http://127.0.0.1:${address.port}${TIMER_INGEST_PATH}`;
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

beforeEach(() => {
  handled.length = 0;
  relayed.length = 0;
});

function post(body: string, headers: Record<string, string> = { [WORKER_SECRET_HEADER]: SECRET }) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

const due = {
  timerId: 'timer:schedule_tick:sales:every_15_seconds:1795790445',
  kind: 'schedule_tick',
  subjectId: 'sales:every_15_seconds',
  fireAt: '2026-11-27T12:00:00.000Z',
};

describe('POST /internal/timers/fired', () => {
  it('hands a due timer to the automation and answers 200 once it is handled', async () => {
    const response = await post(JSON.stringify(due));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ timerId: due.timerId, outcome: 'handled' });
    expect(handled).toEqual([{ ...due, fireAt: Date.parse(due.fireAt) }]);
  });

  it('schedules a relay hop again instead of handling it', async () => {
    const far = {
      ...due,
      timerId: 'timer:schedule_tick:sales:monthly:1',
      fireAt: '2027-01-10T00:00:00.000Z',
    };
    const response = await post(JSON.stringify(far));
    expect(await response.json()).toMatchObject({ outcome: 'relayed' });
    expect(relayed.map((timer) => timer.timerId)).toEqual([far.timerId]);
    expect(handled).toEqual([]);
  });

  it('refuses a caller without the secret before reading the body', async () => {
    const response = await post(JSON.stringify(due), {});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(handled).toEqual([]);
  });

  it('answers 400 naming every bad field, and handles nothing', async () => {
    const response = await post(JSON.stringify({ kind: 'coffee_break', fireAt: 'tomorrow' }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(ErrorCode.InvalidInput);
    expect(body.error.message).toMatch(/timerId is required/);
    expect(body.error.message).toMatch(/kind must be one of/);
    expect(body.error.message).toMatch(/fireAt must be an ISO-8601 instant/);
    expect((await post('{not json')).status).toBe(400);
    expect(handled).toEqual([]);
  });

  it('answers 413 to a body over 16 KiB', async () => {
    const response = await post(JSON.stringify({ ...due, padding: 'x'.repeat(20_000) }));
    expect(response.status).toBe(413);
  });

  it('answers 503 when handling fails in a way worth retrying, so Cloud Tasks retries', async () => {
    failNext = new ServoError(ErrorCode.Unavailable, 'storage is unavailable');
    const response = await post(JSON.stringify(due));
    expect(response.status).toBe(503);
  });

  it('answers 405 to other methods', async () => {
    const response = await fetch(url, { headers: { [WORKER_SECRET_HEADER]: SECRET } });
    expect(response.status).toBe(405);
  });
});
