import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GraphQLField, type GraphQLObjectType, type GraphQLSchema, parse, validate } from 'graphql';
import { createClient } from 'graphql-ws';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiKeyFile, generateApiKey } from '../engine/api-keys.js';
import { launchBackfill, pauseBackfill } from '../engine/commands/backfills.js';
import { requestRun } from '../engine/commands/runs.js';
import { setScheduleStatus, upsertSchedule } from '../engine/commands/schedules.js';
import { setSensorCursor } from '../engine/commands/sensors.js';
import { parseEnv } from '../engine/config/env.js';
import { schema } from '../schema/index.js';
import { type EmbeddedServo, startEmbedded } from './embedded.js';
import type { EmbeddedWorkspace } from './embedded-workspaces.js';
import {
  type IsolationFacts,
  type IsolationWorld,
  ROOT_FIELD_FIXTURES,
  type RootFieldFixture,
} from './tenant-isolation.fixtures.js';
import { selectEverything } from './testing/selection.js';

/**
 * Two workspaces served by one embedded server — A (acme/prod, the default) and B (globex/prod:
 * another tenant, the same workspace name) — each seeded with the example code location, and B
 * with data only it has. For every root field of Query, Mutation and Subscription, enumerated from
 * the schema (so fields added later are covered, and the test fails until they have a fixture in
 * tenant-isolation.fixtures.ts): A's keys, asking with B's ids and names, never see B's data,
 * never change B's ledger, never receive B's changes; and A's viewer key changes nothing at all.
 * Controls show that B's own key, with the same arguments, does see and change B.
 */

const SEED_START = '2026-11-20T00:00:00.000Z';
const A = { tenantId: 'acme', workspaceId: 'prod' };
const B = { tenantId: 'globex', workspaceId: 'prod' };

/** Strings only B's data contains (also checked against A's state before anything runs). */
const B_ONLY = {
  backfillTitle: 'Globex-only backfill 7c1d',
  manualRunKey: 'globex-manual-9e2b',
  sensorCursor: 'globex-cursor-5d81',
  customer: 'globex-signup-3f7a',
  scheduleName: 'globex_only_schedule',
  quarantined: 'globex-quarantine-1a2b',
};

type RootKind = 'Query' | 'Mutation' | 'Subscription';

interface RootField {
  kind: RootKind;
  name: string;
  field: GraphQLField<unknown, unknown>;
}

function rootFields(graphqlSchema: GraphQLSchema): RootField[] {
  const roots: [RootKind, GraphQLObjectType | null | undefined][] = [
    ['Query', graphqlSchema.getQueryType()],
    ['Mutation', graphqlSchema.getMutationType()],
    ['Subscription', graphqlSchema.getSubscriptionType()],
  ];
  return roots.flatMap(([kind, type]) =>
    type === null || type === undefined
      ? []
      : Object.values(type.getFields()).map((field) => ({ kind, name: `${kind}.${field.name}`, field })),
  );
}

/** The operation asking `root` for everything within the fixture's depth, its arguments as variables. */
function operationFor(root: RootField, fixture: RootFieldFixture, facts: IsolationFacts) {
  const args = fixture.args?.(facts) ?? {};
  const unknown = Object.keys(args).filter((name) => !root.field.args.some((arg) => arg.name === name));
  if (unknown.length > 0)
    throw new Error(`${root.name}: the fixture names arguments it lacks: ${unknown.join(', ')}`);
  const used = root.field.args.filter((arg) => arg.name in args);
  const definitions = used.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const call = used.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const keyword = root.kind === 'Query' ? 'query' : root.kind === 'Mutation' ? 'mutation' : 'subscription';
  const query = `${keyword} Isolation${definitions === '' ? '' : `(${definitions})`} { ${root.field.name}${
    call === '' ? '' : `(${call})`
  } ${selectEverything(schema, root.field.type, fixture.depth ?? 4)} }`;
  return { query, variables: args };
}

