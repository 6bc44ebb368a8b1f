import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsFakeServer, startGcsFakeServer } from '../engine/storage/gcs-fake-server.js';
import type { HealthReport } from '../server/health.js';
import { disposeAll, getJson, startWorkerAndApi, tempDir, waitFor } from './testkit/processes.js';
import { subscribeOverWebSocket } from './testkit/subscriptions.js';

/**
 * Distributed mode on Cloud Storage: a worker process and an api process whose only shared state is
 * a bucket, served here by a stand-in of the Cloud Storage JSON API that the real
 * `@google-cloud/storage` client in each process talks to. Nothing watches a bucket, so the api
 * learns of the worker's appends by polling the ledger.
 */

let gcs: GcsFakeServer;
let apiUrl = '';
let workerUrl = '';
let diagnostics: () => string = () => '';

beforeAll(async () => {
  gcs = await startGcsFakeServer();
  const inbox = await tempDir('gcs-inbox');
  const shared = {
    SERVO_CLOCK: 'real',
    SERVO_STORAGE: 'gcs',
    SERVO_GCS_BUCKET: 'servo-e2e',
    SERVO_GCS_PREFIX: 'deployment-1/',
    SERVO_GCS_API_ENDPOINT: gcs.endpoint,
    SERVO_TENANT_SECRETS: JSON.stringify({
      default: Buffer.from('e2e-tenant-secret-32-bytes-long!').toString('base64'),
    }),
    SERVO_EXAMPLE_INBOX: inbox,
    // No data directory is used: a path that cannot be created would fail any attempt.
    SERVO_DATA_DIR: '/dev/null/servo',
  };
  ({ workerUrl, apiUrl, diagnostics } = await startWorkerAndApi(shared));
}, 120_000);

afterAll(async () => {
  await disposeAll();
  await gcs?.close();
});

describe('distributed mode on Cloud Storage', () => {
  it("delivers the worker's ticks to the api's subscribers and publishes the projections", async () => {
    const ticks = subscribeOverWebSocket<{ instigationTicks: { id: string; status: string } }>(
      apiUrl,
      `subscription {
        instigationTicks(selector: { repositoryName: "__repository__", repositoryLocationName: "sales", name: "every_15_seconds" }) { id status }
      }`,
    );
    try {
      const tick = await ticks
        .waitFor('a SUCCESS tick', (delivery) => delivery.data?.instigationTicks.status === 'SUCCESS', 90_000)
        .catch((error: Error) => {
          throw new Error(`${error.message}\n${diagnostics()}`);
        });
      expect(tick.data?.instigationTicks.id).toMatch(/^sales:every_15_seconds:\d+$/);
    } finally {
      await ticks.close();
    }
    // The compactor role of the worker published the projections to the bucket.
    const report = await waitFor(
      'published projections',
      async () => {
        const health = await getJson<HealthReport>(`${workerUrl}/healthz`);
        return health.projectionWatermark.published.seq > 0 ? health : undefined;
      },
      30_000,
      diagnostics,
    );
    expect(report.automation?.codeLocations).toEqual([expect.stringMatching(/^sales@/)]);
  }, 150_000);
});
