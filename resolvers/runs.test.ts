import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { inProcessGraphql } from '../server/testing/in-process-graphql.js';
import { type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';

/** Runs through the API against a seeded Servo: lists, filters, the run page, feed, mutations. */

interface RunSummary {
  runId: string;
  status: string;
  creationTime: number;
  tags: { key: string; value: string }[];
}

const RUN_FIELDS = 'runId status creationTime tags { key value }';

let servo: SeededServo;
let backfillId: string;

async function runs(filter: Record<string, unknown>, limit = 100, cursor?: string) {
  const result = await servo.graphql<{
    runsOrError: { __typename: string; results?: RunSummary[]; count?: number; message?: string };
  }>(
    `query Runs($filter: RunsFilter, $limit: Int, $cursor: String) {
      runsOrError(filter: $filter, limit: $limit, cursor: $cursor) {
        __typename
        ... on Runs { results { ${RUN_FIELDS} } count }
        ... on InvalidPipelineRunsFilterError { message }
      }
    }`,
    { filter, limit, cursor },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.runsOrError;
}

const tagOf = (run: RunSummary, key: string) => run.tags.find((tag) => tag.key === key)?.value;

beforeAll(async () => {
  servo = await startSeededServo();
  const result = await servo.graphql<{ partitionBackfillsOrError: { results: { id: string }[] } }>(
    '{ partitionBackfillsOrError(limit: 5) { ... on PartitionBackfills { results { id } } } }',
  );
  backfillId = result.data!.partitionBackfillsOrError.results[0]!.id;
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('run lists', () => {
  it('lists runs newest first and pages on with the last run id as the cursor', async () => {
    const all = await runs({});
    const times = all.results!.map((run) => run.creationTime);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(all.count).toBe(all.results!.length);
    const first = await runs({}, 5);
    const second = await runs({}, 5, first.results![4]!.runId);
    expect([...first.results!, ...second.results!].map((run) => run.runId)).toEqual(
      all.results!.slice(0, 10).map((run) => run.runId),
    );
  });

  it("filters by a schedule's, a sensor's and a backfill's derived tags", async () => {
    const scheduled = await runs({ tags: [{ key: 'dagster/schedule_name', value: 'every_15_seconds' }] });
    expect(scheduled.results!.length).toBeGreaterThanOrEqual(4);
    for (const run of scheduled.results!) {
      expect(tagOf(run, 'servo/lane')).toBe('schedule');
      expect(tagOf(run, 'servo/code_location')).toBe('sales');
    }
    const sensed = await runs({ tags: [{ key: 'dagster/sensor_name', value: 'inbox_files' }] });
    expect(sensed.results!.map((run) => tagOf(run, 'dagster/sensor_name'))).toEqual(['inbox_files']);
    const backfilled = await runs({ tags: [{ key: 'dagster/backfill', value: backfillId }] });
    expect(
      backfilled
        .results!.map((run) => [
          tagOf(run, 'dagster/asset_partition_range_start'),
          tagOf(run, 'dagster/asset_partition_range_end'),
        ])
        .sort(),
    ).toEqual([
      ['2026-11-01', '2026-11-02'],
      ['2026-11-03', '2026-11-04'],
      ['2026-11-05', '2026-11-06'],
    ]);
  });

  it('finds the runs of a partition, including backfill chunks that cover it', async () => {
    const manual = await runs({ tags: [{ key: 'dagster/partition', value: '2026-11-18' }] });
    expect(manual.results!.map((run) => tagOf(run, 'servo/run_key'))).toEqual(['seed-manual-1']);
    const chunk = await runs({ tags: [{ key: 'dagster/partition', value: '2026-11-03' }] });
    expect(chunk.results!.map((run) => tagOf(run, 'dagster/backfill'))).toEqual([backfillId]);
  });

  it('filters by status and creation time, and says why a filter cannot be served', async () => {
    expect((await runs({ statuses: ['QUEUED', 'STARTED'] })).results).toEqual([]);
    const all = (await runs({})).results!;
    const middle = all[Math.floor(all.length / 2)]!.creationTime;
    const before = await runs({ createdBefore: middle });
    expect(before.results!.every((run) => run.creationTime < middle)).toBe(true);
    expect(before.results!.length).toBeGreaterThan(0);
    expect(await runs({}, 5, 'run_that_does_not_exist')).toMatchObject({
      __typename: 'InvalidPipelineRunsFilterError',
      message: expect.stringContaining('run_that_does_not_exist'),
    });
    const tooMany = await servo.graphql('{ runsOrError(limit: 1001) { __typename } }');
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('lists the tag keys and values runs have, and run ids', async () => {
    const result = await servo.graphql<{
      runTagKeysOrError: { keys: string[] };
      runTagsOrError: { tags: { key: string; values: string[] }[] };
      runIdsOrError: { results: string[] };
    }>(`{
      runTagKeysOrError { ... on RunTagKeys { keys } }
      runTagsOrError(tagKeys: ["dagster/sensor_name"]) { ... on RunTags { tags { key values } } }
      runIdsOrError(filter: { tags: [{ key: "dagster/sensor_name", value: "customer_signups" }] }) { ... on RunIds { results } }
    }`);
    expect(result.data!.runTagKeysOrError.keys).toEqual(
      expect.arrayContaining([
        'dagster/backfill',
        'dagster/partition',
        'dagster/schedule_name',
        'servo/lane',
      ]),
    );
    expect(result.data!.runTagsOrError.tags).toEqual([
      { key: 'dagster/sensor_name', values: ['customer_signups', 'inbox_files'] },
    ]);
    expect(result.data!.runIdsOrError.results).toHaveLength(1);
  });
});

describe('the run page', () => {
  it('shows the failed-then-retried attempt of cleaned_orders for 2026-11-03 in a backfill run', async () => {
    const [chunk] = (await runs({ tags: [{ key: 'dagster/partition', value: '2026-11-03' }] })).results!;
    const result = await servo.graphql<{
      runOrError: {
        __typename: string;
        stepStats: {
          stepKey: string;
          status: string;
          attempts: { startTime: number | null; endTime: number | null }[];
        }[];
        executionPlan: { steps: { key: string; inputs: { dependsOn: { key: string }[] }[] }[] };
        stats: { stepsSucceeded: number; materializations: number };
        allPools: string[];
        canTerminate: boolean;
        queuePosition: number | null;
      };
    }>(
      `query Run($runId: ID!) {
        runOrError(runId: $runId) {
          __typename
          ... on Run {
            stepStats { stepKey status attempts { startTime endTime } }
            executionPlan { steps { key inputs { dependsOn { key } } } }
            stats { ... on RunStatsSnapshot { stepsSucceeded materializations } }
            allPools
            canTerminate
            queuePosition
          }
        }
      }`,
      { runId: chunk!.runId },
    );
    expect(result.errors).toBeUndefined();
    const run = result.data!.runOrError;
    expect(run.__typename).toBe('Run');
    const retried = run.stepStats.find((step) => step.stepKey === 'sales/cleaned_orders[2026-11-03]');
    expect(retried?.status).toBe('SUCCESS');
    expect(retried?.attempts).toHaveLength(2);
    expect(retried?.attempts[0]).toEqual({ startTime: null, endTime: null });
    expect(retried?.attempts[1]?.endTime).toEqual(expect.any(Number));
    expect(
      run.stepStats.find((step) => step.stepKey === 'sales/cleaned_orders[2026-11-04]')?.attempts,
    ).toHaveLength(1);
    const revenue = run.executionPlan.steps.find((step) => step.key === 'sales/daily_revenue[2026-11-03]');
    expect(revenue?.inputs.flatMap((input) => input.dependsOn.map((step) => step.key))).toEqual([
      'sales/cleaned_orders[2026-11-03]',
    ]);
    expect(run.stats).toEqual({ stepsSucceeded: 6, materializations: 6 });
    expect(run.allPools).toEqual(['warehouse']);
    expect(run.canTerminate).toBe(false);
    expect(run.queuePosition).toBeNull();
  });

  it('answers RunNotFoundError for a run that does not exist', async () => {
    const result = await servo.graphql<{ runOrError: { __typename: string; runId: string } }>(
      '{ runOrError(runId: "run_nope") { __typename ... on RunNotFoundError { runId } } }',
    );
    expect(result.data!.runOrError).toEqual({ __typename: 'RunNotFoundError', runId: 'run_nope' });
  });
});

describe('the runs feed', () => {
  const FEED = `query Feed($view: RunsFeedView!, $limit: Int!, $cursor: String, $filter: RunsFilter) {
    runsFeedOrError(view: $view, limit: $limit, cursor: $cursor, filter: $filter) {
      ... on RunsFeedConnection { cursor hasMore results { __typename id runStatus tags { key value } } }
    }
    runsFeedCountOrError(view: $view, filter: $filter) { ... on RunsFeedCount { count } }
  }`;
  type Feed = {
    runsFeedOrError: {
      cursor: string;
      hasMore: boolean;
      results: {
        __typename: string;
        id: string;
        runStatus: string;
        tags: { key: string; value: string }[];
      }[];
    };
    runsFeedCountOrError: { count: number };
  };
  const feed = async (view: string, limit = 200, cursor?: string, filter?: Record<string, unknown>) => {
    const result = await servo.graphql<Feed>(FEED, { view, limit, cursor, filter });
    expect(result.errors).toBeUndefined();
    return result.data!;
  };

  it('shows a backfill as one entry beside the runs no backfill started (ROOTS)', async () => {
    const roots = await feed('ROOTS');
    const backfills = roots.runsFeedOrError.results.filter(
      (entry) => entry.__typename === 'PartitionBackfill',
    );
    expect(backfills.map((entry) => [entry.id, entry.runStatus])).toEqual([[backfillId, 'SUCCESS']]);
    const runIds = roots.runsFeedOrError.results.filter((entry) => entry.__typename === 'Run');
    expect(runIds.some((entry) => entry.tags.some((tag) => tag.key === 'dagster/backfill'))).toBe(false);
    expect(roots.runsFeedCountOrError.count).toBe(roots.runsFeedOrError.results.length);
  });

  it('lists every run and no backfill in RUNS, and backfills alone in BACKFILLS', async () => {
    const all = await feed('RUNS');
    expect(all.runsFeedOrError.results.every((entry) => entry.__typename === 'Run')).toBe(true);
    expect(
      all.runsFeedOrError.results.filter((entry) => entry.tags.some((tag) => tag.key === 'dagster/backfill')),
    ).toHaveLength(3);
    const backfills = await feed('BACKFILLS');
    expect(backfills.runsFeedOrError.results.map((entry) => entry.id)).toEqual([backfillId]);
    expect(backfills.runsFeedCountOrError.count).toBe(1);
  });

  it('pages the feed with its cursor without repeating an entry', async () => {
    const whole = (await feed('ROOTS')).runsFeedOrError.results.map((entry) => entry.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = (await feed('ROOTS', 4, cursor)).runsFeedOrError;
      seen.push(...page.results.map((entry) => entry.id));
      if (!page.hasMore) break;
      cursor = page.cursor;
    }
    expect(seen).toEqual(whole);
    const bad = await servo.graphql(FEED, { view: 'ROOTS', limit: 4, cursor: 'not-a-cursor' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('run mutations', () => {
  const LAUNCH = `mutation Launch($params: ExecutionParams!) {
    launchRun(executionParams: $params) {
      __typename
      ... on LaunchRunSuccess { run { runId status tags { key value } } }
      ... on Error { message }
    }
  }`;
  const params = (tags: { key: string; value: string }[], assets = [['sales', 'raw_orders']]) => ({
    selector: {
      repositoryName: '__repository__',
      repositoryLocationName: 'sales',
      jobName: '__ASSET_JOB',
      assetSelection: assets.map((path) => ({ path })),
    },
    executionMetadata: { tags },
  });
  type Launched = {
    launchRun: {
      __typename: string;
      message?: string;
      run?: { runId: string; status: string; tags: { key: string; value: string }[] };
    };
  };

  it('launches a run of an asset selection for the partition in its tag; it succeeds once time moves', async () => {
    const result = await servo.graphql<Launched>(LAUNCH, {
      params: params([
        { key: 'dagster/partition', value: '2026-11-17' },
        { key: 'team', value: 'ops' },
      ]),
    });
    expect(result.data!.launchRun.__typename).toBe('LaunchRunSuccess');
    const run = result.data!.launchRun.run!;
    expect(run.tags).toEqual(
      expect.arrayContaining([
        { key: 'dagster/partition', value: '2026-11-17' },
        { key: 'team', value: 'ops' },
        { key: 'servo/lane', value: 'manual' },
      ]),
    );
    await servo.advance(1);
    const after = await servo.graphql<{ runOrError: { status: string } }>(
      `{ runOrError(runId: "${run.runId}") { ... on Run { status } } }`,
    );
    expect(after.data!.runOrError.status).toBe('SUCCESS');
  });

  it('refuses what a Servo run cannot be: another job, assets of no code location, run config', async () => {
    const launch = async (value: unknown) =>
      (await servo.graphql<Launched>(LAUNCH, { params: value })).data!.launchRun.__typename;
    const base = params([{ key: 'dagster/partition', value: '2026-11-17' }]);
    expect(await launch({ ...base, selector: { ...base.selector, jobName: 'etl' } })).toBe(
      'PipelineNotFoundError',
    );
    expect(await launch(params([], [['sales', 'nope']]))).toBe('InvalidSubsetError');
    expect(await launch({ ...base, runConfigData: { ops: {} } })).toBe('RunConfigValidationInvalid');
    expect(await launch(params([{ key: 'dagster/schedule_name', value: 'x' }]))).toBe('PythonError');
  });

  it('launches once per servo/run_key, and records other work under the same key as a conflict', async () => {
    const keyed = (day: string) =>
      params([
        { key: 'dagster/partition', value: day },
        { key: 'servo/run_key', value: 'api-test-key' },
      ]);
    const first = (await servo.graphql<Launched>(LAUNCH, { params: keyed('2026-11-16') })).data!.launchRun;
    const again = (await servo.graphql<Launched>(LAUNCH, { params: keyed('2026-11-16') })).data!.launchRun;
    expect(again.run?.runId).toBe(first.run?.runId);
    const other = (await servo.graphql<Launched>(LAUNCH, { params: keyed('2026-11-15') })).data!.launchRun;
    expect(other.__typename).toBe('RunConflict');
    const conflicts = await servo.graphql<{
      runKeyConflicts: { results: { runKey: string; runId: string; sourceKind: string }[]; hasMore: boolean };
      automationHealth: { runKeyConflicts: number; lanes: { lane: string }[]; compactionLagSegments: number };
    }>(`{
      runKeyConflicts(limit: 10) { results { runKey runId sourceKind } hasMore }
      automationHealth { runKeyConflicts lanes { lane } compactionLagSegments }
    }`);
    expect(conflicts.data!.runKeyConflicts).toEqual({
      results: [{ runKey: 'api-test-key', runId: first.run?.runId, sourceKind: 'manual' }],
      hasMore: false,
    });
    expect(conflicts.data!.automationHealth.runKeyConflicts).toBe(1);
    expect(conflicts.data!.automationHealth.lanes.map((lane) => lane.lane)).toEqual([
      'manual',
      'schedule',
      'sensor',
      'backfill',
    ]);
  });

  it('deletes a finished run for an operator and refuses a viewer', async () => {
    const [oldest] = (await runs({ tags: [{ key: 'dagster/sensor_name', value: 'customer_signups' }] }))
      .results!;
    const DELETE = `mutation Delete($runId: String!) {
      deletePipelineRun(runId: $runId) { __typename ... on DeletePipelineRunSuccess { runId } }
    }`;
    const viewer = inProcessGraphql(servo.servo.automation, 'viewer');
    const refused = await viewer<{ deletePipelineRun: { __typename: string } }>(DELETE, {
      runId: oldest!.runId,
    });
    expect(refused.data!.deletePipelineRun.__typename).toBe('UnauthorizedError');
    const deleted = await servo.graphql<{ deletePipelineRun: { __typename: string } }>(DELETE, {
      runId: oldest!.runId,
    });
    expect(deleted.data!.deletePipelineRun).toEqual({
      __typename: 'DeletePipelineRunSuccess',
      runId: oldest!.runId,
    });
    const again = await servo.graphql<{ deletePipelineRun: { __typename: string } }>(DELETE, {
      runId: oldest!.runId,
    });
    expect(again.data!.deletePipelineRun.__typename).toBe('RunNotFoundError');
    expect((await runs({ runIds: [oldest!.runId] })).results).toEqual([]);
  });

  it('terminates runs for an operator only; a finished run reports a failure to terminate', async () => {
    const [finished] = (await runs({ statuses: ['SUCCESS'] }, 1)).results!;
    const TERMINATE = `mutation Terminate($runIds: [String!]!) {
      terminateRuns(runIds: $runIds) {
        ... on TerminateRunsResult { terminateRunResults { __typename ... on TerminateRunFailure { message } } }
      }
    }`;
    type Terminated = { terminateRuns: { terminateRunResults: { __typename: string; message?: string }[] } };
    const viewer = inProcessGraphql(servo.servo.automation, 'viewer');
    const refused = await viewer<Terminated>(TERMINATE, { runIds: [finished!.runId] });
    expect(refused.data!.terminateRuns.terminateRunResults.map((result) => result.__typename)).toEqual([
      'UnauthorizedError',
    ]);
    const result = await servo.graphql<Terminated>(TERMINATE, { runIds: [finished!.runId, 'run_nope'] });
    expect(result.data!.terminateRuns.terminateRunResults).toEqual([
      { __typename: 'TerminateRunFailure', message: expect.stringContaining('already finished') },
      { __typename: 'RunNotFoundError' },
    ]);
  });
});

describe('platform limits', () => {
  it('exposes the automation, admission and API limits the server runs with', async () => {
    const result = await servo.graphql<{ platformLimits: Record<string, Record<string, unknown>> }>(`{
      platformLimits {
        automation { maxRunRequestsPerEvaluation defaultBackfillChunkSize maxBackfillPartitions }
        admission { laneOrder maxConcurrentRuns agingSeconds }
        graphql { maxPageSize maxDepth }
      }
    }`);
    expect(result.data!.platformLimits).toEqual({
      automation: {
        maxRunRequestsPerEvaluation: 100,
        defaultBackfillChunkSize: 25,
        maxBackfillPartitions: 10_000_000,
      },
      admission: {
        laneOrder: ['manual', 'schedule', 'sensor', 'backfill'],
        maxConcurrentRuns: 20,
        agingSeconds: 600,
      },
      graphql: { maxPageSize: 1000, maxDepth: 20 },
    });
  });
});

describe('the runStatus subscription', () => {
  it('delivers the status changes of a launched run over graphql-ws', async () => {
    const client = createClient({
      url: `${servo.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
    });
    const seen: { runId: string; status: string }[] = [];
    let failure: unknown;
    const unsubscribe = client.subscribe<{ runStatus: { runId: string; status: string } }>(
      { query: 'subscription { runStatus { runId status } }' },
      {
        next: (message) => {
          if (message.data !== null && message.data !== undefined) seen.push(message.data.runStatus);
        },
        error: (error) => {
          failure = error;
        },
        complete: () => {},
      },
    );
    // Let the socket subscribe before the run is made.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const result = await servo.graphql<{ launchRun: { run: { runId: string } } }>(
      `mutation { launchRun(executionParams: {
        selector: { repositoryName: "__repository__", repositoryLocationName: "sales", jobName: "__ASSET_JOB", assetSelection: [{ path: ["sales", "raw_orders"] }] }
        executionMetadata: { tags: [{ key: "dagster/partition", value: "2026-11-14" }] }
      }) { ... on LaunchRunSuccess { run { runId } } } }`,
    );
    const runId = result.data!.launchRun.run.runId;
    await servo.advance(1);
    const statuses = () => seen.filter((change) => change.runId === runId).map((change) => change.status);
    for (let waited = 0; waited < 5000 && !statuses().includes('SUCCESS'); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    unsubscribe();
    await client.dispose();
    expect(failure).toBeUndefined();
    expect(statuses()[0]).toBe('QUEUED');
    expect(statuses()[statuses().length - 1]).toBe('SUCCESS');
  });
});
