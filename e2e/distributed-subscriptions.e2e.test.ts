import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, getJson, startWorkerAndApi, tempDir, waitFor } from './testkit/processes.js';
import { type HeldSubscription, subscribeOverSse, subscribeOverWebSocket } from './testkit/subscriptions.js';

/**
 * Distributed mode on one machine: an api process and a separate worker process (the `automation`
 * entrypoint: timers, reactors, compaction, the example code location) over one data directory, on
 * the real clock. Every tick and every step of the backfill below is made by the worker; the api
 * process runs no automation, so what its subscribers receive came to it through the ledger.
 */

const TICKS = `subscription Ticks {
  instigationTicks(selector: { repositoryName: "__repository__", repositoryLocationName: "sales", name: "every_15_seconds" }) {
    id
    status
    timestamp
    runIds
  }
}`;

const PROGRESS = `subscription Progress($backfillId: String!) {
  backfillProgress(backfillId: $backfillId) { id status }
}`;

const LAUNCH = `mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}`;

const RUNS = `subscription Runs {
  runStatus { runId status assetSelection { path } }
}`;

interface Tick {
  instigationTicks: { id: string; status: string; timestamp: number; runIds: string[] };
}
interface Progress {
  backfillProgress: { id: string; status: string };
}
interface RunUpdate {
  runStatus: { runId: string; status: string; assetSelection: { path: string[] }[] | null };
}

let apiUrl = '';
let workerUrl = '';
let diagnostics: () => string = () => '';
const held: HeldSubscription<unknown>[] = [];

beforeAll(async () => {
  const dataDir = await tempDir('distributed');
  const inbox = await tempDir('inbox');
  const shared = { SERVO_DATA_DIR: dataDir, SERVO_EXAMPLE_INBOX: inbox, SERVO_CLOCK: 'real' };
  ({ workerUrl, apiUrl, diagnostics } = await startWorkerAndApi(shared));
  // The worker deploys the example code location; the api learns of it from the ledger.
  await waitFor(
    'the example schedules to reach the api',
    async () => {
      const body = await graphql<{ scheduleOrError: { __typename: string } }>(
        `{ scheduleOrError(scheduleSelector: { repositoryName: "__repository__", repositoryLocationName: "sales", scheduleName: "every_15_seconds" }) { __typename } }`,
      );
      return body.data?.scheduleOrError.__typename === 'Schedule' ? true : undefined;
    },
    60_000,
    diagnostics,
  );
}, 150_000);

afterAll(async () => {
  for (const subscription of held.splice(0)) await subscription.close().catch(() => {});
  await disposeAll();
});

async function graphql<T>(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string }[] };
}

function hold<T>(subscription: HeldSubscription<T>): HeldSubscription<T> {
  held.push(subscription as HeldSubscription<unknown>);
  return subscription;
}

