import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeCloudTask,
  type FakeCloudTasksServer,
  fakeIdToken,
  startFakeCloudTasksServer,
} from '../engine/cloud-tasks/fake-cloud-tasks-server.js';
import type { HealthReport } from '../server/health.js';
import {
  disposeAll,
  freePort,
  startProcess,
  tempDir,
  waitFor,
  waitUntilHealthy,
} from './testkit/processes.js';

/**
 * The Cloud Tasks path of distributed mode: a worker (the `automation` entrypoint) schedules its
 * timers as Cloud Tasks HTTP tasks through the real `@google-cloud/tasks` client, against a stand-in
 * of the Cloud Tasks API in this test; the stand-in delivers them to the worker's timer-ingest
 * endpoint, with the shared secret the worker put on the task. A second process, the `timer-ingest`
 * entrypoint in OIDC mode (GCP), checks Google-signed ID tokens against a key set this test
 * serves. Forged or missing credentials are refused with 401 and append nothing.
 */

const SECRET = 'e2e-worker-secret-0123456789';
const TASKS_ACCOUNT = 'servo-tasks@servo-test.iam.gserviceaccount.com';
const QUEUE = 'projects/servo-test/locations/europe-west1/queues/servo-timers';

let tasks: FakeCloudTasksServer;
let jwks: Server;
let google: Awaited<ReturnType<typeof generateKeyPair>>;
let workerUrl = '';
let oidcUrl = '';
let diagnostics: () => string = () => '';

beforeAll(async () => {
  tasks = await startFakeCloudTasksServer();
  google = await generateKeyPair('RS256');
  const key = { ...(await exportJWK(google.publicKey)), kid: 'e2e-google', alg: 'RS256', use: 'sig' };
  jwks = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [key] }));
  });
  await new Promise<void>((done) => jwks.listen(0, '127.0.0.1', done));

  const dataDir = await tempDir('cloud-tasks');
  const inbox = await tempDir('inbox');
  const [workerPort, oidcPort] = [await freePort(), await freePort()];
  workerUrl = `http://127.0.0.1:${workerPort}`;
  oidcUrl = `http://127.0.0.1:${oidcPort}`;
  const cloudTasks = {
    SERVO_DATA_DIR: dataDir,
    SERVO_EXAMPLE_INBOX: inbox,
    SERVO_CLOCK: 'real',
    SERVO_TIMERS: 'cloud-tasks',
    SERVO_CLOUD_TASKS_PROJECT: 'servo-test',
    SERVO_CLOUD_TASKS_LOCATION: 'europe-west1',
    SERVO_TIMER_QUEUE: 'servo-timers',
    SERVO_TIMER_INGEST_URL: `${workerUrl}/internal/timers/fired`,
    SERVO_CLOUD_TASKS_API_ENDPOINT: `127.0.0.1:${tasks.port}`,
    // The deployment's worker secret: the timer tasks either process creates carry it.
    SERVO_WORKER_SECRET: SECRET,
  };
  const worker = startProcess('workers/automation.ts', [], { ...cloudTasks, PORT: String(workerPort) });
  const oidc = startProcess('workers/timer-ingest.ts', [], {
    ...cloudTasks,
    PORT: String(oidcPort),
    // Tasks run in the worker only: this process records ticks, it runs no code.
    SERVO_CODE_LOCATIONS: '[]',
    SERVO_WORKER_AUTH: 'oidc',
    SERVO_OIDC_AUDIENCE: oidcUrl,
    SERVO_OIDC_SERVICE_ACCOUNTS: TASKS_ACCOUNT,
    SERVO_OIDC_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`,
  });
  diagnostics = () =>
    `--- worker ---\n${worker.output().slice(-3000)}\n--- oidc ---\n${oidc.output().slice(-3000)}`;
  await waitUntilHealthy([workerUrl, oidcUrl], diagnostics);
}, 120_000);

afterAll(async () => {
  await disposeAll();
  await tasks?.close();
  await new Promise<void>((done) => (jwks === undefined ? done() : jwks.close(() => done())));
});

/** The worker's health report (the secret lets the caller see the workspace's details). */
async function health(): Promise<HealthReport> {
  const response = await fetch(`${workerUrl}/healthz`, { headers: { 'x-servo-worker-secret': SECRET } });
  return (await response.json()) as HealthReport;
}

/** The next tick task of every_15_seconds the worker created in the stand-in, once there is one. */
function tickTask(after = 0): Promise<FakeCloudTask> {
  return waitFor(
    'a timer task for the next tick of every_15_seconds',
    async () =>
      tasks
        .tasks(QUEUE)
        .find(
          (task) =>
            task.body.toString().includes('"subjectId":"sales:every_15_seconds"') &&
            task.scheduleTime > after,
        ),
    60_000,
    diagnostics,
  );
}

/** Waits (real time) until the task is due. */
async function dueNow(task: FakeCloudTask): Promise<void> {
  await waitFor(
    'the task to fall due',
    async () => (Date.now() >= task.scheduleTime + 50 ? true : undefined),
    30_000,
  );
}

/** The ledger head, once no segment was added for a second (the worker is quiet until a timer is delivered). */
async function quietHead(): Promise<number> {
  let last = -1;
  let since = Date.now();
  return waitFor(
    'the ledger to be quiet',
    async () => {
      const seq = (await health()).ledgerHead.seq;
      if (seq !== last) {
        last = seq;
        since = Date.now();
        return undefined;
      }
      return Date.now() - since >= 1000 ? seq : undefined;
    },
    60_000,
    diagnostics,
  );
}

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/internal/timers/fired`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: new Uint8Array(body),
  });
}

