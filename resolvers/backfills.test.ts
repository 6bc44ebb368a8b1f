import { graphql, parse, subscribe } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deployCodeLocation } from '../engine/commands/deploy.js';
import { schema } from '../schema/index.js';
import { apiWorkspaceOf, createApiServices } from '../server/api-services.js';
import { type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';
import { createApiContext, type Role } from './context.js';

/** Backfills through the GraphQL API, against an embedded Servo seeded with a six-day backfill. */

const BACKFILL = `
  query Backfill($id: String!, $assetKey: AssetKeyInput) {
    partitionBackfillOrError(backfillId: $id) {
      __typename
      ... on BackfillNotFoundError { message backfillId }
      ... on PartitionBackfill {
        id status state runStatus numPartitions numCancelable partitionNames isAssetBackfill fromFailure
        title user timestamp endTimestamp partitionSet { id } partitionSetName
        hasCancelPermission hasResumePermission
        assetSelection { path }
        tags { key value }
        counts { totalPartitions materializedPartitions failedPartitions totalChunks plannedChunks succeededChunks }
        runs { runId status }
        unfinishedRuns { runId }
        cancelableRuns { runId }
        partitionStatuses { results { partitionName runId runStatus } }
        partitionStatusCounts { runStatus count }
        partitionsTargetedForAssetKey(assetKey: $assetKey) { ranges { start end } partitionKeys }
        assetBackfillData {
          rootTargetedPartitions { ranges { start end } partitionKeys }
          assetBackfillStatuses {
            __typename
            ... on AssetPartitionsStatusCounts {
              assetKey { path }
              numPartitionsTargeted numPartitionsInProgress numPartitionsMaterialized numPartitionsFailed
            }
          }
        }
        error { message }
        logEvents { cursor hasMore events { message level timestamp } }
      }
    }
  }`;

const LAUNCH = `
  mutation Launch($params: LaunchBackfillParams!) {
    launchPartitionBackfill(backfillParams: $params) {
      __typename
      ... on LaunchBackfillSuccess { backfillId }
      ... on PythonError { message className }
      ... on UnauthorizedError { message }
      ... on PartitionSetNotFoundError { message partitionSetName }
    }
  }`;

interface BackfillResult {
  __typename: string;
  id: string;
  status: string;
  state: string;
  runStatus: string;
  numPartitions: number;
  numCancelable: number;
  partitionNames: string[] | null;
  endTimestamp: number | null;
  counts: Record<string, number>;
  runs: { runId: string; status: string }[];
  unfinishedRuns: { runId: string }[];
  partitionStatuses: {
    results: { partitionName: string; runId: string | null; runStatus: string | null }[];
  } | null;
  partitionStatusCounts: { runStatus: string; count: number }[];
  partitionsTargetedForAssetKey: {
    ranges: { start: string; end: string }[] | null;
    partitionKeys: string[] | null;
  } | null;
  assetBackfillData: {
    rootTargetedPartitions: { ranges: { start: string; end: string }[] | null } | null;
    assetBackfillStatuses: Record<string, unknown>[];
  };
  logEvents: { cursor: string; hasMore: boolean; events: { message: string; level: string }[] };
  [field: string]: unknown;
}

const ASSETS = ['sales/raw_orders', 'sales/cleaned_orders', 'sales/daily_revenue'];
const path = (key: string) => ({ path: key.split('/') });

let servo: SeededServo;
let seedId: string;

async function gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) {
  const result = await servo.graphql<T>(query, variables);
  if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
  return result.data as T;
}

async function backfill(id: string, assetKey?: string): Promise<BackfillResult> {
  const data = await gql<{ partitionBackfillOrError: BackfillResult }>(BACKFILL, {
    id,
    assetKey: assetKey === undefined ? null : path(assetKey),
  });
  return data.partitionBackfillOrError;
}

async function launch(params: Record<string, unknown>) {
  const data = await gql<{ launchPartitionBackfill: Record<string, string> }>(LAUNCH, { params });
  return data.launchPartitionBackfill;
}

/** A request context for a caller with `role` (the embedded server's loopback caller is admin). */
async function contextAs(role: Role) {
  const automation = servo.servo.automation;
  const services = createApiServices({
    version: 'test',
    mode: 'embedded',
    workspaces: [apiWorkspaceOf(automation)],
  });
  return createApiContext(services, {
    subject: `${role}-key`,
    kind: 'api-key',
    role,
    scope: automation.workspace.scope,
  });
}