describe('subscriptions on the api process deliver what a separate worker process does', () => {
  it('streams the ticks of every_15_seconds to a graphql-ws client and an SSE client', async () => {
    const ws = hold(subscribeOverWebSocket<Tick>(apiUrl, TICKS));
    const sse = hold(subscribeOverSse<Tick>(apiUrl, TICKS));
    const successful = (delivery: { data?: Tick }) =>
      delivery.data?.instigationTicks.status === 'SUCCESS' &&
      delivery.data.instigationTicks.runIds.length === 1;
    // The schedule ticks every 15 s of real time; allow a few ticks on a loaded machine.
    const [overWs, overSse] = await Promise.all([
      ws.waitFor('a SUCCESS tick over graphql-ws', successful, 90_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${diagnostics()}`);
      }),
      sse.waitFor('a SUCCESS tick over SSE', successful, 90_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${diagnostics()}`);
      }),
    ]);
    for (const tick of [overWs.data?.instigationTicks, overSse.data?.instigationTicks]) {
      expect(tick?.id).toMatch(/^sales:every_15_seconds:\d+$/);
      expect(tick?.timestamp ?? 0).toBeGreaterThan(Date.now() / 1000 - 600);
    }
    // Both clients see the same ticks: each also gets the later of the two first ticks.
    const later = [overWs, overSse]
      .map((delivery) => delivery.data?.instigationTicks)
      .sort((a, b) => (b?.timestamp ?? 0) - (a?.timestamp ?? 0))[0];
    for (const subscription of [ws, sse]) {
      await subscription.waitFor(
        `tick ${later?.id} on both clients`,
        (delivery) => delivery.data?.instigationTicks.id === later?.id,
        30_000,
      );
    }
    // The api process appended none of it: it folded segments that another process wrote.
    const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
    expect(Number(/^servo_follower_segments_total\{[^}]*\} (\d+)$/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(
      0,
    );
  }, 150_000);

  it('streams the progress of a backfill the worker runs to both clients until it completes', async () => {
    const launched = await graphql<{
      launchPartitionBackfill: { __typename: string; backfillId?: string; message?: string };
    }>(LAUNCH, {
      params: {
        assetSelection: [{ path: ['sales', 'raw_orders'] }, { path: ['sales', 'cleaned_orders'] }],
        partitionNames: ['2026-11-01', '2026-11-02'],
        chunkSize: 1,
        title: 'distributed e2e',
        requestId: 'distributed-e2e-1',
      },
    });
    const backfillId = launched.data?.launchPartitionBackfill.backfillId;
    expect(launched.data?.launchPartitionBackfill.__typename, JSON.stringify(launched)).toBe(
      'LaunchBackfillSuccess',
    );
    const ws = hold(subscribeOverWebSocket<Progress>(apiUrl, PROGRESS, { backfillId }));
    const sse = hold(subscribeOverSse<Progress>(apiUrl, PROGRESS, { backfillId }));
    // COMPLETED_SUCCESS can only come from the worker: the api process runs no automation.
    const completed = (delivery: { data?: Progress }) =>
      delivery.data?.backfillProgress.status === 'COMPLETED_SUCCESS';
    await Promise.all(
      [ws, sse].map((subscription) =>
        subscription.waitFor('the backfill to complete', completed, 120_000).catch((error: Error) => {
          throw new Error(`${error.message}\n${diagnostics()}`);
        }),
      ),
    );
    for (const subscription of [ws, sse]) {
      expect(subscription.deliveries.every((delivery) => delivery.errors === undefined)).toBe(true);
      expect(
        subscription.deliveries.every((delivery) => delivery.data?.backfillProgress.id === backfillId),
      ).toBe(true);
    }
    // The runs of the backfill's two chunks were triggered and run by the worker.
    const health = await getJson<{ automation?: { backfills: Record<string, number> } }>(
      `${workerUrl}/healthz`,
    );
    expect(health.automation?.backfills.COMPLETED_SUCCESS).toBe(1);
  }, 150_000);

  it('turns a Pub/Sub push message to the worker into a run that runStatus subscribers of the api see', async () => {
    const runs = hold(subscribeOverWebSocket<RunUpdate>(apiUrl, RUNS));
    // The subscription is live once it delivers something (the scheduled runs change every 15 s).
    await runs.waitFor('the runStatus subscription to deliver', () => true, 90_000);
    const envelope = (data: string, messageId: string) =>
      JSON.stringify({
        message: { data, messageId, attributes: {}, publishTime: new Date().toISOString() },
        subscription: 'projects/servo-test/subscriptions/customer-signups',
      });
    const push = (body: string) =>
      fetch(`${workerUrl}/push/sales/customer_signups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const accepted = await push(
      envelope(Buffer.from('{"customer":"e2e-co"}').toString('base64'), 'e2e-signup-1'),
    );
    expect(accepted.status).toBe(200);
    const evaluation = (await accepted.json()) as { outcome: string; runKeys: string[] };
    expect(evaluation.outcome).toBe('evaluated');
    expect(evaluation.runKeys).toHaveLength(1);
    // A bad message is quarantined, not refused: Pub/Sub must not redeliver it for ever.
    const bad = await push(envelope('%%% not base64 %%%', 'e2e-signup-2'));
    expect(bad.status).toBe(202);
    expect(await bad.json()).toMatchObject({
      outcome: 'quarantined',
      reason: 'message.data is not valid base64',
    });
    // The run the message asked for, run by the worker, reaches the api's subscriber as it finishes.
    const finished = await runs
      .waitFor(
        'the push run to succeed',
        (delivery) =>
          delivery.data?.runStatus.status === 'SUCCESS' &&
          (delivery.data.runStatus.assetSelection ?? []).some(
            (key) => key.path.join('/') === 'sales/customer_profiles',
          ),
        90_000,
      )
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${diagnostics()}`);
      });
    expect(finished.data?.runStatus.runId).toMatch(/^run_/);
  }, 150_000);
});