async function idToken(claims: JWTPayload = {}): Promise<string> {
  const iat = Math.floor(Date.now() / 1000) - 10;
  return new SignJWT({
    iss: 'https://accounts.google.com',
    aud: oidcUrl,
    sub: '1234567890',
    email: TASKS_ACCOUNT,
    email_verified: true,
    iat,
    exp: iat + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'e2e-google' })
    .sign(google.privateKey);
}

describe('timer-ingest behind Cloud Tasks', () => {
  it('refuses forged and missing credentials with 401, appending nothing', async () => {
    const task = await tickTask();
    const head = await quietHead();
    const forged: Record<string, string>[] = [
      {},
      { 'x-servo-worker-secret': 'not-the-secret-0123456789' },
      { authorization: 'Bearer not-the-secret-0123456789' },
      {
        authorization: `Bearer ${fakeIdToken({ serviceAccountEmail: TASKS_ACCOUNT, audience: '' }, task.url, Date.now())}`,
      },
    ];
    for (const headers of forged) {
      const response = await post(workerUrl, task.body, headers);
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    // In OIDC mode: no token, an unsigned one, one for another audience, one signed by another key.
    const stranger = await generateKeyPair('RS256');
    const foreign = await new SignJWT({
      iss: 'https://accounts.google.com',
      aud: oidcUrl,
      email: TASKS_ACCOUNT,
      email_verified: true,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'e2e-google' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(stranger.privateKey);
    for (const authorization of [
      undefined,
      `Bearer ${fakeIdToken({ serviceAccountEmail: TASKS_ACCOUNT, audience: oidcUrl }, oidcUrl, Date.now())}`,
      `Bearer ${await idToken({ aud: workerUrl })}`,
      `Bearer ${foreign}`,
      `Bearer ${await idToken({ email: 'intruder@servo-test.iam.gserviceaccount.com' })}`,
    ]) {
      const response = await post(oidcUrl, task.body, authorization === undefined ? {} : { authorization });
      expect(response.status, authorization).toBe(401);
    }
    expect((await health()).ledgerHead.seq).toBe(head);
  }, 150_000);

  it('records the tick when the stand-in delivers the timer task the worker created', async () => {
    const task = await tickTask();
    expect(task.url).toBe(`${workerUrl}/internal/timers/fired`);
    expect(task.headers['x-servo-worker-secret']).toBe(SECRET);
    const before = (await health()).automation?.ticks.success ?? 0;
    await dueNow(task);
    const deliveries = await tasks.deliverDue({ now: Date.now() });
    const delivery = deliveries.find((candidate) => candidate.taskName === task.name);
    expect(delivery, JSON.stringify(deliveries)).toMatchObject({
      outcome: 'delivered',
      status: 200,
      attempts: 1,
    });
    // The handler appended the tick (and its run request) before answering 200.
    expect((await health()).automation?.ticks.success).toBe(before + 1);
    // Handling it scheduled the next tick's task.
    await tickTask(task.scheduleTime);
  }, 150_000);

  it('accepts a Google-signed ID token in OIDC mode, and a redelivery changes nothing', async () => {
    const task = await tickTask();
    await dueNow(task);
    const before = (await health()).automation?.ticks.success ?? 0;
    const response = await post(oidcUrl, task.body, { authorization: `Bearer ${await idToken()}` });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'handled' });
    await waitFor(
      'the worker to see the tick the OIDC process recorded',
      async () => (((await health()).automation?.ticks.success ?? 0) === before + 1 ? true : undefined),
      30_000,
      diagnostics,
    );
    // Cloud Tasks delivers the same timer to the worker: it is the same tick, recorded once.
    const deliveries = await tasks.deliverDue({ now: Date.now() });
    expect(deliveries.find((candidate) => candidate.taskName === task.name)).toMatchObject({ status: 200 });
    expect((await health()).automation?.ticks.success).toBe(before + 1);
  }, 150_000);
});