interface GraphqlResult {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Whether a response holds an `UnauthorizedError` anywhere, or an UNAUTHORIZED error. */
function refusedAsUnauthorized(result: GraphqlResult): boolean {
  const found = (value: unknown): boolean => {
    if (Array.isArray(value)) return value.some(found);
    if (value === null || typeof value !== 'object') return false;
    if ((value as { __typename?: unknown }).__typename === 'UnauthorizedError') return true;
    return Object.values(value).some(found);
  };
  return (
    found(result.data) || (result.errors ?? []).some((error) => error.extensions?.code === 'UNAUTHORIZED')
  );
}

describe('tenant and workspace isolation', () => {
  let dataDir: string;
  let servo: EmbeddedServo;
  let world: IsolationWorld;
  let keys: Record<'aViewer' | 'aOperator' | 'bOperator' | 'bAdmin', string>;
  let bMarkers: string[];
  const fields = rootFields(schema);

  const graphql = async (
    key: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphqlResult> => {
    const response = await fetch(`${servo.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${key}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as Omit<GraphqlResult, 'status'>) };
  };

  const workspaceOf = (scope: typeof A): EmbeddedWorkspace => {
    const entry = servo.workspaces.get(`${scope.tenantId}/${scope.workspaceId}`);
    if (entry === undefined)
      throw new Error(`workspace ${scope.tenantId}/${scope.workspaceId} is not served`);
    return entry;
  };

  /** The ledger head of a workspace, as its own key sees it on /healthz, once everything has settled. */
  const ledgerSeq = async (scope: typeof A, key: string): Promise<number> => {
    await advance(0);
    const response = await fetch(`${servo.url}/healthz`, { headers: { authorization: `Bearer ${key}` } });
    const report = (await response.json()) as {
      tenantId: string;
      workspaceId: string;
      ledgerHead: { seq: number };
    };
    expect({ tenantId: report.tenantId, workspaceId: report.workspaceId }).toEqual(scope);
    return report.ledgerHead.seq;
  };

  /** B's markers in `value`, except those the caller itself sent (an error may echo an argument). */
  const leaked = (value: unknown, sent: unknown = {}): string[] => {
    const text = JSON.stringify(value);
    const given = JSON.stringify(sent);
    return bMarkers.filter((marker) => text.includes(marker) && !given.includes(marker));
  };
  const tablesJson = (scope: typeof A): string =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(workspaceOf(scope).automation.tables()).map(([table, rows]) => [
          table,
          [...rows.entries()],
        ]),
      ),
    );

  const advance = async (seconds: number): Promise<void> => {
    const result = await graphql(
      keys.bAdmin,
      'mutation Advance($seconds: Int!) { advanceClock(seconds: $seconds) { __typename } }',
      { seconds },
    );
    if ((result.data?.advanceClock as { __typename?: string } | undefined)?.__typename !== 'ClockAdvanced') {
      throw new Error(`advanceClock failed: ${JSON.stringify(result)}`);
    }
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'servo-isolation-'));
    const inbox = join(dataDir, 'inbox');
    await mkdir(inbox, { recursive: true });
    process.env.SERVO_CLOCK = 'virtual';
    process.env.SERVO_EXAMPLE_INBOX = inbox;
    const keyFile = new ApiKeyFile(join(dataDir, 'api-keys.jsonl'));
    const now = new Date(SEED_START);
    const made = {
      aViewer: generateApiKey({ tenant: A.tenantId, workspace: A.workspaceId, role: 'viewer', now }),
      aOperator: generateApiKey({ tenant: A.tenantId, workspace: A.workspaceId, role: 'operator', now }),
      bOperator: generateApiKey({ tenant: B.tenantId, workspace: B.workspaceId, role: 'operator', now }),
      bAdmin: generateApiKey({ tenant: B.tenantId, workspace: B.workspaceId, role: 'admin', now }),
    };
    for (const { record } of Object.values(made)) await keyFile.add(record);
    keys = {
      aViewer: made.aViewer.key,
      aOperator: made.aOperator.key,
      bOperator: made.bOperator.key,
      bAdmin: made.bAdmin.key,
    };
    const env = parseEnv({
      PORT: '0',
      SERVO_HOST: '127.0.0.1',
      SERVO_DATA_DIR: dataDir,
      SERVO_TENANT: A.tenantId,
      SERVO_WORKSPACE: A.workspaceId,
      SERVO_CLOCK: 'virtual',
      SERVO_CLOCK_START: SEED_START,
      SERVO_API_KEYS_FILE: keyFile.path,
    });
    servo = await startEmbedded(env, pino({ level: 'warn' }));
    expect([...servo.workspaces.keys()].sort()).toEqual(['acme/prod', 'globex/prod']);

    // Both workspaces tick, run and get a sensor file; then B alone gets a backfill, a manual run,
    // a cursor, a new customer, and its every_15_seconds schedule stopped.
    const a = workspaceOf(A).automation;
    const b = workspaceOf(B).automation;
    await advance(60);
    await writeFile(join(inbox, 'orders-2026-11-19.csv'), 'id,amount\n1,10\n');
    await advance(30);
    await launchBackfill(
      a,
      {
        assetSelection: ['sales/raw_orders'],
        selector: { kind: 'range', start: '2026-11-01', end: '2026-11-02' },
        title: 'Acme backfill',
        requestId: 'acme-backfill',
      },
      'seed',
    );
    const bBackfillId = await launchBackfill(
      b,
      {
        assetSelection: ['sales/raw_orders', 'sales/cleaned_orders'],
        selector: { kind: 'range', start: '2026-11-01', end: '2026-11-04' },
        chunkSize: 2,
        title: B_ONLY.backfillTitle,
        requestId: 'globex-backfill',
      },
      'seed',
    );
    const pausedBackfill = async (requestId: string): Promise<string> => {
      const backfillId = await launchBackfill(
        b,
        {
          assetSelection: ['sales/raw_orders'],
          selector: { kind: 'range', start: '2026-10-01', end: '2026-10-02' },
          requestId,
        },
        'seed',
      );
      await pauseBackfill(b, backfillId, 'seed');
      return backfillId;
    };
    const watchedBackfillId = await pausedBackfill('globex-watched');
    const resumableBackfillId = await pausedBackfill('globex-resumable');
    const cancelableBackfillId = await pausedBackfill('globex-cancelable');
    const bRun = await requestRun(
      b,
      { assetSelection: ['sales/raw_orders'], partitionKeys: ['2026-11-18'], runKey: B_ONLY.manualRunKey },
      'seed',
    );
    // The same run key asking for something else: a run-key conflict only B has.
    await requestRun(
      b,
      { assetSelection: ['sales/raw_orders'], partitionKeys: ['2026-11-17'], runKey: B_ONLY.manualRunKey },
      'seed',
    );
    await upsertSchedule(
      b,
      {
        codeLocation: 'sales',
        name: B_ONLY.scheduleName,
        cronSchedule: '0 3 * * *',
        executionTimezone: 'UTC',
        assetSelection: ['sales/raw_orders'],
      },
      'seed',
    );
    await setSensorCursor(
      b,
      { codeLocation: 'sales', name: 'inbox_files', cursor: B_ONLY.sensorCursor },
      'seed',
    );
    const pushToB = (sensor: string, messageId: string, body: unknown) =>
      fetch(`${servo.url}/push/sales/${sensor}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-message-id': messageId,
          authorization: `Bearer ${keys.bOperator}`,
        },
        body: JSON.stringify(body),
      });
    expect((await pushToB('customer_signups', 'globex-signup', { customer: B_ONLY.customer })).status).toBe(
      200,
    );
    // A message for a sensor that does not exist: quarantined under its message id, which only B has.
    expect((await pushToB('no_such_sensor', B_ONLY.quarantined, { customer: 'x' })).status).toBe(202);
    await advance(30);
    await setScheduleStatus(b, 'sales:every_15_seconds', 'STOPPED', 'seed', 'globex-stop');
    await advance(30);

    const bTables = b.tables();
    const bTick = [...bTables.scheduleTicks.values()].find(
      (tick) => tick.scheduleId === 'sales:every_15_seconds',
    );
    if (bTick === undefined) throw new Error('B has no tick of every_15_seconds');
    bMarkers = [
      ...[...bTables.runs.entries()].map(([runId]) => runId),
      ...[...bTables.backfills.entries()].map(([backfillId]) => backfillId),
      ...Object.values(B_ONLY),
    ];
    const finished = [...bTables.runs.values()]
      .filter((run) => run.runId !== bRun.runId && run.status === 'SUCCESS')
      .map((run) => run.runId);
    if (finished.length < 2) throw new Error('B has fewer than two finished runs besides the manual one');
    const bQuarantined = [...bTables.quarantinedMessages.values()].find(
      (row) => row.messageId === B_ONLY.quarantined,
    );
    if (bQuarantined === undefined) throw new Error('B has no quarantined message');
    const facts: IsolationFacts = {
      b: {
        runId: bRun.runId,
        finishedRunIds: [finished[0] as string, finished[1] as string],
        backfillId: bBackfillId,
        watchedBackfillId,
        resumableBackfillId,
        cancelableBackfillId,
        tickId: bTick.tickId,
        customer: B_ONLY.customer,
        sensorCursor: B_ONLY.sensorCursor,
        scheduleName: B_ONLY.scheduleName,
        quarantineId: bQuarantined.quarantineId,
      },
      codeLocation: 'sales',
      repositoryId: 'sales:__repository__',
      repositorySelector: { repositoryLocationName: 'sales', repositoryName: '__repository__' },
      scheduleSelector: {
        repositoryLocationName: 'sales',
        repositoryName: '__repository__',
        scheduleName: 'every_15_seconds',
      },
      sensorSelector: {
        repositoryLocationName: 'sales',
        repositoryName: '__repository__',
        sensorName: 'inbox_files',
      },
    };
    world = {
      facts,
      a,
      b,
      settle: async () => {
        await advance(0);
      },
    };
  }, 180_000);

