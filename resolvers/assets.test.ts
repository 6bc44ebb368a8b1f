import { graphql } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { requestRun } from '../engine/commands/runs.js';
import { schema } from '../schema/index.js';
import { apiWorkspaceOf, createApiServices } from '../server/api-services.js';
import { type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';
import { type ApiContext, createApiContext, type Role } from './context.js';

/**
 * Assets, partitions, their statuses, dynamic partitions and quarantined push messages through the
 * GraphQL API, against an embedded Servo seeded with schedule ticks, a six-day backfill whose 3rd
 * and 6th days fail once and are retried, a push message adding the customer `acme` and a manual
 * run of raw_orders for 2026-11-18.
 */

const path = (key: string) => ({ path: key.split('/') });
const location = { repositoryName: '__repository__', repositoryLocationName: 'sales' };

const STATUSES = `
  query Statuses($keys: [AssetKeyInput!]) {
    assetNodes(assetKeys: $keys) {
      assetKey { path }
      partitionKeys
      partitionStats { numMaterialized numPartitions numFailed numMaterializing }
      assetPartitionStatuses {
        __typename
        ... on TimePartitionStatuses { ranges { startKey endKey startTime endTime status } }
        ... on DefaultPartitionStatuses { materializedPartitions failedPartitions unmaterializedPartitions materializingPartitions }
      }
    }
  }`;

interface StatusNode {
  assetKey: { path: string[] };
  partitionKeys: string[];
  partitionStats: {
    numMaterialized: number;
    numPartitions: number;
    numFailed: number;
    numMaterializing: number;
  } | null;
  assetPartitionStatuses: {
    __typename: string;
    ranges?: { startKey: string; endKey: string; startTime: number; endTime: number; status: string }[];
    materializedPartitions?: string[];
    failedPartitions?: string[];
    unmaterializedPartitions?: string[];
    materializingPartitions?: string[];
  };
}

let servo: SeededServo;

async function gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) {
  const result = await servo.graphql<T>(query, variables);
  if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
  return result.data as T;
}

async function statuses(key: string): Promise<StatusNode> {
  const data = await gql<{ assetNodes: StatusNode[] }>(STATUSES, { keys: [path(key)] });
  const node = data.assetNodes[0];
  if (node === undefined) throw new Error(`no asset node ${key}`);
  return node;
}