/** Runs an operation in process as a caller with `role`; `reads` is how many projection reads it took. */
async function asRole(role: Role, source: string, variableValues: Record<string, unknown>) {
  const contextValue = await contextAs(role);
  const result = await graphql({ schema, source, variableValues, contextValue });
  return { ...result, reads: contextValue.reads.count };
}

/** Backfills recorded so far: a refused request must not add one. */
function backfillCount(): number {
  return servo.servo.automation.tables().backfills.size;
}

beforeAll(async () => {
  servo = await startSeededServo();
  const list = await gql<{ partitionBackfillsOrError: { results: { id: string; title: string }[] } }>(
    '{ partitionBackfillsOrError { ... on PartitionBackfills { results { id title } } } }',
  );
  seedId = list.partitionBackfillsOrError.results.find((row) => row.title === 'Seed backfill')?.id ?? '';
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('reading a backfill', () => {
  it('the seeded six-day backfill completed, with every partition of every asset materialized', async () => {
    const seed = await backfill(seedId, 'sales/cleaned_orders');
    expect(seed).toMatchObject({
      id: seedId,
      status: 'COMPLETED_SUCCESS',
      state: 'COMPLETED_SUCCESS',
      runStatus: 'SUCCESS',
      numPartitions: 6,
      numCancelable: 0,
      isAssetBackfill: true,
      fromFailure: false,
      title: 'Seed backfill',
      user: 'seed',
      partitionSet: null,
      partitionSetName: null,
      hasCancelPermission: true,
      assetSelection: ASSETS.map(path),
      partitionNames: ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06'],
      counts: {
        totalPartitions: 6,
        materializedPartitions: 6,
        failedPartitions: 0,
        totalChunks: 3,
        succeededChunks: 3,
      },
      unfinishedRuns: [],
      partitionStatusCounts: [{ runStatus: 'SUCCESS', count: 6 }],
      partitionsTargetedForAssetKey: {
        ranges: [{ start: '2026-11-01', end: '2026-11-06' }],
        partitionKeys: null,
      },
      error: null,
    });
    expect(seed.endTimestamp).toBeGreaterThan(seed.timestamp as number);
    expect(seed.runs).toHaveLength(3);
    expect(seed.runs.every((run) => run.status === 'SUCCESS')).toBe(true);
    expect(seed.partitionStatuses?.results.map((status) => status.runStatus)).toEqual(
      Array(6).fill('SUCCESS'),
    );
    expect(seed.assetBackfillData.rootTargetedPartitions).toEqual({
      ranges: [{ start: '2026-11-01', end: '2026-11-06' }],
      partitionKeys: null,
    });
    expect(seed.assetBackfillData.assetBackfillStatuses).toEqual(
      ASSETS.map((key) => ({
        __typename: 'AssetPartitionsStatusCounts',
        assetKey: path(key),
        numPartitionsTargeted: 6,
        numPartitionsInProgress: 0,
        numPartitionsMaterialized: 6,
        numPartitionsFailed: 0,
      })),
    );
  });

  it('an asset the backfill does not target has no targeted partitions; an unknown id is BackfillNotFoundError', async () => {
    expect((await backfill(seedId, 'sales/inbox_snapshot')).partitionsTargetedForAssetKey).toBeNull();
    expect(await backfill('bf_nope')).toEqual({
      __typename: 'BackfillNotFoundError',
      message: 'backfill bf_nope does not exist',
      backfillId: 'bf_nope',
    });
  });

  it('the log tells the backfill from its creation through each chunk to its end, and pages by cursor', async () => {
    const log = (await backfill(seedId)).logEvents;
    const messages = log.events.map((event) => event.message);
    expect(messages[0]).toMatch(
      /^backfill requested by seed: 6 partitions of sales\/raw_orders, .* in 3 chunks of up to 2/,
    );
    expect(messages.filter((message) => /^chunk \d planned/.test(message))).toHaveLength(3);
    expect(messages.filter((message) => /^chunk \d succeeded/.test(message))).toHaveLength(3);
    expect(messages.at(-1)).toMatch(/^backfill COMPLETED_SUCCESS: 6 materialized/);
    expect(log.hasMore).toBe(false);
    const next = await gql<{
      partitionBackfillOrError: { logEvents: { events: unknown[]; cursor: string } };
    }>(
      'query($id: String!, $c: String) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { logEvents(cursor: $c) { events { message } cursor } } } }',
      { id: seedId, c: log.cursor },
    );
    expect(next.partitionBackfillOrError.logEvents).toEqual({ events: [], cursor: log.cursor });
  });

  it('lists backfills newest first, filtered by status, and pages by cursor', async () => {
    const query = `query($status: BulkActionStatus, $cursor: String, $limit: Int) {
      partitionBackfillsOrError(status: $status, cursor: $cursor, limit: $limit) {
        __typename ... on PartitionBackfills { results { id status } } ... on PythonError { message }
      } }`;
    const done = await gql<{ partitionBackfillsOrError: { results: { id: string }[] } }>(query, {
      status: 'COMPLETED_SUCCESS',
    });
    expect(done.partitionBackfillsOrError.results.map((row) => row.id)).toContain(seedId);
    const failed = await gql<{ partitionBackfillsOrError: { results: unknown[] } }>(query, {
      status: 'FAILED',
    });
    expect(failed.partitionBackfillsOrError.results).toEqual([]);
    const badCursor = await gql<{ partitionBackfillsOrError: { __typename: string; message: string } }>(
      query,
      {
        cursor: 'bf_unknown',
      },
    );
    expect(badCursor.partitionBackfillsOrError).toMatchObject({ __typename: 'PythonError' });
    const tooMany = await servo.graphql(query, { limit: 1001 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('launching a backfill', () => {
  it('a range is stored as one compact selector: numPartitions is known, the target is one range', async () => {
    const result = await launch({
      partitionsByAssets: [
        {
          assetKey: path('sales/raw_orders'),
          partitions: { range: { start: '2026-01-01', end: '2026-10-31' } },
        },
      ],
      title: 'This year',
      requestId: 'range-launch',
      maxConcurrentRuns: 1,
    });
    expect(result.__typename).toBe('LaunchBackfillSuccess');
    const id = result.backfillId as string;
    const row = servo.servo.automation.tables().backfills.get(id);
    expect(row?.selector).toEqual({ kind: 'range', start: '2026-01-01', end: '2026-10-31' });
    const created = await backfill(id, 'sales/raw_orders');
    expect(created.numPartitions).toBe(304);
    expect(created.partitionsTargetedForAssetKey).toEqual({
      ranges: [{ start: '2026-01-01', end: '2026-10-31' }],
      partitionKeys: null,
    });
    // The same request id returns the same backfill and records nothing.
    const before = backfillCount();
    const again = await launch({
      partitionsByAssets: [
        {
          assetKey: path('sales/raw_orders'),
          partitions: { range: { start: '2026-01-01', end: '2026-10-31' } },
        },
      ],
      requestId: 'range-launch',
    });
    expect(again).toEqual({ __typename: 'LaunchBackfillSuccess', backfillId: id });
    expect(backfillCount()).toBe(before);
    await gql('mutation($id: String!) { cancelPartitionBackfill(backfillId: $id) { __typename } }', { id });
  });

  it('a million-partition range is one event: counted, described by its range, and never listed', async () => {
    await deployCodeLocation(
      servo.servo.automation,
      {
        codeLocation: 'history',
        codeVersion: 'v1',
        assets: [
          {
            key: 'history/hourly_ticks',
            partitions: { kind: 'time', cadence: 'hourly', start: '1900-01-01' },
          },
        ],
        schedules: [],
        sensors: [],
      },
      'test',
    );
    // 1,000,000 hours from 1900-01-01T00:00.
    const end = new Date(Date.UTC(1900, 0, 1) + 999_999 * 3_600_000);
    const endKey = `${end.toISOString().slice(0, 10)}-${end.toISOString().slice(11, 13)}:00`;
    const started = Date.now();
    const result = await launch({
      partitionsByAssets: [
        {
          assetKey: path('history/hourly_ticks'),
          partitions: { range: { start: '1900-01-01-00:00', end: endKey } },
        },
      ],
      maxConcurrentRuns: 1,
    });
    expect(result.__typename).toBe('LaunchBackfillSuccess');
    const id = result.backfillId as string;
    await gql('mutation($id: String!) { pausePartitionBackfill(backfillId: $id) { __typename } }', { id });
    const big = await backfill(id, 'history/hourly_ticks');
    expect(big.numPartitions).toBe(1_000_000);
    expect(big.partitionNames).toBeNull();
    expect(big.partitionStatuses).toBeNull();
    expect(big.partitionsTargetedForAssetKey).toEqual({
      ranges: [{ start: '1900-01-01-00:00', end: endKey }],
      partitionKeys: null,
    });
    expect(big.assetBackfillData.assetBackfillStatuses[0]).toMatchObject({
      numPartitionsTargeted: 1_000_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    const page = await gql<{ partitionBackfillOrError: { partitionStatusPage: Record<string, unknown> } }>(
      `query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill {
        partitionStatusPage(offset: 999998, limit: 5) { total offset results { partitionKey state } } } } }`,
      { id },
    );
    expect(page.partitionBackfillOrError.partitionStatusPage).toEqual({
      total: 1_000_000,
      offset: 999_998,
      results: [
        { partitionKey: expect.any(String), state: 'NOT_REQUESTED' },
        { partitionKey: endKey, state: 'NOT_REQUESTED' },
      ],
    });
    await gql('mutation($id: String!) { cancelPartitionBackfill(backfillId: $id) { __typename } }', { id });
  });

  it('bad selections get a specific error and record nothing', async () => {
    const before = backfillCount();
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        {
          partitionsByAssets: [
            {
              assetKey: path('sales/raw_orders'),
              partitions: { range: { start: '2026-11-06', end: '2026-11-01' } },
            },
          ],
        },
        /range start '2026-11-06' is after its end '2026-11-01'/,
      ],
      [
        {
          partitionsByAssets: [
            {
              assetKey: path('sales/raw_orders'),
              partitions: { range: { start: '2025-12-01', end: '2026-01-05' } },
            },
          ],
        },
        /'2025-12-01' is not a partition/,
      ],
      [
        {
          partitionsByAssets: [
            {
              assetKey: path('sales/raw_orders'),
              partitions: { range: { start: '2026-11-01', end: '2027-01-01' } },
            },
          ],
        },
        /'2027-01-01' is not a partition .* yet/,
      ],
      [
        {
          partitionsByAssets: [
            {
              assetKey: path('sales/raw_orders'),
              partitions: { range: { start: '2026-11-01', end: '2026-11-02' }, ranges: [] },
            },
          ],
        },
        /give both range and ranges/,
      ],
      [
        {
          partitionsByAssets: [
            {
              assetKey: path('sales/raw_orders'),
              partitions: { range: { start: '2026-11-01', end: '2026-11-02' } },
            },
            {
              assetKey: path('sales/cleaned_orders'),
              partitions: { range: { start: '2026-11-01', end: '2026-11-03' } },
            },
          ],
        },
        /every asset of a backfill gets the same partitions: sales\/cleaned_orders is given other partitions/,
      ],
      [{ assetSelection: [path('sales/raw_orders')] }, /say which partitions/],
      [
        { assetSelection: [path('sales/no_such_asset')], allPartitions: true },
        /asset sales\/no_such_asset is not defined/,
      ],
      [{ assetSelection: [path('sales/inbox_snapshot')], allPartitions: true }, /is not partitioned/],
      [
        { assetSelection: [path('sales/raw_orders')], partitionNames: ['2026-11-01'], fromFailure: true },
        /reexecutePartitionBackfill/,
      ],
    ];
    for (const [params, message] of cases) {
      const result = await launch(params);
      expect(result.__typename, JSON.stringify(params)).toBe('PythonError');
      expect(result.message).toMatch(message);
    }
    const set = await launch({
      selector: {
        partitionSetName: 'nope_partition_set',
        repositorySelector: { repositoryName: '__repository__', repositoryLocationName: 'sales' },
      },
      allPartitions: true,
    });
    expect(set).toMatchObject({
      __typename: 'PartitionSetNotFoundError',
      partitionSetName: 'nope_partition_set',
    });
    expect(backfillCount()).toBe(before);
  });
});

describe('steering a backfill', () => {
  const ACTION = (field: string) =>
    `mutation($id: String!) { ${field}(backfillId: $id) { __typename ... on Error { message } } }`;

  it('pause, resume and cancel change its state; each action from the wrong state is refused', async () => {
    // 300 one-partition chunks, one at a time: far from done when it is canceled.
    const launched = await launch({
      partitionsByAssets: [
        {
          assetKey: path('sales/raw_orders'),
          partitions: { range: { start: '2026-01-01', end: '2026-10-27' } },
        },
      ],
      chunkSize: 1,
      maxConcurrentRuns: 1,
    });
    const id = launched.backfillId as string;
    const paused = await gql<{ pausePartitionBackfill: { __typename: string } }>(
      ACTION('pausePartitionBackfill'),
      { id },
    );
    expect(paused.pausePartitionBackfill.__typename).toBe('PauseBackfillSuccess');
    expect(await backfill(id)).toMatchObject({ state: 'PAUSED', status: 'REQUESTED', runStatus: 'STARTED' });
    await servo.advance(60);
    const whilePaused = await backfill(id);
    expect(whilePaused.state).toBe('PAUSED');
    expect(whilePaused.counts.plannedChunks).toBeLessThan(300);

    const resumed = await gql<{ resumePartitionBackfill: { __typename: string } }>(
      ACTION('resumePartitionBackfill'),
      { id },
    );
    expect(resumed.resumePartitionBackfill.__typename).toBe('ResumeBackfillSuccess');
    expect((await backfill(id)).state).toBe('REQUESTED');

    const canceled = await gql<{ cancelPartitionBackfill: { __typename: string } }>(
      ACTION('cancelPartitionBackfill'),
      { id },
    );
    expect(canceled.cancelPartitionBackfill.__typename).toBe('CancelBackfillSuccess');
    await servo.advance(30);
    const after = await backfill(id);
    expect(after.state).toBe('CANCELED');
    expect(after.endTimestamp).not.toBeNull();

    const again = await gql<{ pausePartitionBackfill: { __typename: string; message: string } }>(
      ACTION('pausePartitionBackfill'),
      { id },
    );
    expect(again.pausePartitionBackfill).toEqual({
      __typename: 'PythonError',
      message: `backfill ${id} is CANCELED; only a REQUESTED backfill can be paused`,
    });
    const missing = await gql<{ pausePartitionBackfill: { __typename: string } }>(
      ACTION('pausePartitionBackfill'),
      {
        id: 'bf_missing',
      },
    );
    expect(missing.pausePartitionBackfill.__typename).toBe('BackfillNotFoundError');
  });

  it('re-executing ALL_STEPS launches the same selection again; FROM_FAILURE needs failed partitions', async () => {
    const reexecute = `mutation($p: ReexecutionParams) { reexecutePartitionBackfill(reexecutionParams: $p) {
      __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }`;
    const all = await gql<{ reexecutePartitionBackfill: { __typename: string; backfillId: string } }>(
      reexecute,
      {
        p: { parentRunId: seedId, strategy: 'ALL_STEPS', extraTags: [{ key: 'why', value: 'rerun' }] },
      },
    );
    expect(all.reexecutePartitionBackfill.__typename).toBe('LaunchBackfillSuccess');
    const child = await backfill(all.reexecutePartitionBackfill.backfillId);
    expect(child).toMatchObject({
      numPartitions: 6,
      title: 'Seed backfill',
      assetSelection: ASSETS.map(path),
    });
    expect(child.tags).toEqual(
      expect.arrayContaining([
        { key: 'dagster/parent_backfill_id', value: seedId },
        { key: 'why', value: 'rerun' },
      ]),
    );
    const before = backfillCount();
    const fromFailure = await gql<{ reexecutePartitionBackfill: { __typename: string; message: string } }>(
      reexecute,
      {
        p: { parentRunId: seedId, strategy: 'FROM_FAILURE' },
      },
    );
    expect(fromFailure.reexecutePartitionBackfill).toEqual({
      __typename: 'PythonError',
      message: `backfill ${seedId} is COMPLETED_SUCCESS; only a COMPLETED_FAILED, CANCELED or FAILED backfill can be retried`,
    });
    expect(backfillCount()).toBe(before);
  });

  it('a viewer may read backfills but not launch, pause, resume, cancel or re-execute them', async () => {
    const before = backfillCount();
    const read = await asRole(
      'viewer',
      'query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { id hasCancelPermission hasResumePermission } } }',
      { id: seedId },
    );
    expect(read.data?.partitionBackfillOrError).toEqual({
      id: seedId,
      hasCancelPermission: false,
      hasResumePermission: false,
    });
    const mutations: [string, Record<string, unknown>][] = [
      [LAUNCH, { params: { assetSelection: [path('sales/raw_orders')], allPartitions: true } }],
      [ACTION('pausePartitionBackfill'), { id: seedId }],
      [ACTION('resumePartitionBackfill'), { id: seedId }],
      [ACTION('cancelPartitionBackfill'), { id: seedId }],
      [
        'mutation($id: String!) { reexecutePartitionBackfill(reexecutionParams: { parentRunId: $id, strategy: ALL_STEPS }) { __typename } }',
        { id: seedId },
      ],
    ];
    for (const [source, variables] of mutations) {
      const result = await asRole('viewer', source, variables);
      expect(Object.values(result.data ?? {})[0], source).toMatchObject({ __typename: 'UnauthorizedError' });
    }
    expect(backfillCount()).toBe(before);
    const operator = await asRole('operator', ACTION('pausePartitionBackfill'), { id: 'bf_missing' });
    expect(operator.data?.pausePartitionBackfill).toMatchObject({ __typename: 'BackfillNotFoundError' });
  });
});

describe('the backfillProgress subscription', () => {
  it('an unknown backfill is refused with NOT_FOUND', async () => {
    const result = await subscribe({
      schema,
      document: parse('subscription { backfillProgress(backfillId: "bf_nope") { id } }'),
      contextValue: await contextAs('viewer'),
    });
    expect(result).toMatchObject({
      errors: [{ message: 'backfill bf_nope does not exist', extensions: { code: 'NOT_FOUND' } }],
    });
  });

  it('delivers the backfill as its chunks run, and completes when it has finished', async () => {
    const launched = await launch({
      assetSelection: [path('sales/raw_orders')],
      partitionNames: ['2026-09-01', '2026-09-02', '2026-09-03'],
      chunkSize: 1,
      maxConcurrentRuns: 1,
    });
    const id = launched.backfillId as string;
    const client = createClient({
      url: `${servo.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: {},
      retryAttempts: 0,
    });
    const updates: { state: string; materialized: number }[] = [];
    const done = (async () => {
      for await (const result of client.iterate<{
        backfillProgress: { state: string; counts: { materializedPartitions: number } };
      }>({
        query:
          'subscription($id: String!) { backfillProgress(backfillId: $id) { state counts { materializedPartitions } } }',
        variables: { id },
      })) {
        if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
        const progress = result.data?.backfillProgress;
        if (progress !== undefined)
          updates.push({ state: progress.state, materialized: progress.counts.materializedPartitions });
      }
    })();
    try {
      for (let wait = 0; updates.length === 0 && wait < 250; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (let step = 0; step < 20 && updates.at(-1)?.state !== 'COMPLETED_SUCCESS'; step++)
        await servo.advance(15);
      await done;
    } finally {
      await client.dispose();
    }
    expect(updates.at(-1)).toEqual({ state: 'COMPLETED_SUCCESS', materialized: 3 });
    const materialized = updates.map((update) => update.materialized);
    expect(materialized).toEqual([...materialized].sort((a, b) => a - b));
    expect(new Set(materialized).size).toBeGreaterThan(1);
  });
});

describe('reading many backfills', () => {
  it('a page of backfills with their partitions, runs and per-asset progress costs the same reads for 1 or 5', async () => {
    const page = `query($limit: Int) { partitionBackfillsOrError(limit: $limit) { ... on PartitionBackfills { results {
      id status partitionNames numCancelable error { message } runs(limit: 5) { runId } cancelableRuns { runId }
      partitionStatusCounts { runStatus count } partitionsTargetedForAssetKey { ranges { start end } }
      assetBackfillData { assetBackfillStatuses { ... on AssetPartitionsStatusCounts { numPartitionsMaterialized } } }
    } } } }`;
    const one = await asRole('viewer', page, { limit: 1 });
    const five = await asRole('viewer', page, { limit: 5 });
    expect(one.errors).toBeUndefined();
    expect(five.errors).toBeUndefined();
    const results = (five.data?.partitionBackfillsOrError as { results: unknown[] } | undefined)?.results;
    expect(results).toHaveLength(5);
    expect(five.reads).toBe(one.reads);
  });
});