  afterAll(async () => {
    await servo?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('every root field of Query, Mutation and Subscription has a fixture, and every fixture a root field', () => {
    const names = fields.map((root) => root.name).sort();
    const missing = names.filter((name) => !(name in ROOT_FIELD_FIXTURES));
    const stale = Object.keys(ROOT_FIELD_FIXTURES).filter((name) => !names.includes(name));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  it("every fixture's operation is valid against the schema", () => {
    const invalid = fields.flatMap((root) => {
      const fixture = ROOT_FIELD_FIXTURES[root.name];
      if (fixture === undefined) return [];
      const errors = validate(schema, parse(operationFor(root, fixture, world.facts).query));
      return errors.map((error) => `${root.name}: ${error.message}`);
    });
    expect(invalid).toEqual([]);
  });

  it("B's markers are in B's state and nowhere in A's", () => {
    expect(bMarkers.length).toBeGreaterThan(10);
    const aState = tablesJson(A);
    const bState = tablesJson(B);
    expect(bMarkers.filter((marker) => !bState.includes(marker))).toEqual([]);
    expect(bMarkers.filter((marker) => aState.includes(marker))).toEqual([]);
  });

  it("A's keys read nothing of B through any query field; where the field names B's things, B's own key sees them", async () => {
    const failures: string[] = [];
    for (const root of fields.filter((candidate) => candidate.kind === 'Query')) {
      const fixture = ROOT_FIELD_FIXTURES[root.name];
      if (fixture === undefined) continue;
      const { query, variables } = operationFor(root, fixture, world.facts);
      for (const [who, key] of [
        ['A-viewer', keys.aViewer],
        ['A-operator', keys.aOperator],
      ] as const) {
        const result = await graphql(key, query, variables);
        const seen = leaked(result, variables);
        if (seen.length > 0) failures.push(`${root.name}: ${who} saw B's ${seen.join(', ')}`);
        const problem = fixture.checkA?.(result.data?.[root.field.name], world);
        if (problem !== undefined) failures.push(`${root.name}: ${who}: ${problem}`);
      }
      if (fixture.showsB === true) {
        const control = await graphql(keys.bOperator, query, variables);
        if (leaked(control).length === 0) {
          failures.push(
            `${root.name}: control failed, B's own key saw none of B's data: ${JSON.stringify(control).slice(0, 400)}`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("A's keys receive none of B's changes through any subscription, while B's key receives them", async () => {
    const failures: string[] = [];
    const wsUrl = `${servo.url.replace('http', 'ws')}/graphql`;
    for (const root of fields.filter((candidate) => candidate.kind === 'Subscription')) {
      const fixture = ROOT_FIELD_FIXTURES[root.name];
      if (fixture?.changeB === undefined) {
        failures.push(`${root.name}: the fixture has no changeB to make B change`);
        continue;
      }
      const { query, variables } = operationFor(root, fixture, world.facts);
      const listen = (key: string) => {
        const received: unknown[] = [];
        const client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${key}` },
          retryAttempts: 0,
        });
        const done = new Promise<void>((resolve) => {
          client.subscribe(
            { query, variables },
            {
              next: (value) => {
                if (value.data !== undefined && value.data !== null) received.push(value.data);
              },
              error: () => resolve(),
              complete: () => resolve(),
            },
          );
        });
        return { received, done, dispose: () => client.dispose() };
      };
      const fromA = [listen(keys.aViewer), listen(keys.aOperator)];
      const fromB = listen(keys.bOperator);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // What arrived so far is each subscriber's own current state (some subscriptions start with a
      // snapshot); only what arrives after B changes counts as receiving B's change.
      const before = [...fromA, fromB].map((listener) => listener.received.length);
      await fixture.changeB(world);
      const deadline = Date.now() + 10_000;
      while (fromB.received.length === before[2] && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (fromB.received.length === before[2]) {
        failures.push(`${root.name}: control failed, B's own subscriber received nothing after B changed`);
      }
      for (const [index, listener] of fromA.entries()) {
        const who = index === 0 ? 'A-viewer' : 'A-operator';
        const after = listener.received.slice(before[index]);
        if (after.length > 0)
          failures.push(`${root.name}: ${who} received ${JSON.stringify(after).slice(0, 300)}`);
        const seen = leaked(listener.received, variables);
        if (seen.length > 0) failures.push(`${root.name}: ${who} saw B's ${seen.join(', ')}`);
      }
      for (const listener of [...fromA, fromB]) await listener.dispose();
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('the A-viewer key can change nothing: every mutation is refused as unauthorized and appends nothing anywhere', async () => {
    const failures: string[] = [];
    for (const root of fields.filter((candidate) => candidate.kind === 'Mutation')) {
      const fixture = ROOT_FIELD_FIXTURES[root.name];
      if (fixture === undefined) continue;
      const { query, variables } = operationFor(root, fixture, world.facts);
      const before = { a: await ledgerSeq(A, keys.aViewer), b: await ledgerSeq(B, keys.bOperator) };
      const result = await graphql(keys.aViewer, query, variables);
      const after = { a: await ledgerSeq(A, keys.aViewer), b: await ledgerSeq(B, keys.bOperator) };
      if (!refusedAsUnauthorized(result)) {
        failures.push(`${root.name}: not refused as unauthorized: ${JSON.stringify(result).slice(0, 300)}`);
      }
      if (after.a !== before.a || after.b !== before.b) {
        failures.push(`${root.name}: appended (A ${before.a}→${after.a}, B ${before.b}→${after.b})`);
      }
      const seen = leaked(result, variables);
      if (seen.length > 0) failures.push(`${root.name}: A-viewer saw B's ${seen.join(', ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("the A-operator key cannot change B through any mutation, even naming B's things", async () => {
    const failures: string[] = [];
    for (const root of fields.filter((candidate) => candidate.kind === 'Mutation')) {
      const fixture = ROOT_FIELD_FIXTURES[root.name];
      if (fixture === undefined) continue;
      const { query, variables } = operationFor(root, fixture, world.facts);
      const before = await ledgerSeq(B, keys.bOperator);
      const result = await graphql(keys.aOperator, query, variables);
      const after = await ledgerSeq(B, keys.bOperator);
      if (after !== before) failures.push(`${root.name}: B's ledger moved ${before}→${after}`);
      const seen = leaked(result, variables);
      if (seen.length > 0) failures.push(`${root.name}: A-operator saw B's ${seen.join(', ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("B's own operator key, with the same arguments, does change B (the fixtures reach B's things)", async () => {
    const failures: string[] = [];
    for (const root of fields.filter((candidate) => candidate.kind === 'Mutation')) {
      const fixture = ROOT_FIELD_FIXTURES[root.name];
      if (fixture?.changesB !== true) continue;
      const { query, variables } = operationFor(root, fixture, world.facts);
      const before = await ledgerSeq(B, keys.bOperator);
      const result = await graphql(keys.bOperator, query, variables);
      const after = await ledgerSeq(B, keys.bOperator);
      if (after === before)
        failures.push(`${root.name}: B's key changed nothing: ${JSON.stringify(result).slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("A's keys see only A on /healthz, and push messages go to A's workspace or are refused", async () => {
    const health = await fetch(`${servo.url}/healthz`, {
      headers: { authorization: `Bearer ${keys.aViewer}` },
    });
    const report = await health.json();
    expect(report).toMatchObject({ tenantId: 'acme', workspaceId: 'prod' });
    expect(leaked(report)).toEqual([]);
    const anonymous = await (await fetch(`${servo.url}/healthz`)).json();
    expect(Object.keys(anonymous).sort()).toEqual(['mode', 'status']);

    const before = await ledgerSeq(B, keys.bOperator);
    const send = (key: string | undefined) =>
      fetch(`${servo.url}/push/sales/customer_signups`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        },
        body: JSON.stringify({ customer: 'acme-signup' }),
      });
    expect((await send(undefined)).status).toBe(401);
    expect((await send(keys.aViewer)).status).toBe(403);
    expect((await send(keys.aOperator)).status).toBe(200);
    expect(await ledgerSeq(B, keys.bOperator)).toBe(before);
    await workspaceOf(A).automation.quiesce();
    expect(JSON.stringify([...workspaceOf(A).automation.tables().dynamicPartitions.values()])).toContain(
      'acme-signup',
    );
  });
});
