import type { CloudTasksClient } from '@google-cloud/tasks';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type DispatchEnvelope,
  DispatchEnvelope as EnvelopeSchema,
  TASK_PROTOCOL_VERSION,
} from '../code-location/task-protocol.js';
import { ErrorCode, isServoError, type ServoError } from '../errors.js';
import { attemptIdFor, dispatchIdFor, queueTaskName } from '../model/ids.js';
import { createCloudTasksDispatchQueue } from './cloud-tasks-dispatch-queue.js';
import { type FakeCloudTasksServer, startFakeCloudTasksServer } from './fake-cloud-tasks-server.js';
import {
  type ConnectionRecorder,
  type RecordingEndpoint,
  recordConnections,
  startRecordingEndpoint,
} from './loopback-harness.js';

const QUEUE = 'projects/servo-test/locations/europe-west1/queues/servo-dispatch';
const SECRETS: Record<string, string> = { etl: 'etl-code-server-secret', ml: 'ml-code-server-secret' };

let connections: ConnectionRecorder;
let fake: FakeCloudTasksServer;
let client: CloudTasksClient;
let codeServer: RecordingEndpoint;

beforeAll(async () => {
  connections = recordConnections();
  fake = await startFakeCloudTasksServer();
  client = fake.createClient();
  codeServer = await startRecordingEndpoint();
});

afterAll(async () => {
  await fake.close();
  await codeServer.close();
  connections.restore();
  for (const target of connections.targets) expect(target).toMatch(/^127\.0\.0\.1:\d+$/);
});

beforeEach(() => {
  fake.reset();
  codeServer.requests.length = 0;
  codeServer.answerWith(() => ({ status: 200, body: { accepted: true } }));
});

function envelope(overrides: Partial<DispatchEnvelope> = {}): DispatchEnvelope {
  const runId = 'run_abcdefghijklmnopqrstuvwxyz';
  const taskKey = overrides.taskKey ?? 'sales/orders[2026-01-14]';
  const attempt = overrides.attempt ?? 1;
  const dispatchId = dispatchIdFor(runId, taskKey, attempt);
  return EnvelopeSchema.parse({
    protocolVersion: TASK_PROTOCOL_VERSION,
    tenantId: 'acme',
    workspaceId: 'prod',
    codeLocation: 'etl',
    runId,
    runKey: 'sched:etl:daily:1768435200',
    taskKey,
    assetKey: 'sales/orders',
    partitionKeys: ['2026-01-14'],
    attempt,
    attemptId: attemptIdFor(dispatchId),
    dispatchId,
    heartbeatTimeoutSeconds: 120,
    tags: { team: 'sales' },
    callbackBaseUrl: 'https://servo.example.test',
    taskToken: 'token-0123456789abcdef',
    tokenExpiresAt: '2026-01-15T13:00:00.000Z',
    ...overrides,
  });
}

function dispatchQueue(options: { dispatchDeadlineSeconds?: number } = {}) {
  return createCloudTasksDispatchQueue({
    client,
    queuePath: QUEUE,
    targetUrlFor: (codeLocation) =>
      SECRETS[codeLocation] === undefined ? undefined : `${codeServer.baseUrl}/${codeLocation}/tasks/execute`,
    headersFor: (codeLocation) => ({ Authorization: `Bearer ${SECRETS[codeLocation] ?? ''}` }),
    ...options,
  });
}

