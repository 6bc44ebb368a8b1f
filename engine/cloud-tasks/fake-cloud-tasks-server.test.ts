import type { CloudTasksClient } from '@google-cloud/tasks';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCloudTasksServer, startFakeCloudTasksServer } from './fake-cloud-tasks-server.js';
import { type RecordingEndpoint, startRecordingEndpoint } from './loopback-harness.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 24 * 60 * 60 * 1000;
const QUEUE = 'projects/servo-test/locations/us-central1/queues/fake';

let now = NOW;
let fake: FakeCloudTasksServer;
let client: CloudTasksClient;
let endpoint: RecordingEndpoint;

beforeAll(async () => {
  fake = await startFakeCloudTasksServer({ now: () => now });
  client = fake.createClient();
  endpoint = await startRecordingEndpoint();
});

afterAll(async () => {
  await fake.close();
  await endpoint.close();
});

beforeEach(() => {
  now = NOW;
  fake.reset();
  endpoint.requests.length = 0;
  endpoint.answerWith(() => ({ status: 200 }));
});

function httpTask(id: string | undefined, scheduleTimeMs?: number) {
  return {
    ...(id === undefined ? {} : { name: `${QUEUE}/tasks/${id}` }),
    httpRequest: { url: `${endpoint.baseUrl}/hook`, body: Buffer.from(`{"id":"${id ?? ''}"}`) },
    ...(scheduleTimeMs === undefined ? {} : { scheduleTime: { seconds: Math.floor(scheduleTimeMs / 1000) } }),
  };
}

async function grpcCode(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => 'ok',
    (error: { code?: unknown }) => error.code,
  );
}

