import type { CloudTasksClient } from '@google-cloud/tasks';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ErrorCode, isServoError, type ServoError } from '../errors.js';
import { queueTaskName, timerIdFor } from '../model/ids.js';
import type { Timer } from '../timers/timer-queue.js';
import { createCloudTasksTimerQueue, planTimerTask, RELAY_HOP_MS } from './cloud-tasks-timer-queue.js';
import { type FakeCloudTasksServer, startFakeCloudTasksServer } from './fake-cloud-tasks-server.js';
import {
  type ConnectionRecorder,
  type RecordingEndpoint,
  recordConnections,
  startRecordingEndpoint,
} from './loopback-harness.js';
import { parseTimerIngestBody, receiveTimer } from './timer-ingest.js';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.UTC(2026, 0, 15, 12, 0, 0);
const QUEUE = 'projects/servo-test/locations/europe-west1/queues/servo-timers';
const oidc = {
  serviceAccountEmail: 'tasks@servo-test.iam.gserviceaccount.com',
  audience: 'https://timers.servo.test',
};

let connections: ConnectionRecorder;
let clock: ManualClock;
let fake: FakeCloudTasksServer;
let client: CloudTasksClient;
let endpoint: RecordingEndpoint;
let ingestUrl: string;

beforeAll(async () => {
  connections = recordConnections();
  clock = new ManualClock(START);
  fake = await startFakeCloudTasksServer({ now: () => clock.now().getTime() });
  client = fake.createClient();
  endpoint = await startRecordingEndpoint();
  ingestUrl = `${endpoint.baseUrl}/internal/timers/fired`;
});

afterAll(async () => {
  await fake.close();
  await endpoint.close();
  connections.restore();
  // Every connection stayed on this machine: the client never looked for credentials or metadata.
  expect(connections.targets.length).toBeGreaterThan(0);
  for (const target of connections.targets) expect(target).toMatch(/^127\.0\.0\.1:\d+$/);
});

beforeEach(() => {
  clock = new ManualClock(START);
  fake.reset();
  endpoint.answerWith(() => ({ status: 200 }));
  endpoint.requests.length = 0;
});

function timerAt(fireAt: number, subjectId = 'etl:daily'): Timer {
  return {
    timerId: timerIdFor('schedule_tick', subjectId, fireAt),
    kind: 'schedule_tick',
    subjectId,
    fireAt,
  };
}

function queue(extra: { headers?: Record<string, string>; withOidc?: boolean } = {}) {
  return createCloudTasksTimerQueue({
    client,
    queuePath: QUEUE,
    targetUrl: ingestUrl,
    headers: extra.headers ?? { 'X-Servo-Timer-Secret': 'shh' },
    ...(extra.withOidc === false ? {} : { oidc }),
    clock,
  });
}

