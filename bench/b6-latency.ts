/**
 * B6 — latency of embedded mode over real HTTP (SPEC §9): tick due → `RunRequested` p95 ≤ 100 ms;
 * `RunRequested` → `RunTriggered` p95 ≤ 200 ms; change → graphql-ws client p95 ≤ 250 ms.
 *
 * `npm start`'s entrypoint (`workers/embedded.ts`) runs as a child process on the real clock, on a
 * temporary data directory, with the code location `bench/fixtures/every-second.ts`: three
 * schedules ticking every second, each run one task of instant work. A graphql-ws client in this
 * process (`createClient` from graphql-ws over `ws`) subscribes to `runStatus` for every run. After
 * `BENCH_B6_SECONDS` (default 40) of ticking the server is stopped and the ledger read back:
 *
 * - `tickToRunRequested…`: for each cron tick, the time in the id of its `RunRequested` event (the
 *   appending process's clock when it decided) minus the tick's due time.
 * - `requestedToTriggered…`: the time of each run's `RunTriggered` event minus its `RunRequested`.
 * - `changeToClient…`: for each change of a run's status (folding the ledger segment by segment
 *   gives the segment that made it), the time the client received that status (or a later one)
 *   minus the segment's time.
 *
 * The first `WARM_UP_MS` of ticking is left out (module loading, the first compactions).
 *
 * `distributedChangeToClient…` (diagnostic, no target): the same measure in distributed mode — an
 * api process and a separate worker process (`workers/automation.ts`) on one local data directory
 * for `BENCH_B6_DISTRIBUTED_SECONDS` (default 20); every change is made by the worker and reaches
 * the api's subscriber through the api's ledger follower.
 */
import { rm } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ulidTime } from '../engine/model/ulid.js';
import { type Benchmark, judge, log } from './harness.js';
import { deliveryLatencies, type RunDelivery } from './run-deliveries.js';
import {
  benchDataDir,
  quantile,
  readLedger,
  runStatusTimes,
  spawnServo,
  waitUntilGraphql,
  waitUntilServing,
} from './servo-process.js';

const SECONDS = Number(process.env.BENCH_B6_SECONDS ?? '40');
const SCHEDULES = 3;
const WARM_UP_MS = 5000;
const DISTRIBUTED_SECONDS = Number(process.env.BENCH_B6_DISTRIBUTED_SECONDS ?? '20');

const checks = [
  { figure: 'tickToRunRequestedP95Ms', op: '<=', bound: 100, text: '≤ 100' },
  { figure: 'requestedToTriggeredP95Ms', op: '<=', bound: 200, text: '≤ 200' },
  { figure: 'changeToClientP95Ms', op: '<=', bound: 250, text: '≤ 250' },
] as const;

