import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';

/**
 * Queued runs through the API: a Servo whose `warehouse` pool has no slots, so every run of
 * `cleaned_orders` waits for admission and shows where it stands and why.
 */

let servo: SeededServo;

const LAUNCH = `mutation Launch($day: String!) {
  launchRun(executionParams: {
    selector: { repositoryName: "__repository__", repositoryLocationName: "sales", jobName: "__ASSET_JOB", assetSelection: [{ path: ["sales", "cleaned_orders"] }] }
    executionMetadata: { tags: [{ key: "dagster/partition", value: $day }] }
  }) { __typename ... on LaunchRunSuccess { run { runId status } } }
}`;

const QUEUED = `query Queued($runIds: [String]) {
  runsOrError(filter: { runIds: $runIds }) {
    ... on Runs { results { runId status queuePosition queueReason canTerminate } }
  }
}`;

interface QueuedRun {
  runId: string;
  status: string;
  queuePosition: number | null;
  queueReason: string | null;
  canTerminate: boolean;
}

async function launch(day: string): Promise<string> {
  const result = await servo.graphql<{ launchRun: { __typename: string; run: { runId: string } } }>(LAUNCH, {
    day,
  });
  expect(result.data?.launchRun.__typename).toBe('LaunchRunSuccess');
  return result.data!.launchRun.run.runId;
}

async function queued(runIds: string[]): Promise<Map<string, QueuedRun>> {
  const result = await servo.graphql<{ runsOrError: { results: QueuedRun[] } }>(QUEUED, { runIds });
  expect(result.errors).toBeUndefined();
  return new Map(result.data!.runsOrError.results.map((run) => [run.runId, run]));
}

beforeAll(async () => {
  servo = await startSeededServo({
    seed: false,
    env: { SERVO_ADMISSION: JSON.stringify({ pools: { warehouse: 0 } }) },
  });
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('queued runs', () => {
  it('shows where each queued run stands in admission order and why it waits', async () => {
    const first = await launch('2026-11-10');
    // A second later: within a lane, the older run goes first.
    await servo.advance(1);
    const second = await launch('2026-11-11');
    const runs = await queued([first, second]);
    expect(runs.get(first)).toMatchObject({ status: 'QUEUED', queuePosition: 1, canTerminate: true });
    expect(runs.get(second)).toMatchObject({ status: 'QUEUED', queuePosition: 2 });
    expect(runs.get(first)?.queueReason).toMatch(/pool warehouse/);
    expect(runs.get(second)?.queueReason).toMatch(/pool warehouse.*1 run ahead/);

    const health = await servo.graphql<{
      automationHealth: {
        lanes: { lane: string; queuedRuns: number }[];
        queuedRuns: number;
        oldestPendingAgeSeconds: number;
      };
      platformLimits: { admission: { pools: { pool: string; slots: number }[] } };
      counts: { count: number };
    }>(`{
      automationHealth { lanes { lane queuedRuns } queuedRuns oldestPendingAgeSeconds }
      platformLimits { admission { pools { pool slots } } }
      counts: runsFeedCountOrError(view: RUNS, filter: { statuses: [QUEUED] }) { ... on RunsFeedCount { count } }
    }`);
    expect(health.data!.automationHealth.lanes.find((lane) => lane.lane === 'manual')?.queuedRuns).toBe(2);
    expect(health.data!.automationHealth.queuedRuns).toBe(health.data!.counts.count);
    expect(health.data!.automationHealth.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(health.data!.platformLimits.admission.pools).toEqual([{ pool: 'warehouse', slots: 0 }]);

    // Terminating the first run cancels it at once (it never started); the second moves up.
    const terminated = await servo.graphql<{
      terminateRun: { __typename: string; run: { status: string } };
    }>(
      `mutation Terminate($runId: String!) {
        terminateRun(runId: $runId, terminatePolicy: SAFE_TERMINATE) {
          __typename ... on TerminateRunSuccess { run { status } }
        }
      }`,
      { runId: first },
    );
    expect(terminated.data!.terminateRun).toEqual({
      __typename: 'TerminateRunSuccess',
      run: { status: 'CANCELED' },
    });
    const after = await queued([first, second]);
    expect(after.get(first)).toMatchObject({
      status: 'CANCELED',
      queuePosition: null,
      queueReason: null,
      canTerminate: false,
    });
    expect(after.get(second)?.queuePosition).toBe(1);
  });
});
