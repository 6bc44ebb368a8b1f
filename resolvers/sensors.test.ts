import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { graphql } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../schema/index.js';
import { apiWorkspaceOf, createApiServices } from '../server/api-services.js';
import { type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';
import { createApiContext, type Role } from './context.js';

/** Sensors through the GraphQL API, against an embedded Servo seeded with sensor history. */

const selector = (sensorName: string) => ({
  repositoryName: '__repository__',
  repositoryLocationName: 'sales',
  sensorName,
});

const SENSOR = `
  query Sensor($selector: SensorSelector!) {
    sensorOrError(sensorSelector: $selector) {
      __typename
      ... on SensorNotFoundError { message sensorName }
      ... on Sensor {
        id jobOriginId name description minIntervalSeconds sensorType defaultStatus canReset
        hasCursorUpdatePermissions
        nextTick { timestamp }
        targets { pipelineName mode solidSelection }
        metadata { assetKeys { path } }
        assetSelection { assetSelectionString assetKeys { path } assets { id definition { groupName } } }
        owners { __typename }
        tags { key value }
        metadataEntries { label }
        sensorState {
          id selectorId status instigationType
          typeSpecificData { ... on SensorData { lastRunKey lastCursor lastTickTimestamp } }
          ticks(limit: 10) { id status timestamp runKeys runIds skipReason cursor }
        }
      }
    }
  }`;

interface SensorResult {
  __typename: string;
  id: string;
  jobOriginId: string;
  minIntervalSeconds: number;
  sensorType: string;
  defaultStatus: string;
  canReset: boolean;
  nextTick: { timestamp: number } | null;
  targets: { pipelineName: string }[] | null;
  metadata: { assetKeys: { path: string[] }[] | null };
  assetSelection: { assetSelectionString: string; assetKeys: { path: string[] }[] } | null;
  sensorState: {
    id: string;
    status: string;
    typeSpecificData: {
      lastRunKey: string | null;
      lastCursor: string | null;
      lastTickTimestamp: number | null;
    };
    ticks: {
      id: string;
      status: string;
      timestamp: number;
      runKeys: string[];
      runIds: string[];
      cursor: string | null;
    }[];
  };
  [field: string]: unknown;
}

let servo: SeededServo;

async function gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) {
  const result = await servo.graphql<T>(query, variables);
  if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
  return result.data as T;
}

async function sensor(name: string): Promise<SensorResult> {
  return (await gql<{ sensorOrError: SensorResult }>(SENSOR, { selector: selector(name) })).sensorOrError;
}

/** Runs an operation in process as a caller with `role` (the embedded server's loopback caller is admin). */
async function asRole(role: Role, source: string, variableValues: Record<string, unknown>) {
  const automation = servo.servo.automation;
  const services = createApiServices({
    version: 'test',
    mode: 'embedded',
    workspaces: [apiWorkspaceOf(automation)],
  });
  const contextValue = await createApiContext(services, {
    subject: `${role}-key`,
    kind: 'api-key',
    role,
    scope: automation.workspace.scope,
  });
  return graphql({ schema, source, variableValues, contextValue });
}

function ledgerHead(): number {
  return servo.servo.automation.workspace.projections.watermark.seq;
}

const START = `mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename ... on Sensor { canReset sensorState { status } } ... on UnauthorizedError { message } } }`;
const STOP = `mutation($id: String) { stopSensor(id: $id) { __typename ... on StopSensorMutationResult { instigationState { id status } } ... on UnauthorizedError { message } ... on PythonError { message } } }`;
const RESET = `mutation($s: SensorSelector!) { resetSensor(sensorSelector: $s) { __typename ... on Sensor { canReset sensorState { status } } ... on UnauthorizedError { message } } }`;
const SET_CURSOR = `mutation($s: SensorSelector!, $cursor: String) { setSensorCursor(sensorSelector: $s, cursor: $cursor) { __typename ... on Sensor { sensorState { typeSpecificData { ... on SensorData { lastCursor } } } } ... on UnauthorizedError { message } ... on PythonError { message className } } }`;