describe('cloud tasks dispatch queue', () => {
  it("turns a dispatch into a task to the code location's /tasks/execute, with its Bearer secret and the envelope as body", async () => {
    const sent = envelope();
    const { externalId } = await dispatchQueue().enqueue(sent);

    expect(externalId).toBe(`${QUEUE}/tasks/${queueTaskName('d', sent.dispatchId)}`);
    const [task, ...others] = fake.tasks(QUEUE);
    expect(others).toEqual([]);
    expect(task?.name).toBe(externalId);
    expect(task?.url).toBe(`${codeServer.baseUrl}/etl/tasks/execute`);
    expect(task?.httpMethod).toBe('POST');
    expect(task?.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer etl-code-server-secret',
    });
    expect(task?.dispatchDeadlineSeconds).toBe(1800);
    expect(task?.oidc).toBeUndefined();
    expect(JSON.parse(task?.body.toString() ?? '')).toEqual(sent);
  });

  it('dedupes a repeated enqueue of the same attempt and returns the same external id', async () => {
    const sent = envelope();
    const first = await dispatchQueue().enqueue(sent);
    const second = await dispatchQueue().enqueue(sent);
    expect(second).toEqual(first);
    expect(fake.tasks(QUEUE)).toHaveLength(1);

    // Also once it has been delivered: the name stays taken for the dedupe window.
    await fake.deliverDue();
    expect(await dispatchQueue().enqueue(sent)).toEqual(first);
    expect(fake.tasks(QUEUE)).toEqual([]);
    expect(codeServer.requests).toHaveLength(1);
  });

  it('makes the next attempt of the same task a separate task', async () => {
    const first = await dispatchQueue().enqueue(envelope({ attempt: 1 }));
    const retry = await dispatchQueue().enqueue(envelope({ attempt: 2 }));
    expect(retry.externalId).not.toBe(first.externalId);
    expect(fake.tasks(QUEUE)).toHaveLength(2);
  });

  it('routes each code location to its own queue with queuePathFor', async () => {
    const perLocation = createCloudTasksDispatchQueue({
      client,
      queuePathFor: (codeLocation) =>
        `projects/servo-test/locations/europe-west1/queues/dispatch-${codeLocation}`,
      targetUrlFor: (codeLocation) => `${codeServer.baseUrl}/${codeLocation}/tasks/execute`,
      dispatchDeadlineSeconds: 300,
    });
    await perLocation.enqueue(envelope());
    await perLocation.enqueue(envelope({ codeLocation: 'ml' }));
    const queues = fake.tasks().map((task) => [task.queuePath, task.url, task.dispatchDeadlineSeconds]);
    expect(queues).toEqual(
      expect.arrayContaining([
        [
          'projects/servo-test/locations/europe-west1/queues/dispatch-etl',
          `${codeServer.baseUrl}/etl/tasks/execute`,
          300,
        ],
        [
          'projects/servo-test/locations/europe-west1/queues/dispatch-ml',
          `${codeServer.baseUrl}/ml/tasks/execute`,
          300,
        ],
      ]),
    );
  });

  it('maps a failed create to a retryable UNAVAILABLE carrying the cause', async () => {
    fake.failNextCalls(status.RESOURCE_EXHAUSTED, 1, 'Queue is full');
    const error = (await dispatchQueue()
      .enqueue(envelope())
      .catch((caught: unknown) => caught)) as ServoError;
    expect(isServoError(error, ErrorCode.Unavailable)).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/gRPC code 8.*Queue is full/);
    expect(error.cause).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
  });

  it('fails UNAVAILABLE without calling Cloud Tasks for a code location without a task endpoint', async () => {
    const error = await dispatchQueue()
      .enqueue(envelope({ codeLocation: 'unknown' }))
      .catch((caught: unknown) => caught);
    expect(isServoError(error, ErrorCode.Unavailable)).toBe(true);
    expect(fake.calls()).toEqual([]);
  });

  it('refuses an envelope larger than a Cloud Task can carry before calling Cloud Tasks', async () => {
    const partitionKeys = Array.from({ length: 2000 }, (_, index) => `${'p'.repeat(600)}-${index}`);
    const error = await dispatchQueue()
      .enqueue(envelope({ partitionKeys }))
      .catch((caught: unknown) => caught);
    expect(isServoError(error, ErrorCode.PayloadTooLarge)).toBe(true);
    expect(fake.calls()).toEqual([]);
  });

  it('refuses a dispatch deadline outside 15–1800 s, and a Bearer header together with OIDC', async () => {
    expect(() => dispatchQueue({ dispatchDeadlineSeconds: 3600 })).toThrow(/from 15 to 1800/);
    const withOidc = createCloudTasksDispatchQueue({
      client,
      queuePath: QUEUE,
      targetUrlFor: () => `${codeServer.baseUrl}/etl/tasks/execute`,
      headersFor: () => ({ Authorization: 'Bearer secret' }),
      oidc: { serviceAccountEmail: 'dispatch@servo-test.iam.gserviceaccount.com' },
    });
    const error = await withOidc.enqueue(envelope()).catch((caught: unknown) => caught);
    expect(isServoError(error, ErrorCode.Config)).toBe(true);
  });

  it('is delivered to the code location with its Bearer secret, as an envelope the code location can parse', async () => {
    const sent = envelope({ codeLocation: 'ml' });
    await dispatchQueue().enqueue(sent);
    expect(await fake.deliverDue()).toMatchObject([{ outcome: 'delivered', status: 200, attempts: 1 }]);

    const [request] = codeServer.requests;
    expect(request?.path).toBe('/ml/tasks/execute');
    expect(request?.headers.authorization).toBe('Bearer ml-code-server-secret');
    expect(request?.headers['x-cloudtasks-taskname']).toBe(queueTaskName('d', sent.dispatchId));
    expect(EnvelopeSchema.parse(JSON.parse(request?.body.toString() ?? ''))).toEqual(sent);
  });
});
