/**
 * B8 — subscription fan-out (SPEC §9): 1,000 graphql-ws subscribers, change → all delivered p99
 * ≤ 200 ms.
 *
 * `workers/embedded.ts` runs as a child process on the real clock with the code location
 * `bench/fixtures/every-second.ts` (one schedule ticking every second; each run is one task of
 * instant work, so each second brings several changes of run status). This process opens
 * `BENCH_B8_SUBSCRIBERS` (default 1,000) WebSocket connections speaking the graphql-ws protocol
 * (`graphql-transport-ws`, kept minimal so the client side costs little) and subscribes each to
 * `runStatus` of every run. Once every subscriber has received something, `BENCH_B8_SECONDS`
 * (default 30) are measured. Afterwards the ledger is folded segment by segment to date each change
 * of a run's status; a change's fan-out latency is the time from that segment to the moment the
 * last of the subscribers received the status (or a later one).
 */
import { rm } from 'node:fs/promises';
import WebSocket from 'ws';
import { type Benchmark, judge, log } from './harness.js';
import { deliveryLatencies, type RunDelivery } from './run-deliveries.js';
import {
  benchDataDir,
  quantile,
  runStatusTimes,
  spawnServo,
  waitUntilGraphql,
  waitUntilServing,
} from './servo-process.js';

const SUBSCRIBERS = Number(process.env.BENCH_B8_SUBSCRIBERS ?? '1000');
const SECONDS = Number(process.env.BENCH_B8_SECONDS ?? '30');
const QUERY = 'subscription { runStatus { runId status } }';

const checks = [{ figure: 'fanOutP99Ms', op: '<=', bound: 200, text: '≤ 200' }] as const;

interface Subscriber {
  socket: WebSocket;
  deliveries: RunDelivery[];
}

/** A graphql-ws client reduced to what the benchmark needs: init, one subscription, pings. */
function subscribe(url: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const subscriber: Subscriber = { socket, deliveries: [] };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    socket.on('error', reject);
    socket.on('message', (data) => {
      const receivedAt = Date.now();
      const message = JSON.parse(String(data)) as {
        type: string;
        payload?: { data?: { runStatus?: { runId: string; status: string } } };
      };
      if (message.type === 'next') {
        const run = message.payload?.data?.runStatus;
        if (run !== undefined)
          subscriber.deliveries.push({ runId: run.runId, status: run.status, receivedAt });
      } else if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY } }));
        resolve(subscriber);
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      }
    });
  });
}

const benchmark: Benchmark = {
  id: 'B8',
  title: 'subscription fan-out',
  targets: `${SUBSCRIBERS} graphql-ws subscribers, change → all delivered p99 ≤ 200 ms`,
  units: {
    fanOutP50Ms: 'ms',
    fanOutP99Ms: 'ms',
    fanOutMaxMs: 'ms',
    firstDeliveryP50Ms: 'ms',
    subscribers: 'clients',
    changes: 'changes',
    changesNotDeliveredToAll: 'changes',
    deliveriesPerSec: 'msg/s',
  },
  checks: [...checks],
  async run() {
    const dataDir = await benchDataDir('b8');
    const servo = await spawnServo('workers/embedded.ts', {
      SERVO_DATA_DIR: dataDir,
      SERVO_CODE_LOCATIONS: JSON.stringify([{ module: 'bench/fixtures/every-second.ts' }]),
      BENCH_SCHEDULES: '1',
    });
    const subscribers: Subscriber[] = [];
    let measuredFrom = 0;
    let measuredUntil = 0;
    try {
      await waitUntilServing(servo, 60_000, 50);
      await waitUntilGraphql(servo, 60_000);
      const url = `${servo.url.replace('http', 'ws')}/graphql`;
      for (let opened = 0; opened < SUBSCRIBERS; opened += 100) {
        const batch = Array.from({ length: Math.min(100, SUBSCRIBERS - opened) }, () => subscribe(url));
        subscribers.push(...(await Promise.all(batch)));
      }
      log('B8', `${subscribers.length} subscribers connected; waiting until each has heard of a change…`);
      const deadline = Date.now() + 60_000;
      while (subscribers.some((subscriber) => subscriber.deliveries.length === 0) && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 100));
      }
      measuredFrom = Date.now() + 1000;
      log('B8', `measuring for ${SECONDS} s…`);
      await new Promise((done) => setTimeout(done, SECONDS * 1000 + 1000));
      measuredUntil = Date.now() - 1000;
    } finally {
      for (const subscriber of subscribers) subscriber.socket.terminate();
      await servo.stop();
    }

    const changes = new Map(
      [...(await runStatusTimes(dataDir))].filter(([, at]) => at >= measuredFrom && at <= measuredUntil),
    );
    await rm(dataDir, { recursive: true, force: true });
    const perSubscriber = subscribers.map((subscriber) =>
      deliveryLatencies(changes, subscriber.deliveries, measuredFrom),
    );
    const fanOut: number[] = [];
    const first: number[] = [];
    let notDeliveredToAll = 0;
    for (const change of changes.keys()) {
      const latencies = perSubscriber.map((latencies) => latencies.get(change));
      if (latencies.some((latency) => latency === undefined)) {
        notDeliveredToAll += 1;
        continue;
      }
      fanOut.push(Math.max(...(latencies as number[])));
      first.push(Math.min(...(latencies as number[])));
    }
    const delivered = subscribers.reduce(
      (sum, subscriber) =>
        sum +
        subscriber.deliveries.filter(
          (delivery) => delivery.receivedAt >= measuredFrom && delivery.receivedAt <= measuredUntil,
        ).length,
      0,
    );
    const figures = {
      fanOutP50Ms: quantile(fanOut, 0.5),
      fanOutP99Ms: quantile(fanOut, 0.99),
      fanOutMaxMs: quantile(fanOut, 1),
      firstDeliveryP50Ms: quantile(first, 0.5),
      subscribers: subscribers.length,
      changes: changes.size,
      changesNotDeliveredToAll: notDeliveredToAll,
      deliveriesPerSec: delivered / Math.max(1, (measuredUntil - measuredFrom) / 1000),
    };
    return { figures, met: judge(checks, figures) && notDeliveredToAll === 0 };
  },
};

export default benchmark;