describe('cloud tasks timer queue', () => {
  it('turns a timer into one HTTP task named after its id, due at fireAt, with the timer-ingest body and headers', async () => {
    const timer: Timer = { ...timerAt(START + 90_500, 'run_1/extract'), kind: 'task_retry', attempt: 2 };
    await queue().schedule(timer);

    const [task, ...others] = fake.tasks(QUEUE);
    expect(others).toEqual([]);
    expect(task?.name).toBe(`${QUEUE}/tasks/${queueTaskName('t', timer.timerId)}`);
    expect(task?.scheduleTime).toBe(START + 90_500);
    expect(task?.url).toBe(ingestUrl);
    expect(task?.httpMethod).toBe('POST');
    expect(task?.headers).toEqual({ 'Content-Type': 'application/json', 'X-Servo-Timer-Secret': 'shh' });
    expect(task?.oidc).toEqual(oidc);
    expect(JSON.parse(task?.body.toString() ?? '')).toEqual({
      timerId: timer.timerId,
      kind: 'task_retry',
      subjectId: 'run_1/extract',
      fireAt: '2026-01-15T12:01:30.500Z',
      attempt: 2,
    });

    // The same task as the real client reads it back.
    const [read] = await client.getTask({ name: task?.name ?? '', responseView: 'FULL' });
    expect(Buffer.from(read.httpRequest?.body ?? '').toString()).toBe(task?.body.toString());
    expect(Number(read.scheduleTime?.seconds)).toBe(Math.floor((START + 90_500) / 1000));
    expect(read.scheduleTime?.nanos).toBe(500_000_000);
  });

  it('makes scheduling the same timer again a no-op, from this or another process', async () => {
    const timer = timerAt(START + 60_000);
    await queue().schedule(timer);
    await queue().schedule(timer);
    await queue({ headers: {} }).schedule(timer);

    expect(fake.tasks(QUEUE).map((task) => task.name)).toEqual([
      `${QUEUE}/tasks/${queueTaskName('t', timer.timerId)}`,
    ]);
    expect(fake.calls().filter((call) => call.method === 'CreateTask')).toHaveLength(3);
  });

  it('does not create a timer again after it fired, within the dedupe window', async () => {
    const timer = timerAt(START);
    await queue().schedule(timer);
    expect(await fake.deliverDue()).toMatchObject([{ outcome: 'delivered', attempts: 1 }]);

    await queue().schedule(timer);
    expect(fake.tasks(QUEUE)).toEqual([]);
  });

  it('maps every other failure to a retryable UNAVAILABLE carrying the cause, and a retry then succeeds', async () => {
    const timer = timerAt(START + 5 * 60_000);
    for (const code of [
      status.UNAVAILABLE,
      status.RESOURCE_EXHAUSTED,
      status.PERMISSION_DENIED,
      status.NOT_FOUND,
    ]) {
      fake.failNextCalls(code);
      const error = await queue()
        .schedule(timer)
        .catch((caught: unknown) => caught);
      expect(isServoError(error, ErrorCode.Unavailable)).toBe(true);
      expect((error as ServoError).retryable).toBe(true);
      expect((error as ServoError).details).toMatchObject({ grpcCode: code });
      expect((error as ServoError).cause).toMatchObject({ code });
    }
    expect(fake.tasks(QUEUE)).toEqual([]);

    await queue().schedule(timer);
    expect(fake.tasks(QUEUE)).toHaveLength(1);
  });

  it('is delivered to the timer-ingest endpoint, where the parser reads back the same timer', async () => {
    const timer = timerAt(START + 30_000);
    await queue().schedule(timer);
    expect(await fake.deliverDue({ now: START + 29_999 })).toEqual([]);

    const deliveries = await fake.deliverDue({ now: START + 30_000 });
    expect(deliveries).toMatchObject([{ outcome: 'delivered', status: 200 }]);
    const [request] = endpoint.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/internal/timers/fired');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-servo-timer-secret']).toBe('shh');
    expect(request?.headers['x-cloudtasks-taskname']).toBe(queueTaskName('t', timer.timerId));
    expect(request?.headers['x-cloudtasks-queuename']).toBe('servo-timers');
    const token = (request?.headers.authorization ?? '').replace(/^Bearer /, '');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ aud: oidc.audience, email: oidc.serviceAccountEmail });
    expect(parseTimerIngestBody(request?.body ?? Buffer.alloc(0))).toEqual(timer);
  });

  it('is redelivered while the endpoint fails, like Cloud Tasks retries', async () => {
    await queue({ withOidc: false }).schedule(timerAt(START));
    let calls = 0;
    endpoint.answerWith(() => {
      calls += 1;
      return { status: calls < 3 ? 503 : 204 };
    });

    expect(await fake.deliverDue()).toMatchObject([{ outcome: 'delivered', attempts: 3, status: 204 }]);
    expect(endpoint.requests.map((request) => request.headers['x-cloudtasks-taskretrycount'])).toEqual([
      '0',
      '1',
      '2',
    ]);
    expect(endpoint.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('carries a timer more than 29 days ahead as relay hops that reach the handler once, at fireAt', async () => {
    const fireAt = START + 75 * DAY;
    const timer = timerAt(fireAt, 'etl:quarterly');
    const timerQueue = queue();
    const handled: Timer[] = [];
    const outcomes: string[] = [];
    endpoint.answerWith(async (request) => {
      const outcome = await receiveTimer(parseTimerIngestBody(request.body), {
        now: clock.now().getTime(),
        timerQueue,
        handler: async (timers) => {
          handled.push(...timers);
        },
      });
      outcomes.push(outcome);
      return { status: 200, body: { outcome } };
    });

    await timerQueue.schedule(timer);
    expect(fake.tasks(QUEUE).map((task) => task.scheduleTime)).toEqual([fireAt - 2 * RELAY_HOP_MS]);

    for (let day = 1; day <= 80; day += 1) {
      clock.set(START + day * DAY);
      await fake.deliverDue();
    }
    expect(outcomes).toEqual(['relayed', 'relayed', 'handled']);
    expect(handled).toEqual([timer]);
    expect(fake.tasks(QUEUE)).toEqual([]);
  });

  it('refuses a misconfiguration up front with a CONFIG error', () => {
    const base = { client, queuePath: QUEUE, targetUrl: ingestUrl };
    const configError = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        return isServoError(error, ErrorCode.Config) ? error.message : `unexpected ${String(error)}`;
      }
      return 'accepted';
    };
    expect(configError(() => createCloudTasksTimerQueue({ ...base, queuePath: 'servo-timers' }))).toMatch(
      /queue path/,
    );
    expect(
      configError(() => createCloudTasksTimerQueue({ ...base, targetUrl: '/internal/timers/fired' })),
    ).toMatch(/absolute http\(s\) URL/);
    expect(
      configError(() =>
        createCloudTasksTimerQueue({ ...base, oidc, headers: { Authorization: 'Bearer x' } }),
      ),
    ).toMatch(/replaced by the OIDC token/);
    expect(
      configError(() => createCloudTasksTimerQueue({ ...base, headers: { 'X-CloudTasks-Foo': '1' } })),
    ).toMatch(/set or replaced by Cloud Tasks/);
    expect(configError(() => createCloudTasksTimerQueue({ ...base, dispatchDeadlineSeconds: 5 }))).toMatch(
      /from 15 to 1800/,
    );
    expect(
      configError(() => createCloudTasksTimerQueue({ ...base, headers: { Authorization: 'Bearer x' } })),
    ).toBe('accepted');
  });
});