async function contextAs(role: Role): Promise<ApiContext> {
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

/** Runs an operation in process as a caller with `role` (the embedded server's loopback caller is admin). */
async function asRole(role: Role, source: string, variableValues: Record<string, unknown> = {}) {
  return graphql({ schema, source, variableValues, contextValue: await contextAs(role) });
}

function ledgerHead(): number {
  return servo.servo.automation.workspace.projections.watermark.seq;
}

beforeAll(async () => {
  servo = await startSeededServo();
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('asset nodes', () => {
  it('lists the definitions with their groups, partitions and edges of the asset graph', async () => {
    const data = await gql<{ assetNodes: Record<string, unknown>[] }>(`{
      assetNodes {
        id assetKey { path } groupName description isMaterializable isPartitioned jobNames
        partitionDefinition { type description fmt name dimensionTypes { name type isPrimaryDimension dynamicPartitionsDefinitionName } }
        dependencyKeys { path } dependedByKeys { path }
        repository { name location { name } }
        autoMaterializePolicy { __typename }
        freshnessPolicy { maximumLagMinutes }
      }
    }`);
    const nodes = data.assetNodes;
    expect(nodes.map((node) => (node.assetKey as { path: string[] }).path.join('/'))).toEqual([
      'sales/cleaned_orders',
      'sales/customer_profiles',
      'sales/daily_revenue',
      'sales/inbox_snapshot',
      'sales/raw_orders',
    ]);
    expect(nodes[0]).toEqual({
      id: 'sales.__repository__.sales/cleaned_orders',
      assetKey: path('sales/cleaned_orders'),
      groupName: 'sales',
      description:
        'Orders with test accounts and duplicates removed. Fails its first try on days divisible by 3.',
      isMaterializable: true,
      isPartitioned: true,
      jobNames: ['__ASSET_JOB'],
      partitionDefinition: {
        type: 'TIME_WINDOW',
        description: 'daily partitions from 2026-01-01 (UTC)',
        fmt: '%Y-%m-%d',
        name: null,
        dimensionTypes: [
          {
            name: 'default',
            type: 'TIME_WINDOW',
            isPrimaryDimension: true,
            dynamicPartitionsDefinitionName: null,
          },
        ],
      },
      dependencyKeys: [path('sales/raw_orders')],
      dependedByKeys: [path('sales/daily_revenue')],
      repository: { name: '__repository__', location: { name: 'sales' } },
      autoMaterializePolicy: null,
      freshnessPolicy: null,
    });
    expect(nodes[1]).toMatchObject({
      groupName: 'customers',
      partitionDefinition: {
        type: 'DYNAMIC',
        name: 'customers',
        dimensionTypes: [{ name: 'default', type: 'DYNAMIC', dynamicPartitionsDefinitionName: 'customers' }],
      },
    });
    expect(nodes[2]).toMatchObject({ freshnessPolicy: { maximumLagMinutes: 60 } });
    expect(nodes[3]).toMatchObject({ isPartitioned: false, partitionDefinition: null, groupName: 'ingest' });
  });

  it('selects by group, by the implicit asset job and by key, leaving unknown keys out', async () => {
    const keysOf = (data: { assetNodes: { assetKey: { path: string[] } }[] }) =>
      data.assetNodes.map((node) => node.assetKey.path.join('/'));
    const group = await gql<{ assetNodes: { assetKey: { path: string[] } }[] }>(
      `{ assetNodes(group: { groupName: "ingest", repositoryName: "__repository__", repositoryLocationName: "sales" }) { assetKey { path } } }`,
    );
    expect(keysOf(group)).toEqual(['sales/inbox_snapshot']);
    const job = await gql<{ assetNodes: { assetKey: { path: string[] } }[] }>(
      `{ assetNodes(pipeline: { pipelineName: "__ASSET_JOB", repositoryName: "__repository__", repositoryLocationName: "sales", assetSelection: [{ path: ["sales", "raw_orders"] }] }) { assetKey { path } } }`,
    );
    expect(keysOf(job)).toEqual(['sales/raw_orders']);
    const otherJob = await gql<{ assetNodes: unknown[] }>(
      `{ assetNodes(pipeline: { pipelineName: "nightly", repositoryName: "__repository__", repositoryLocationName: "sales" }) { id } }`,
    );
    expect(otherJob.assetNodes).toEqual([]);
    const keys = await gql<{ assetNodes: { assetKey: { path: string[] } }[] }>(
      `{ assetNodes(assetKeys: [{ path: ["sales", "raw_orders"] }, { path: ["nope"] }]) { assetKey { path } } }`,
    );
    expect(keysOf(keys)).toEqual(['sales/raw_orders']);
  });

  it('finds an asset with its group and code location, and says when there is none', async () => {
    const query = `query($key: AssetKeyInput!) { assetOrError(assetKey: $key) { __typename ... on Asset { id key { path } definition { groupName repository { name location { name } } } } ... on AssetNotFoundError { message } } }`;
    const found = await gql<{ assetOrError: Record<string, unknown> }>(query, {
      key: path('sales/daily_revenue'),
    });
    expect(found.assetOrError).toEqual({
      __typename: 'Asset',
      id: 'sales/daily_revenue',
      key: path('sales/daily_revenue'),
      definition: { groupName: 'sales', repository: { name: '__repository__', location: { name: 'sales' } } },
    });
    const missing = await gql<{ assetOrError: Record<string, unknown> }>(query, { key: path('sales/nope') });
    expect(missing.assetOrError).toEqual({
      __typename: 'AssetNotFoundError',
      message: 'no asset sales/nope is defined or recorded',
    });
    const node = await gql<{ assetNodeOrError: { __typename: string } }>(
      `{ assetNodeOrError(assetKey: { path: ["sales", "nope"] }) { __typename } }`,
    );
    expect(node.assetNodeOrError.__typename).toBe('AssetNotFoundError');
  });

  it('reads the projections a constant number of times however many assets a page shows', async () => {
    const page = `query($keys: [AssetKeyInput!]) { assetNodes(assetKeys: $keys) {
      id groupName dependedByKeys { path } repository { id } partitionKeys partitionStats { numMaterialized }
      assetPartitionStatuses { __typename } staleStatus(partition: "2026-11-19") latestRunForPartition(partition: "2026-11-19") { id }
    } }`;
    const one = await contextAs('viewer');
    const single = await graphql({
      schema,
      source: page,
      variableValues: { keys: [path('sales/raw_orders')] },
      contextValue: one,
    });
    expect(single.errors).toBeUndefined();
    const all = await contextAs('viewer');
    const many = await graphql({ schema, source: page, variableValues: {}, contextValue: all });
    expect(many.errors).toBeUndefined();
    expect(many.data?.assetNodes).toHaveLength(5);
    expect(all.reads.count).toBeLessThanOrEqual(one.reads.count + 1);
  });
});

describe('partition keys', () => {
  it('lists the daily windows complete now and pages through them from either end', async () => {
    const raw = await statuses('sales/raw_orders');
    expect(raw.partitionKeys[0]).toBe('2026-01-01');
    expect(raw.partitionKeys.at(-1)).toBe('2026-11-19');
    expect(raw.partitionKeys).toHaveLength(323);
    const PAGE = `query($cursor: String, $limit: Int!) { assetNodes(assetKeys: [{ path: ["sales", "raw_orders"] }]) { partitionKeyConnection(limit: $limit, ascending: false, cursor: $cursor) { results cursor hasMore } } }`;
    type Page = {
      assetNodes: { partitionKeyConnection: { results: string[]; cursor: string; hasMore: boolean } }[];
    };
    const first = (await gql<Page>(PAGE, { limit: 2 })).assetNodes[0]?.partitionKeyConnection;
    expect(first).toMatchObject({ results: ['2026-11-19', '2026-11-18'], hasMore: true });
    const second = (await gql<Page>(PAGE, { limit: 2, cursor: first?.cursor })).assetNodes[0]
      ?.partitionKeyConnection;
    expect(second?.results).toEqual(['2026-11-17', '2026-11-16']);
    const tooMany = await servo.graphql(PAGE, { limit: 1001 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const forged = await servo.graphql(PAGE, { limit: 2, cursor: 'not-a-cursor' });
    expect(forged.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('partition statuses', () => {
  it('show the seeded days materialized, the failed-then-retried days included', async () => {
    const cleaned = await statuses('sales/cleaned_orders');
    expect(cleaned.assetPartitionStatuses.__typename).toBe('TimePartitionStatuses');
    const ranges = cleaned.assetPartitionStatuses.ranges ?? [];
    expect(ranges.some((range) => range.status === 'FAILED')).toBe(false);
    expect(ranges).toContainEqual({
      startKey: '2026-11-01',
      endKey: '2026-11-06',
      startTime: Date.parse('2026-11-01T00:00:00Z') / 1000,
      endTime: Date.parse('2026-11-07T00:00:00Z') / 1000,
      status: 'MATERIALIZED',
    });
    expect(ranges.at(-1)).toMatchObject({
      startKey: '2026-11-19',
      endKey: '2026-11-19',
      status: 'MATERIALIZED',
    });
    expect(cleaned.partitionStats).toEqual({
      numMaterialized: 7,
      numPartitions: 323,
      numFailed: 0,
      numMaterializing: 0,
    });
    const raw = await statuses('sales/raw_orders');
    expect(raw.assetPartitionStatuses.ranges?.at(-1)).toMatchObject({
      startKey: '2026-11-18',
      endKey: '2026-11-19',
    });
  });

  it('show an unpartitioned asset as empty default statuses, as Dagster does', async () => {
    const inbox = await statuses('sales/inbox_snapshot');
    expect(inbox).toMatchObject({
      partitionKeys: [],
      partitionStats: null,
      assetPartitionStatuses: {
        __typename: 'DefaultPartitionStatuses',
        materializedPartitions: [],
        failedPartitions: [],
        unmaterializedPartitions: [],
        materializingPartitions: [],
      },
    });
  });

  it('read staleness and the latest run of a partition', async () => {
    const data = await gql<{ assetNodes: Record<string, unknown>[] }>(`{
      assetNodes(assetKeys: [{ path: ["sales", "daily_revenue"] }, { path: ["sales", "inbox_snapshot"] }]) {
        assetKey { path }
        missing: staleStatus(partition: "2026-10-01")
        whole: staleStatus
        unpartitioned: staleStatus(partition: "")
        causes: staleCauses(partition: "2026-10-01") { category }
        run: latestRunForPartition(partition: "2026-11-03") { status assetSelection { path } }
      }
    }`);
    expect(data.assetNodes[0]).toMatchObject({
      missing: 'MISSING',
      whole: null,
      causes: [],
      run: { status: 'SUCCESS' },
    });
    expect(data.assetNodes[1]).toMatchObject({ whole: 'FRESH', run: { status: 'SUCCESS' } });
  });
});

describe('dynamic partitions', () => {
  const ADD = `mutation($key: String!, $name: String!, $location: RepositorySelector!) { addDynamicPartition(partitionKey: $key, partitionsDefName: $name, repositorySelector: $location) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionsDefName partitionKey }
    ... on DuplicateDynamicPartitionError { message partitionsDefName partitionName }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  } }`;
  const DELETE = `mutation($keys: [String!]!, $name: String!, $location: RepositorySelector!) { deleteDynamicPartitions(partitionKeys: $keys, partitionsDefName: $name, repositorySelector: $location) {
    __typename
    ... on DeleteDynamicPartitionsSuccess { partitionsDefName }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  } }`;

  it('the customer a push message added is a partition, materialized by the sensor run', async () => {
    const profiles = await statuses('sales/customer_profiles');
    expect(profiles.partitionKeys).toEqual(['acme']);
    expect(profiles.assetPartitionStatuses).toMatchObject({
      __typename: 'DefaultPartitionStatuses',
      materializedPartitions: ['acme'],
      unmaterializedPartitions: [],
    });
  });

  it('keys added and deleted by hand show in partitionKeys and the statuses', async () => {
    const added = await gql<{ addDynamicPartition: Record<string, unknown> }>(ADD, {
      key: 'globex',
      name: 'customers',
      location,
    });
    expect(added.addDynamicPartition).toEqual({
      __typename: 'AddDynamicPartitionSuccess',
      partitionsDefName: 'customers',
      partitionKey: 'globex',
    });
    let profiles = await statuses('sales/customer_profiles');
    expect(profiles.partitionKeys).toEqual(['acme', 'globex']);
    expect(profiles.assetPartitionStatuses.unmaterializedPartitions).toEqual(['globex']);
    expect(profiles.partitionStats).toEqual({
      numMaterialized: 1,
      numPartitions: 2,
      numFailed: 0,
      numMaterializing: 0,
    });

    const duplicate = await gql<{ addDynamicPartition: Record<string, unknown> }>(ADD, {
      key: 'globex',
      name: 'customers',
      location,
    });
    expect(duplicate.addDynamicPartition).toMatchObject({
      __typename: 'DuplicateDynamicPartitionError',
      partitionsDefName: 'customers',
      partitionName: 'globex',
    });

    const deleted = await gql<{ deleteDynamicPartitions: Record<string, unknown> }>(DELETE, {
      keys: ['globex', 'never-added'],
      name: 'customers',
      location,
    });
    expect(deleted.deleteDynamicPartitions).toEqual({
      __typename: 'DeleteDynamicPartitionsSuccess',
      partitionsDefName: 'customers',
    });
    profiles = await statuses('sales/customer_profiles');
    expect(profiles.partitionKeys).toEqual(['acme']);
  });

  it('a new customer pushed to the sensor becomes a partition and is materialized', async () => {
    const response = await fetch(`${servo.url}/push/sales/customer_signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-message-id': 'test-signup-initech' },
      body: JSON.stringify({ customer: 'initech' }),
    });
    expect(response.status).toBe(200);
    await servo.advance(15);
    const profiles = await statuses('sales/customer_profiles');
    expect(profiles.partitionKeys).toEqual(['acme', 'initech']);
    expect(profiles.assetPartitionStatuses.materializedPartitions).toEqual(['acme', 'initech']);
  });

  it('refuses a definition the code location does not use, a bad key, and a viewer', async () => {
    const head = ledgerHead();
    const unknown = await gql<{ addDynamicPartition: { __typename: string; message: string } }>(ADD, {
      key: 'x',
      name: 'suppliers',
      location,
    });
    expect(unknown.addDynamicPartition).toEqual({
      __typename: 'PythonError',
      message: "code location sales has no asset partitioned by dynamic partitions 'suppliers'",
    });
    const elsewhere = await gql<{ addDynamicPartition: { __typename: string } }>(ADD, {
      key: 'x',
      name: 'customers',
      location: { ...location, repositoryLocationName: 'other' },
    });
    expect(elsewhere.addDynamicPartition.__typename).toBe('PythonError');
    const badKey = await gql<{ addDynamicPartition: { __typename: string; message: string } }>(ADD, {
      key: 'a'.repeat(10_000),
      name: 'customers',
      location,
    });
    expect(badKey.addDynamicPartition.__typename).toBe('PythonError');
    for (const [source, variables] of [
      [ADD, { key: 'x', name: 'customers', location }],
      [DELETE, { keys: ['acme'], name: 'customers', location }],
    ] as const) {
      const result = await asRole('viewer', source, variables);
      expect(Object.values(result.data ?? {})[0]).toMatchObject({ __typename: 'UnauthorizedError' });
    }
    expect(ledgerHead()).toBe(head);
  });
});

describe('the assetPartitionStatus subscription', () => {
  it('sends the current statuses, then the statuses after a run materializes a partition', async () => {
    const client = createClient({
      url: `${servo.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    type Update = {
      partitionKeys: string[];
      partitionStats: { numMaterialized: number; numMaterializing: number };
      assetPartitionStatuses: { ranges: { startKey: string; endKey: string; status: string }[] };
    };
    const updates: Update[] = [];
    const subscription = client.iterate<{ assetPartitionStatus: Update }>({
      query: `subscription { assetPartitionStatus(assetKey: { path: ["sales", "raw_orders"] }) {
        partitionKeys
        partitionStats { numMaterialized numMaterializing }
        assetPartitionStatuses { ... on TimePartitionStatuses { ranges { startKey endKey status } } }
      } }`,
    });
    const isDone = (update: Update) =>
      update.assetPartitionStatuses.ranges.some(
        (range) =>
          range.startKey <= '2026-11-10' && range.endKey >= '2026-11-10' && range.status === 'MATERIALIZED',
      );
    const collected = (async () => {
      for await (const result of subscription) {
        if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
        const update = result.data?.assetPartitionStatus;
        if (update === undefined) continue;
        updates.push(update);
        if (isDone(update)) return;
      }
    })();
    let initial: Update | undefined;
    try {
      while (updates.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      initial = updates[0] as Update;
      expect(initial.partitionKeys).toEqual([]);
      expect(isDone(initial)).toBe(false);
      await requestRun(
        servo.servo.automation,
        {
          assetSelection: ['sales/raw_orders'],
          partitionKeys: ['2026-11-10'],
          runKey: 'test-subscription-1',
        },
        'test',
      );
      for (let step = 0; step < 10 && !updates.some(isDone); step++) await servo.advance(5);
      await collected;
    } finally {
      await subscription.return?.();
      await client.dispose();
    }
    const last = updates.at(-1) as Update;
    expect(last.partitionKeys).toContain('2026-11-10');
    expect(last.partitionStats.numMaterialized).toBe((initial?.partitionStats.numMaterialized ?? 0) + 1);
    expect(updates.slice(1).every((update) => update.partitionKeys.includes('2026-11-10'))).toBe(true);
  });

  it('refuses an asset that does not exist', async () => {
    const client = createClient({
      url: `${servo.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    let code: unknown;
    try {
      for await (const result of client.iterate({
        query: 'subscription { assetPartitionStatus(assetKey: { path: ["nope"] }) { timestamp } }',
      })) {
        code = result.errors?.[0]?.extensions?.code;
        break;
      }
    } catch (error) {
      // graphql-ws rejects with the operation's GraphQL errors.
      code = (error as { extensions?: { code?: string } }[])[0]?.extensions?.code;
    } finally {
      await client.dispose();
    }
    expect(code).toBe('NOT_FOUND');
  });
});

describe('quarantined push messages', () => {
  it('lists a message that is not JSON with its reason, sensor and a preview of its body', async () => {
    const response = await fetch(`${servo.url}/push/sales/customer_signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"customer": "acme"',
    });
    expect(response.status).toBe(202);
    const data = await gql<{
      quarantinedMessages: { results: Record<string, unknown>[]; cursor: string | null; hasMore: boolean };
    }>(`{ quarantinedMessages(limit: 5) {
      results { id sensorName repositoryLocationName reason receivedTimestamp sizeBytes bodyKept payloadPreview replayedTimestamp }
      cursor hasMore
    } }`);
    // A body that is not JSON is quarantined before its message id is read: it is found by its body.
    const message = data.quarantinedMessages.results.find(
      (row) => row.payloadPreview === '{"customer": "acme"',
    );
    expect(message).toMatchObject({
      sensorName: 'customer_signups',
      repositoryLocationName: 'sales',
      sizeBytes: 19,
      bodyKept: true,
      payloadPreview: '{"customer": "acme"',
      replayedTimestamp: null,
    });
    expect(message?.reason).toMatch(/JSON/i);
    expect(message?.receivedTimestamp).toBe(servo.servo.automation.clock.now().getTime() / 1000);
    const tooMany = await servo.graphql('{ quarantinedMessages(limit: 1001) { hasMore } }');
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages newest first with an opaque cursor', async () => {
    for (const body of ['not json 2', 'not json 3']) {
      await fetch(`${servo.url}/push/sales/customer_signups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await servo.advance(1);
    }
    const PAGE = `query($cursor: String) { quarantinedMessages(limit: 2, cursor: $cursor) { results { payloadPreview } cursor hasMore } }`;
    type Page = {
      quarantinedMessages: { results: { payloadPreview: string }[]; cursor: string | null; hasMore: boolean };
    };
    const first = (await gql<Page>(PAGE)).quarantinedMessages;
    expect(first.results.map((row) => row.payloadPreview)).toEqual(['not json 3', 'not json 2']);
    expect(first.hasMore).toBe(true);
    const second = (await gql<Page>(PAGE, { cursor: first.cursor })).quarantinedMessages;
    expect(second.results.map((row) => row.payloadPreview)).toContain('{"customer": "acme"');
  });
});

describe('replaying a quarantined push message', () => {
  it('hands a message sent while its sensor was stopped to the sensor once it runs again', async () => {
    const sensor = {
      repositoryName: '__repository__',
      repositoryLocationName: 'sales',
      sensorName: 'customer_signups',
    };
    await gql('mutation { stopSensor(id: "sales:customer_signups") { __typename } }');
    const push = await fetch(`${servo.url}/push/sales/customer_signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-message-id': 'replay-me-1' },
      body: JSON.stringify({ customer: 'initech' }),
    });
    expect(push.status).toBe(202);
    const listed = await gql<{
      quarantinedMessages: { results: { id: string; messageId: string | null; reason: string }[] };
    }>('{ quarantinedMessages(limit: 10, pendingOnly: true) { results { id messageId reason } } }');
    const message = listed.quarantinedMessages.results.find((row) => row.messageId === 'replay-me-1');
    expect(message?.reason).toMatch(/stopped/i);

    const REPLAY = `mutation($id: ID!) { replayQuarantinedMessage(id: $id) {
      __typename
      ... on QuarantinedMessageReplayed { outcome evaluationId }
      ... on PythonError { message }
    } }`;
    // Still stopped: the message stays in quarantine and the answer says why.
    const early = await gql<{ replayQuarantinedMessage: { __typename: string; message?: string } }>(REPLAY, {
      id: message?.id,
    });
    expect(early.replayQuarantinedMessage.__typename).toBe('PythonError');
    expect(early.replayQuarantinedMessage.message).toMatch(/still cannot be accepted/);

    await gql('mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename } }', {
      s: sensor,
    });
    const replayed = await gql<{ replayQuarantinedMessage: { __typename: string; outcome?: string } }>(
      REPLAY,
      {
        id: message?.id,
      },
    );
    expect(replayed.replayQuarantinedMessage).toMatchObject({
      __typename: 'QuarantinedMessageReplayed',
      outcome: 'evaluated',
    });
    await servo.advance(5);
    const partitions = await gql<{ assetNodes: { partitionKeys: string[] }[] }>(
      '{ assetNodes(assetKeys: [{ path: ["sales", "customer_profiles"] }]) { partitionKeys } }',
    );
    expect(partitions.assetNodes[0]?.partitionKeys).toContain('initech');

    const again = await gql<{ replayQuarantinedMessage: { __typename: string; message?: string } }>(REPLAY, {
      id: message?.id,
    });
    expect(again.replayQuarantinedMessage.message).toMatch(/already replayed/);
  });
});