beforeAll(async () => {
  servo = await startSeededServo();
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('the sensor page', () => {
  it('shows a poll sensor with its cursor, last run key, evaluations and next poll', async () => {
    const inbox = await sensor('inbox_files');
    expect(inbox).toMatchObject({
      __typename: 'Sensor',
      id: 'sales:inbox_files',
      jobOriginId: 'sales:inbox_files',
      name: 'inbox_files',
      minIntervalSeconds: 30,
      sensorType: 'STANDARD',
      targets: [{ pipelineName: '__ASSET_JOB', mode: 'default', solidSelection: null }],
      metadata: { assetKeys: [{ path: ['sales', 'inbox_snapshot'] }] },
      assetSelection: {
        assetSelectionString: 'key:"sales/inbox_snapshot"',
        assetKeys: [{ path: ['sales', 'inbox_snapshot'] }],
        assets: [{ id: 'sales/inbox_snapshot', definition: { groupName: 'ingest' } }],
      },
      owners: [],
      metadataEntries: [],
      hasCursorUpdatePermissions: true,
    });
    const data = inbox.sensorState.typeSpecificData;
    // The seed dropped one file into the inbox: the cursor is its position, the run key names it.
    expect(data.lastCursor).toMatch(/^\d{15}:orders-2026-11-19\.csv$/);
    expect(data.lastRunKey).toMatch(/^file:orders-2026-11-19\.csv:\d+$/);
    const ticks = inbox.sensorState.ticks;
    expect(ticks.length).toBeGreaterThan(1);
    const success = ticks.filter((tick) => tick.status === 'SUCCESS');
    expect(success).toHaveLength(1);
    expect(success[0]?.runKeys).toEqual([data.lastRunKey]);
    expect(success[0]?.runIds).toHaveLength(1);
    expect(ticks.map((tick) => tick.timestamp)).toEqual(
      [...ticks.map((tick) => tick.timestamp)].sort((a, b) => b - a),
    );
    if (inbox.sensorState.status === 'RUNNING') {
      expect(inbox.nextTick?.timestamp).toBeGreaterThanOrEqual((data.lastTickTimestamp ?? 0) + 30);
    } else {
      expect(inbox.nextTick).toBeNull();
    }
  });

  it('shows a push sensor as STANDARD, without a next tick, with its message evaluation', async () => {
    const signups = await sensor('customer_signups');
    expect(signups.sensorType).toBe('STANDARD');
    expect(signups.nextTick).toBeNull();
    expect(signups.sensorState.typeSpecificData.lastRunKey).toBe('signup:seed-signup-1');
    expect(signups.sensorState.ticks.some((tick) => tick.runKeys.includes('signup:seed-signup-1'))).toBe(
      true,
    );
  });

  it('says which sensor was not found', async () => {
    const missing = await sensor('no_such_sensor');
    expect(missing).toEqual({
      __typename: 'SensorNotFoundError',
      message: 'no sensor no_such_sensor in code location sales',
      sensorName: 'no_such_sensor',
    });
  });

  it("lists a code location's sensors, filtered by their status now", async () => {
    const query = `query($status: InstigationStatus) { sensorsOrError(repositorySelector: { repositoryName: "__repository__", repositoryLocationName: "sales" }, sensorStatus: $status) { __typename ... on Sensors { results { name sensorState { status } } } ... on RepositoryNotFoundError { message } } }`;
    type Listed = { sensorsOrError: { results: { name: string; sensorState: { status: string } }[] } };
    const all = (await gql<Listed>(query)).sensorsOrError.results;
    expect(all.map((row) => row.name)).toEqual(['customer_signups', 'inbox_files']);
    for (const status of ['RUNNING', 'STOPPED']) {
      const some = (await gql<Listed>(query, { status })).sensorsOrError.results;
      expect(some.map((row) => row.name)).toEqual(
        all.filter((row) => row.sensorState.status === status).map((row) => row.name),
      );
    }
    const unknown = await gql<{ sensorsOrError: { __typename: string } }>(
      `{ sensorsOrError(repositorySelector: { repositoryName: "__repository__", repositoryLocationName: "nowhere" }) { __typename } }`,
    );
    expect(unknown.sensorsOrError.__typename).toBe('RepositoryNotFoundError');
  });
});

describe('sensor mutations', () => {
  it('start, stop and reset change the status, and canReset says when an operator overrides the default', async () => {
    const before = await sensor('inbox_files');
    const stopped = await gql<{ stopSensor: { instigationState: { id: string; status: string } } }>(STOP, {
      id: 'sales:inbox_files',
    });
    expect(stopped.stopSensor.instigationState).toEqual({ id: 'sales:inbox_files', status: 'STOPPED' });
    expect(await sensor('inbox_files')).toMatchObject({ canReset: true, nextTick: null });
    const started = await gql<{ startSensor: Record<string, unknown> }>(START, {
      s: selector('inbox_files'),
    });
    expect(started.startSensor).toEqual({
      __typename: 'Sensor',
      canReset: true,
      sensorState: { status: 'RUNNING' },
    });
    expect((await sensor('inbox_files')).nextTick).not.toBeNull();
    const reset = await gql<{ resetSensor: Record<string, unknown> }>(RESET, { s: selector('inbox_files') });
    expect(reset.resetSensor).toEqual({
      __typename: 'Sensor',
      canReset: false,
      sensorState: { status: before.defaultStatus },
    });
  });

  it('setSensorCursor moves the cursor the next poll starts from, and null clears it', async () => {
    const set = await gql<{ setSensorCursor: SensorResult }>(SET_CURSOR, {
      s: selector('inbox_files'),
      cursor: '000000000000000:',
    });
    expect(set.setSensorCursor).toEqual({
      __typename: 'Sensor',
      sensorState: { typeSpecificData: { lastCursor: '000000000000000:' } },
    });
    expect((await sensor('inbox_files')).sensorState.typeSpecificData.lastCursor).toBe('000000000000000:');
    const cleared = await gql<{ setSensorCursor: SensorResult }>(SET_CURSOR, {
      s: selector('inbox_files'),
      cursor: null,
    });
    expect(cleared.setSensorCursor).toMatchObject({
      sensorState: { typeSpecificData: { lastCursor: null } },
    });
    const push = await gql<{ setSensorCursor: Record<string, unknown> }>(SET_CURSOR, {
      s: selector('customer_signups'),
      cursor: 'x',
    });
    expect(push.setSensorCursor).toMatchObject({ __typename: 'PythonError', className: 'ILLEGAL_STATE' });
  });

  it('a viewer may read sensors but not start, stop, reset, set cursors, dry-run, define or delete them', async () => {
    const head = ledgerHead();
    const read = await asRole('viewer', SENSOR, { selector: selector('inbox_files') });
    expect(read.data?.sensorOrError).toMatchObject({
      __typename: 'Sensor',
      hasCursorUpdatePermissions: false,
    });
    const mutations: [string, Record<string, unknown>][] = [
      [START, { s: selector('inbox_files') }],
      [STOP, { id: 'sales:inbox_files' }],
      [RESET, { s: selector('inbox_files') }],
      [SET_CURSOR, { s: selector('inbox_files'), cursor: 'c' }],
      [
        'mutation { upsertSensor(input: { repositoryLocationName: "sales", name: "inbox_files", minIntervalSeconds: 60 }) { __typename } }',
        {},
      ],
      [
        'mutation($s: SensorSelector!) { deleteSensor(sensorSelector: $s) { __typename } }',
        { s: selector('inbox_files') },
      ],
    ];
    for (const [source, variables] of mutations) {
      const result = await asRole('viewer', source, variables);
      expect(Object.values(result.data ?? {})[0], source).toMatchObject({ __typename: 'UnauthorizedError' });
    }
    const dryRun = await asRole(
      'viewer',
      'mutation($s: SensorSelector!) { sensorDryRun(selectorData: $s) { __typename } }',
      { s: selector('inbox_files') },
    );
    expect(dryRun.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED');
    expect(ledgerHead()).toBe(head);
    const operator = await asRole('operator', START, { s: selector('no_such_sensor') });
    expect(operator.data?.startSensor).toMatchObject({ __typename: 'SensorNotFoundError' });
  });

  it('sensorDryRun evaluates the sensor from the given cursor and appends nothing', async () => {
    await writeFile(join(servo.dataDir, 'inbox', 'orders-2026-11-20.csv'), 'id,amount\n2,20\n');
    const head = ledgerHead();
    const DRY_RUN = `mutation($s: SensorSelector!, $cursor: String) { sensorDryRun(selectorData: $s, cursor: $cursor) {
      __typename
      ... on DryRunInstigationTick { timestamp evaluationResult { cursor skipReason dynamicPartitionsRequests { type } runRequests { runKey jobName tags { key value } assetSelection { path } } error { message } } }
      ... on SensorNotFoundError { sensorName }
      ... on PythonError { message className }
    } }`;
    type DryRun = {
      sensorDryRun: {
        __typename: string;
        evaluationResult: {
          cursor: string | null;
          skipReason: string | null;
          runRequests: { runKey: string }[];
        };
      };
    };
    const fromStart = await gql<DryRun>(DRY_RUN, { s: selector('inbox_files'), cursor: null });
    expect(fromStart.sensorDryRun.__typename).toBe('DryRunInstigationTick');
    const everything = fromStart.sensorDryRun.evaluationResult;
    expect(everything.runRequests.map((request) => request.runKey.split(':')[1])).toEqual([
      'orders-2026-11-19.csv',
      'orders-2026-11-20.csv',
    ]);
    expect(everything.cursor).toMatch(/:orders-2026-11-20\.csv$/);
    const fromEnd = await gql<DryRun>(DRY_RUN, { s: selector('inbox_files'), cursor: everything.cursor });
    expect(fromEnd.sensorDryRun.evaluationResult).toMatchObject({
      runRequests: [],
      skipReason: expect.stringMatching(/^no new files/),
    });
    const push = await gql<{ sensorDryRun: { __typename: string; className: string } }>(DRY_RUN, {
      s: selector('customer_signups'),
    });
    expect(push.sensorDryRun).toMatchObject({ __typename: 'PythonError', className: 'ILLEGAL_STATE' });
    expect(ledgerHead()).toBe(head);
  });
});

describe('sensor definitions through the API', () => {
  const UPSERT = `mutation($input: SensorDefinitionInput!) { upsertSensor(input: $input) {
    __typename
    ... on Sensor { id minIntervalSeconds defaultStatus description metadata { assetKeys { path } } }
    ... on InvalidDefinitionError { message }
  } }`;

  it('upsertSensor changes the settings of a sensor its code location implements', async () => {
    const result = await gql<{ upsertSensor: Record<string, unknown> }>(UPSERT, {
      input: {
        repositoryLocationName: 'sales',
        name: 'inbox_files',
        minIntervalSeconds: 45,
        description: 'Watches the inbox.',
      },
    });
    expect(result.upsertSensor).toEqual({
      __typename: 'Sensor',
      id: 'sales:inbox_files',
      minIntervalSeconds: 45,
      defaultStatus: expect.any(String),
      description: 'Watches the inbox.',
      metadata: { assetKeys: [{ path: ['sales', 'inbox_snapshot'] }] },
    });
    expect((await sensor('inbox_files')).minIntervalSeconds).toBe(45);
  });

  it('refuses an interval below the platform floor, an unknown asset or a sensor the code location lacks', async () => {
    const head = ledgerHead();
    const refused = [
      { repositoryLocationName: 'sales', name: 'inbox_files', minIntervalSeconds: 1 },
      { repositoryLocationName: 'sales', name: 'inbox_files', assetSelection: [{ path: ['nope'] }] },
      { repositoryLocationName: 'sales', name: 'not_in_code' },
      { repositoryLocationName: 'nowhere', name: 'inbox_files' },
    ];
    for (const input of refused) {
      const result = await gql<{ upsertSensor: { __typename: string; message: string } }>(UPSERT, { input });
      expect(result.upsertSensor.__typename, JSON.stringify(input)).toBe('InvalidDefinitionError');
      expect(result.upsertSensor.message.length).toBeGreaterThan(10);
    }
    expect(ledgerHead()).toBe(head);
  });

  it('deleteSensor removes the definition and keeps its history; defining it again keeps its cursor', async () => {
    await gql(SET_CURSOR, { s: selector('inbox_files'), cursor: '000000000000001:kept' });
    const DELETE = `mutation($s: SensorSelector!) { deleteSensor(sensorSelector: $s) { __typename ... on DeleteSensorSuccess { deletedSensorId sensorName repositoryLocationName } } }`;
    const deleted = await gql<{ deleteSensor: Record<string, unknown> }>(DELETE, {
      s: selector('inbox_files'),
    });
    expect(deleted.deleteSensor).toEqual({
      __typename: 'DeleteSensorSuccess',
      deletedSensorId: 'sales:inbox_files',
      sensorName: 'inbox_files',
      repositoryLocationName: 'sales',
    });
    expect((await sensor('inbox_files')).__typename).toBe('SensorNotFoundError');
    const again = await gql<{ deleteSensor: { __typename: string } }>(DELETE, { s: selector('inbox_files') });
    expect(again.deleteSensor.__typename).toBe('SensorNotFoundError');
    const recreated = await gql<{ upsertSensor: { __typename: string } }>(UPSERT, {
      input: {
        repositoryLocationName: 'sales',
        name: 'inbox_files',
        assetSelection: [{ path: ['sales', 'inbox_snapshot'] }],
      },
    });
    expect(recreated.upsertSensor.__typename).toBe('Sensor');
    const back = await sensor('inbox_files');
    expect(back.sensorState.typeSpecificData.lastCursor).toBe('000000000000001:kept');
    expect(back.sensorState.ticks.length).toBeGreaterThan(1);
  });
});