describe('planning timer tasks', () => {
  it('gives a timer up to 29 days ahead its own task at fireAt, including timers already due', () => {
    for (const ahead of [-DAY, 0, DAY, 29 * DAY]) {
      const timer = timerAt(START + ahead);
      expect(planTimerTask(timer, START)).toEqual({
        taskId: queueTaskName('t', timer.timerId),
        scheduleTimeMs: START + ahead,
        hop: 0,
      });
    }
  });

  it('puts relay hops at fixed offsets before fireAt, so planners at different times agree', () => {
    const timer = timerAt(START + 200 * DAY);
    const plans = [0, 1, 2].map((daysLater) => planTimerTask(timer, START + daysLater * DAY));
    expect(new Set(plans.map((plan) => plan.taskId)).size).toBe(1);
    const plan = plans[0];
    expect(plan?.hop).toBe(7);
    expect(plan?.scheduleTimeMs).toBe(timer.fireAt - 7 * RELAY_HOP_MS);
    expect((plan?.scheduleTimeMs ?? 0) - START).toBeLessThanOrEqual(29 * DAY);
    expect(plan?.taskId).not.toBe(queueTaskName('t', timer.timerId));
  });

  it('plans the next hop, never the same one, when a relay arrives on time', () => {
    const timer = timerAt(START + 100 * DAY);
    let plan = planTimerTask(timer, START);
    const hops = [plan.hop];
    while (plan.hop > 0) {
      // Delivered a little late, or by a worker whose clock runs a few minutes fast.
      for (const skew of [-5 * 60_000, 0, 90_000])
        expect(planTimerTask(timer, plan.scheduleTimeMs + skew).hop).toBe(plan.hop - 1);
      plan = planTimerTask(timer, plan.scheduleTimeMs);
      hops.push(plan.hop);
    }
    expect(hops).toEqual([3, 2, 1, 0]);
  });
});