/** Every `runStatus` result a graphql-ws client receives from `baseUrl` during `durationMs`. */
async function watchRuns(baseUrl: string, durationMs: number): Promise<RunDelivery[]> {
  const deliveries: RunDelivery[] = [];
  const client = createClient({ url: `${baseUrl.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket });
  const unsubscribe = client.subscribe<{ runStatus: { runId: string; status: string } }>(
    { query: 'subscription { runStatus { runId status } }' },
    {
      next: (result) => {
        const run = result.data?.runStatus;
        if (run !== undefined)
          deliveries.push({ runId: run.runId, status: run.status, receivedAt: Date.now() });
      },
      error: (error) => log('B6', `subscription failed: ${JSON.stringify(error)}`),
      complete: () => {},
    },
  );
  await new Promise((done) => setTimeout(done, durationMs));
  unsubscribe();
  await client.dispose();
  return deliveries;
}

/**
 * Diagnostic (no target): the same client on the api process of distributed mode, while a separate
 * worker process (the `automation` entrypoint) on the same local data directory makes every
 * change, which reaches the api through its ledger follower.
 */
async function distributedChangeToClient(): Promise<number[]> {
  const dataDir = await benchDataDir('b6-distributed');
  const env = {
    SERVO_DATA_DIR: dataDir,
    SERVO_CODE_LOCATIONS: JSON.stringify([{ module: 'bench/fixtures/every-second.ts' }]),
    BENCH_SCHEDULES: String(SCHEDULES),
  };
  const worker = await spawnServo('workers/automation.ts', env);
  const api = await spawnServo('workers/api.ts', env);
  let deliveries: RunDelivery[] = [];
  let measuredFrom = 0;
  try {
    await waitUntilServing(worker, 60_000, 50);
    await waitUntilGraphql(api, 60_000);
    log('B6', `distributed mode: api and worker processes for ${DISTRIBUTED_SECONDS} s…`);
    measuredFrom = Date.now() + WARM_UP_MS;
    deliveries = await watchRuns(api.url, DISTRIBUTED_SECONDS * 1000 + WARM_UP_MS);
  } finally {
    await api.stop();
    await worker.stop();
  }
  const measuredUntil = Date.now() - 2000;
  const changes = new Map(
    [...(await runStatusTimes(dataDir))].filter(([, at]) => at >= measuredFrom && at <= measuredUntil),
  );
  await rm(dataDir, { recursive: true, force: true });
  return [...deliveryLatencies(changes, deliveries, measuredFrom).values()];
}

const benchmark: Benchmark = {
  id: 'B6',
  title: 'latency, embedded, real HTTP',
  targets:
    'tick due → RunRequested p95 ≤ 100 ms; RunRequested → RunTriggered p95 ≤ 200 ms; change → graphql-ws client p95 ≤ 250 ms',
  units: {
    tickToRunRequestedP50Ms: 'ms',
    tickToRunRequestedP95Ms: 'ms',
    tickToRunRequestedMaxMs: 'ms',
    ticks: 'ticks',
    requestedToTriggeredP50Ms: 'ms',
    requestedToTriggeredP95Ms: 'ms',
    requestedToTriggeredMaxMs: 'ms',
    runs: 'runs',
    changeToClientP50Ms: 'ms',
    changeToClientP95Ms: 'ms',
    changeToClientMaxMs: 'ms',
    changes: 'changes',
    changesNotDelivered: 'changes',
    distributedChangeToClientP50Ms: 'ms',
    distributedChangeToClientP95Ms: 'ms',
    distributedChangeToClientMaxMs: 'ms',
  },
  checks: [...checks],
  async run() {
    const dataDir = await benchDataDir('b6');
    const servo = await spawnServo('workers/embedded.ts', {
      SERVO_DATA_DIR: dataDir,
      SERVO_CODE_LOCATIONS: JSON.stringify([{ module: 'bench/fixtures/every-second.ts' }]),
      BENCH_SCHEDULES: String(SCHEDULES),
    });
    let deliveries: RunDelivery[] = [];
    let measuredFrom = 0;
    try {
      await waitUntilServing(servo, 60_000, 50);
      await waitUntilGraphql(servo, 60_000);
      log('B6', `${SCHEDULES} schedules ticking every second for ${SECONDS} s…`);
      measuredFrom = Date.now() + WARM_UP_MS;
      deliveries = await watchRuns(servo.url, SECONDS * 1000 + WARM_UP_MS);
    } finally {
      await servo.stop();
    }
    const measuredUntil = Date.now() - 2000;

    const segments = await readLedger(dataDir);
    const requestedAt = new Map<string, number>();
    const triggeredAt = new Map<string, number>();
    const tickLatencies: number[] = [];
    const dueByRunKey = new Map<string, number>();
    for (const segment of segments) {
      for (const event of segment.events) {
        const payload = event.payload as Record<string, unknown>;
        if (
          event.type === 'schedule.ticked.v1' &&
          payload.trigger === 'cron' &&
          payload.status === 'SUCCESS'
        ) {
          for (const runKey of payload.runKeys as string[])
            dueByRunKey.set(runKey, Date.parse(String(payload.scheduledFor)));
        } else if (event.type === 'run.requested.v1') {
          requestedAt.set(String(payload.runKey), ulidTime(event.eventId));
        } else if (event.type === 'run.triggered.v1') {
          triggeredAt.set(String(payload.runKey), ulidTime(event.eventId));
        }
      }
    }
    for (const [runKey, due] of dueByRunKey) {
      const requested = requestedAt.get(runKey);
      if (requested !== undefined && due >= measuredFrom && due <= measuredUntil)
        tickLatencies.push(requested - due);
    }
    const triggerLatencies: number[] = [];
    for (const [runKey, requested] of requestedAt) {
      const triggered = triggeredAt.get(runKey);
      if (triggered !== undefined && requested >= measuredFrom && requested <= measuredUntil)
        triggerLatencies.push(triggered - requested);
    }
    const changes = new Map(
      [...(await runStatusTimes(dataDir))].filter(([, at]) => at >= measuredFrom && at <= measuredUntil),
    );
    const clientLatencies = [...deliveryLatencies(changes, deliveries, measuredFrom).values()];
    await rm(dataDir, { recursive: true, force: true });
    const distributed = await distributedChangeToClient();

    const figures = {
      tickToRunRequestedP50Ms: quantile(tickLatencies, 0.5),
      tickToRunRequestedP95Ms: quantile(tickLatencies, 0.95),
      tickToRunRequestedMaxMs: quantile(tickLatencies, 1),
      ticks: tickLatencies.length,
      requestedToTriggeredP50Ms: quantile(triggerLatencies, 0.5),
      requestedToTriggeredP95Ms: quantile(triggerLatencies, 0.95),
      requestedToTriggeredMaxMs: quantile(triggerLatencies, 1),
      runs: triggerLatencies.length,
      changeToClientP50Ms: quantile(clientLatencies, 0.5),
      changeToClientP95Ms: quantile(clientLatencies, 0.95),
      changeToClientMaxMs: quantile(clientLatencies, 1),
      changes: changes.size,
      changesNotDelivered: changes.size - clientLatencies.length,
      distributedChangeToClientP50Ms: quantile(distributed, 0.5),
      distributedChangeToClientP95Ms: quantile(distributed, 0.95),
      distributedChangeToClientMaxMs: quantile(distributed, 1),
    };
    return { figures, met: judge(checks, figures) && figures.changesNotDelivered === 0 };
  },
};

export default benchmark;