describe('fake cloud tasks server', () => {
  it('answers a duplicate name with ALREADY_EXISTS, also for an hour after the task ran or was deleted', async () => {
    await client.createTask({ parent: QUEUE, task: httpTask('a') });
    expect(await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('a') }))).toBe(
      status.ALREADY_EXISTS,
    );

    await client.createTask({ parent: QUEUE, task: httpTask('b') });
    await client.deleteTask({ name: `${QUEUE}/tasks/b` });
    expect(await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('b') }))).toBe(
      status.ALREADY_EXISTS,
    );
    now += 61 * 60 * 1000;
    expect(await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('b') }))).toBe('ok');
  });

  it('generates a name when none is given, and sets a past or missing schedule time to now', async () => {
    const [created] = await client.createTask({ parent: QUEUE, task: httpTask(undefined, NOW - DAY) });
    expect(created.name).toMatch(new RegExp(`^${QUEUE}/tasks/\\d+$`));
    expect(Number(created.scheduleTime?.seconds)).toBe(NOW / 1000);
  });

  it('rejects what Cloud Tasks rejects: schedule times over 30 days ahead, bad names, bad deadlines, non-HTTP URLs', async () => {
    const invalid = [
      httpTask('far', NOW + 30 * DAY + 1000),
      { ...httpTask('x'), name: 'projects/other/locations/l/queues/q/tasks/x' },
      { ...httpTask('x'), name: `${QUEUE}/tasks/has:colon` },
      { ...httpTask('x'), dispatchDeadline: { seconds: 3600 } },
      { ...httpTask('x'), httpRequest: { url: 'ftp://example/x' } },
      {
        ...httpTask('x'),
        httpRequest: { url: `${endpoint.baseUrl}/hook`, httpMethod: 'GET' as const, body: Buffer.from('x') },
      },
    ];
    for (const task of invalid)
      expect(await grpcCode(client.createTask({ parent: QUEUE, task }))).toBe(status.INVALID_ARGUMENT);
    expect(await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('edge', NOW + 30 * DAY) }))).toBe(
      'ok',
    );
  });

  it('gets, lists page by page, and deletes tasks; the BASIC view leaves out the body', async () => {
    for (const id of ['c', 'a', 'b']) await client.createTask({ parent: QUEUE, task: httpTask(id) });
    const [basic] = await client.getTask({ name: `${QUEUE}/tasks/a` });
    expect(basic.httpRequest?.url).toBe(`${endpoint.baseUrl}/hook`);
    expect(basic.httpRequest?.body?.length ?? 0).toBe(0);
    const [full] = await client.getTask({ name: `${QUEUE}/tasks/a`, responseView: 'FULL' });
    expect(Buffer.from(full.httpRequest?.body ?? '').toString()).toBe('{"id":"a"}');

    const [firstPage, , firstResponse] = await client.listTasks(
      { parent: QUEUE, pageSize: 2 },
      { autoPaginate: false },
    );
    expect(firstPage.map((task) => task.name?.split('/').pop())).toEqual(['a', 'b']);
    const [secondPage] = await client.listTasks(
      { parent: QUEUE, pageSize: 2, pageToken: firstResponse?.nextPageToken ?? '' },
      { autoPaginate: false },
    );
    expect(secondPage.map((task) => task.name?.split('/').pop())).toEqual(['c']);
    const [all] = await client.listTasks({ parent: QUEUE });
    expect(all).toHaveLength(3);

    await client.deleteTask({ name: `${QUEUE}/tasks/b` });
    expect(await grpcCode(client.getTask({ name: `${QUEUE}/tasks/b` }))).toBe(status.NOT_FOUND);
    expect(await grpcCode(client.deleteTask({ name: `${QUEUE}/tasks/b` }))).toBe(status.NOT_FOUND);
  });

  it('answers UNIMPLEMENTED for the RPCs it does not implement', async () => {
    expect(await grpcCode(client.getQueue({ name: QUEUE }))).toBe(status.UNIMPLEMENTED);
  });

  it('fails the next calls with an injected status, then recovers', async () => {
    fake.failNextCalls(status.UNAVAILABLE, 1);
    expect(await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('a') }))).toBe(
      status.UNAVAILABLE,
    );
    expect(await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('a') }))).toBe('ok');
    // GetTask is idempotent: the client itself retries UNAVAILABLE (CreateTask it does not).
    fake.failNextCalls(status.UNAVAILABLE, 1);
    expect(await grpcCode(client.getTask({ name: `${QUEUE}/tasks/a` }))).toBe('ok');
    expect(fake.calls().map((call) => call.method)).toEqual([
      'CreateTask',
      'CreateTask',
      'GetTask',
      'GetTask',
    ]);
  });

  it('receives no credentials from the client: it never looked for any', async () => {
    await client.createTask({ parent: QUEUE, task: httpTask('a') });
    const [call] = fake.calls();
    expect(call?.method).toBe('CreateTask');
    expect(call?.metadata.authorization).toBeUndefined();
    expect(call?.metadata['x-goog-request-params']).toContain(encodeURIComponent(QUEUE));
  });

  it('delivers due tasks in schedule order and leaves later ones', async () => {
    await client.createTask({ parent: QUEUE, task: httpTask('later', NOW + 2000) });
    await client.createTask({ parent: QUEUE, task: httpTask('second', NOW + 1000) });
    await client.createTask({ parent: QUEUE, task: httpTask('first', NOW) });
    const delivered = await fake.deliverDue({ now: NOW + 1000 });
    expect(delivered.map((delivery) => delivery.taskName.split('/').pop())).toEqual(['first', 'second']);
    expect(endpoint.requests.map((request) => request.body.toString())).toEqual([
      '{"id":"first"}',
      '{"id":"second"}',
    ]);
    expect(fake.tasks(QUEUE).map((task) => task.taskId)).toEqual(['later']);
    expect(endpoint.requests[0]?.headers['x-cloudtasks-tasketa']).toBe((NOW / 1000).toFixed(3));
  });

  it('drops a task once its attempts are exhausted, and keeps its name taken', async () => {
    endpoint.answerWith(() => ({ status: 500 }));
    await client.createTask({ parent: QUEUE, task: httpTask('doomed') });
    expect(await fake.deliverDue({ maxAttempts: 3 })).toMatchObject([
      { outcome: 'dropped', attempts: 3, status: 500 },
    ]);
    expect(endpoint.requests).toHaveLength(3);
    expect(fake.tasks(QUEUE)).toEqual([]);
    expect(await grpcCode(client.createTask({ parent: QUEUE, task: httpTask('doomed') }))).toBe(
      status.ALREADY_EXISTS,
    );
  });

  it('refuses to deliver anywhere but loopback', async () => {
    await client.createTask({
      parent: QUEUE,
      task: { name: `${QUEUE}/tasks/remote`, httpRequest: { url: 'https://servo.example.test/hook' } },
    });
    await expect(fake.deliverDue()).rejects.toThrow(/loopback addresses only/);
  });
});
