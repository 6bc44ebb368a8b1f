import { graphql as execute } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { schema } from '../schema/index.js';
import { apiWorkspaceOf, createApiServices } from '../server/api-services.js';
import { SEED_START, type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';
import { type ApiContext, createApiContext, type Role } from './context.js';
import {
  changeScheduleStatus,
  triggerScheduleMutation,
  upsertScheduleMutation,
} from './schedule-mutations.js';

const START = Date.parse(SEED_START) / 1000;
const every = {
  repositoryName: '__repository__',
  repositoryLocationName: 'sales',
  scheduleName: 'every_15_seconds',
};
const nightly = {
  repositoryName: '__repository__',
  repositoryLocationName: 'sales',
  scheduleName: 'nightly_revenue',
};
const instigator = (name: string) => ({
  repositoryName: '__repository__',
  repositoryLocationName: 'sales',
  name,
});
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

interface Tick {
  id: string;
  status: string;
  timestamp: number;
  runIds: string[];
  runKeys: string[];
  cursor: string | null;
  skipReason: string | null;
  runs: { id: string }[];
}

let servo: SeededServo;

/** A request context as an authenticated caller of `role` would get, for resolver-level calls. */
async function contextAs(role: Role): Promise<ApiContext> {
  const workspace = apiWorkspaceOf(servo.servo.automation);
  const services = createApiServices({ version: 'test', mode: 'embedded', workspaces: [workspace] });
  return createApiContext(services, {
    subject: `key-${role}`,
    kind: 'api-key',
    role,
    scope: workspace.scope,
  });
}

async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const result = await servo.graphql<T>(query, variables);
  expect(result.errors).toBeUndefined();
  return result.data as T;
}

async function ledgerHead(): Promise<number> {
  return (await servo.servo.workspace.health()).ledgerHead.seq;
}

const TICKS = `query Ticks($selector: InstigationSelector!, $limit: Int, $cursor: String, $statuses: [InstigationTickStatus!], $before: Float, $after: Float) {
  instigationStateOrError(instigationSelector: $selector) {
    __typename
    ... on InstigationState {
      instigationType
      ticks(limit: $limit, cursor: $cursor, statuses: $statuses, beforeTimestamp: $before, afterTimestamp: $after) {
        id status timestamp runIds runKeys cursor skipReason runs { id }
      }
    }
    ... on InstigationStateNotFoundError { message }
  }
}`;

async function ticksOf(name: string, variables: Record<string, unknown> = {}): Promise<Tick[]> {
  const data = await gql<{ instigationStateOrError: { ticks: Tick[] } }>(TICKS, {
    selector: instigator(name),
    ...variables,
  });
  return data.instigationStateOrError.ticks;
}

beforeAll(async () => {
  servo = await startSeededServo();
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('schedule pages', () => {
  it('shows a running schedule with its latest tick, its runs and its next ticks on the 15 s cadence', async () => {
    const data = await gql<{
      scheduleOrError: {
        __typename: string;
        cronSchedule: string;
        executionTimezone: string;
        pipelineName: string;
        canReset: boolean;
        partitionSet: { name: string } | null;
        assetSelection: { assetKeys: { path: string[] }[] };
        scheduleState: {
          id: string;
          status: string;
          typeSpecificData: { __typename: string; cronSchedule: string };
          ticks: Tick[];
          nextTick: { timestamp: number };
        };
        futureTicks: { results: { timestamp: number }[]; cursor: number };
      };
    }>(
      `query($selector: ScheduleSelector!) {
        scheduleOrError(scheduleSelector: $selector) {
          __typename
          ... on Schedule {
            cronSchedule executionTimezone pipelineName canReset
            partitionSet { name }
            assetSelection { assetKeys { path } }
            scheduleState {
              id status
              typeSpecificData { __typename ... on ScheduleData { cronSchedule } }
              ticks(limit: 1) { id status timestamp runIds runKeys cursor skipReason runs { id } }
              nextTick { timestamp }
            }
            futureTicks(limit: 3) { results { timestamp } cursor }
          }
        }
      }`,
      { selector: every },
    );
    const schedule = data.scheduleOrError;
    expect(schedule).toMatchObject({
      __typename: 'Schedule',
      cronSchedule: '*/15 * * * * *',
      executionTimezone: 'UTC',
      pipelineName: '__ASSET_JOB',
      canReset: false,
      partitionSet: { name: 'every_15_seconds_partition_set' },
      scheduleState: {
        id: 'sales:every_15_seconds',
        status: 'RUNNING',
        typeSpecificData: { __typename: 'ScheduleData', cronSchedule: '*/15 * * * * *' },
      },
    });
    expect(schedule.assetSelection.assetKeys.map((key) => key.path.join('/'))).toEqual([
      'sales/raw_orders',
      'sales/cleaned_orders',
      'sales/daily_revenue',
    ]);
    const now = Date.parse(SEED_START) / 1000 + 165;
    const [latest] = schedule.scheduleState.ticks;
    expect(latest).toMatchObject({ id: `sales:every_15_seconds:${now}`, status: 'SUCCESS', timestamp: now });
    expect(latest?.runs.map((run) => run.id)).toEqual(latest?.runIds);
    expect(latest?.runIds).toHaveLength(1);
    expect(schedule.scheduleState.nextTick.timestamp).toBe(now + 15);
    expect(schedule.futureTicks.results.map((tick) => tick.timestamp)).toEqual([now, now + 15, now + 30]);
    expect(schedule.futureTicks.cursor).toBe(now + 31);
  });

  it("computes future ticks in the schedule's time zone, across a daylight-saving change", async () => {
    const ticksFrom = async (cursor: string, limit: number) =>
      (
        await gql<{ scheduleOrError: { futureTicks: { results: { timestamp: number }[] } } }>(
          `query($selector: ScheduleSelector!, $cursor: Float, $limit: Int) {
            scheduleOrError(scheduleSelector: $selector) {
              ... on Schedule { futureTicks(cursor: $cursor, limit: $limit) { results { timestamp } } }
            }
          }`,
          { selector: nightly, cursor: Date.parse(cursor) / 1000, limit },
        )
      ).scheduleOrError.futureTicks.results.map((tick) => iso(tick.timestamp));
    // 02:00 in Paris is 01:00 UTC in winter and 00:00 UTC in summer; 2026-03-29 02:00 does not exist.
    expect(await ticksFrom(SEED_START, 2)).toEqual(['2026-11-20T01:00:00.000Z', '2026-11-21T01:00:00.000Z']);
    expect(await ticksFrom('2026-07-01T00:00:00Z', 2)).toEqual([
      '2026-07-01T00:00:00.000Z',
      '2026-07-02T00:00:00.000Z',
    ]);
    expect(await ticksFrom('2026-03-28T00:00:00Z', 3)).toEqual([
      '2026-03-28T01:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ]);
  });

  it('lists due times around a moment, and a stopped schedule has no next tick', async () => {
    const data = await gql<{
      scheduleOrError: {
        potentialTickTimestamps: number[];
        scheduleState: {
          status: string;
          nextTick: null;
          typeSpecificData: { startTimestamp: number | null };
        };
      };
    }>(
      `query($selector: ScheduleSelector!, $start: Float) {
        scheduleOrError(scheduleSelector: $selector) {
          ... on Schedule {
            potentialTickTimestamps(startTimestamp: $start, lowerLimit: 2, upperLimit: 1)
            scheduleState { status nextTick { timestamp } typeSpecificData { ... on ScheduleData { startTimestamp } } }
          }
        }
      }`,
      { selector: nightly, start: START },
    );
    expect(data.scheduleOrError.potentialTickTimestamps.map(iso)).toEqual([
      '2026-11-18T01:00:00.000Z',
      '2026-11-19T01:00:00.000Z',
      '2026-11-20T01:00:00.000Z',
    ]);
    expect(data.scheduleOrError.scheduleState).toEqual({
      status: 'STOPPED',
      nextTick: null,
      typeSpecificData: { startTimestamp: null },
    });
  });

  it('evaluates a future tick as a dry run: the run it would request, with its partition', async () => {
    const at = START + 180;
    const data = await gql<{
      scheduleOrError: {
        futureTick: {
          timestamp: number;
          evaluationResult: {
            skipReason: string | null;
            error: null;
            runRequests: { runKey: string; runConfigYaml: string; tags: { key: string; value: string }[] }[];
          };
        };
      };
    }>(
      `query($selector: ScheduleSelector!, $at: Int!) {
        scheduleOrError(scheduleSelector: $selector) {
          ... on Schedule {
            futureTick(tickTimestamp: $at) {
              timestamp
              evaluationResult { skipReason error { message } runRequests { runKey runConfigYaml tags { key value } } }
            }
          }
        }
      }`,
      { selector: every, at },
    );
    const tick = data.scheduleOrError.futureTick;
    expect(tick.timestamp).toBe(at);
    expect(tick.evaluationResult.skipReason).toBeNull();
    expect(tick.evaluationResult.runRequests).toHaveLength(1);
    expect(tick.evaluationResult.runRequests[0]?.runKey).toBe(`sched:sales:every_15_seconds:${at}`);
    expect(tick.evaluationResult.runRequests[0]?.tags).toContainEqual({
      key: 'dagster/schedule_name',
      value: 'every_15_seconds',
    });
  });

  it('reports an unknown schedule and an unknown repository as ScheduleNotFoundError', async () => {
    const data = await gql<{
      a: { __typename: string; message: string };
      b: { __typename: string; message: string };
    }>(
      `query($a: ScheduleSelector!, $b: ScheduleSelector!) {
        a: scheduleOrError(scheduleSelector: $a) { __typename ... on ScheduleNotFoundError { message } }
        b: scheduleOrError(scheduleSelector: $b) { __typename ... on ScheduleNotFoundError { message } }
      }`,
      { a: { ...every, scheduleName: 'nope' }, b: { ...every, repositoryName: 'other' } },
    );
    expect(data.a).toEqual({
      __typename: 'ScheduleNotFoundError',
      message: 'no schedule nope in code location sales',
    });
    expect(data.b.message).toMatch(/every code location's repository is __repository__/);
  });
});

describe('tick history', () => {
  it('returns ticks newest first and pages through them with the last tick id as cursor', async () => {
    const all = await ticksOf('every_15_seconds', { limit: 1000 });
    expect(all.length).toBeGreaterThanOrEqual(10);
    const times = all.map((tick) => tick.timestamp);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const paged: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const ticks = await ticksOf('every_15_seconds', {
        limit: 3,
        ...(cursor === undefined ? {} : { cursor }),
      });
      paged.push(...ticks.map((tick) => tick.id));
      if (ticks.length < 3) break;
      cursor = ticks[ticks.length - 1]?.id;
    }
    expect(paged).toEqual(all.map((tick) => tick.id));
  });

  it('filters by status and by time window', async () => {
    const all = await ticksOf('inbox_files', { limit: 1000 });
    expect(new Set(all.map((tick) => tick.status))).toEqual(new Set(['SUCCESS', 'SKIPPED']));
    const success = await ticksOf('inbox_files', { statuses: ['SUCCESS'] });
    expect(success.map((tick) => tick.id)).toEqual(
      all.filter((tick) => tick.status === 'SUCCESS').map((tick) => tick.id),
    );
    const middle = all[Math.floor(all.length / 2)] as Tick;
    const before = await ticksOf('inbox_files', { before: middle.timestamp });
    expect(before.map((tick) => tick.id)).toEqual(
      all.filter((tick) => tick.timestamp < middle.timestamp).map((tick) => tick.id),
    );
    const after = await ticksOf('inbox_files', { after: middle.timestamp });
    expect(after.map((tick) => tick.id)).toEqual(
      all.filter((tick) => tick.timestamp > middle.timestamp).map((tick) => tick.id),
    );
  });

  it("shows a sensor evaluation as a tick: the sensor's run keys and its cursor after it", async () => {
    const [tick] = await ticksOf('inbox_files', { statuses: ['SUCCESS'], limit: 1 });
    expect(tick?.runKeys).toEqual([expect.stringMatching(/^file:orders-2026-11-19\.csv:\d+$/)]);
    expect(tick?.cursor).toMatch(/:orders-2026-11-19\.csv$/);
    expect(tick?.runs).toHaveLength(1);
    const skipped = await ticksOf('inbox_files', { statuses: ['SKIPPED'], limit: 1 });
    expect(skipped[0]?.skipReason).toMatch(/no new files/);
  });

  it('finds one tick by id, with the assets and partitions it requested', async () => {
    const [latest] = await ticksOf('every_15_seconds', { limit: 1 });
    const data = await gql<{
      instigationStateOrError: {
        tick: {
          id: string;
          requestedAssetMaterializationCount: number;
          requestedMaterializationsForAssets: { assetKey: { path: string[] }; partitionKeys: string[] }[];
        };
      };
    }>(
      `query($selector: InstigationSelector!, $tickId: ID!) {
        instigationStateOrError(instigationSelector: $selector) {
          ... on InstigationState {
            tick(tickId: $tickId) {
              id requestedAssetMaterializationCount
              requestedMaterializationsForAssets { assetKey { path } partitionKeys }
            }
          }
        }
      }`,
      { selector: instigator('every_15_seconds'), tickId: latest?.id },
    );
    const tick = data.instigationStateOrError.tick;
    expect(tick.id).toBe(latest?.id);
    expect(tick.requestedAssetMaterializationCount).toBe(3);
    expect(tick.requestedMaterializationsForAssets).toEqual([
      { assetKey: { path: ['sales', 'raw_orders'] }, partitionKeys: ['2026-11-19'] },
      { assetKey: { path: ['sales', 'cleaned_orders'] }, partitionKeys: ['2026-11-19'] },
      { assetKey: { path: ['sales', 'daily_revenue'] }, partitionKeys: ['2026-11-19'] },
    ]);
  });

  it('refuses a page over 1000, an unreadable cursor and a tick of another schedule', async () => {
    const tooMany = await servo.graphql(TICKS, { selector: instigator('every_15_seconds'), limit: 1001 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await servo.graphql(TICKS, {
      selector: instigator('every_15_seconds'),
      cursor: 'garbage',
    });
    expect(badCursor.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/unreadable tick cursor/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const [sensorTick] = await ticksOf('inbox_files', { limit: 1 });
    const wrong = await servo.graphql(
      `query($selector: InstigationSelector!, $tickId: ID!) {
        instigationStateOrError(instigationSelector: $selector) { ... on InstigationState { tick(tickId: $tickId) { id } } }
      }`,
      { selector: instigator('every_15_seconds'), tickId: sensorTick?.id },
    );
    expect(wrong.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('reads the projections a constant number of times however many schedules a page lists', async () => {
    const query = `{
      workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError { ... on RepositoryLocation {
        repositories { schedules { id name scheduleState { id status ticks(limit: 1) { id status runs { id } } } } }
      } } } } }
    }`;
    const readsFor = async () => {
      const context = await contextAs('viewer');
      const result = await execute({ schema, source: query, contextValue: context });
      expect(result.errors).toBeUndefined();
      return context.reads.count;
    };
    const before = await readsFor();
    const operator = await contextAs('operator');
    for (const name of ['extra_a', 'extra_b', 'extra_c']) {
      const created = await upsertScheduleMutation(operator, {
        repositoryLocationName: 'sales',
        name,
        cronSchedule: '0 * * * *',
        executionTimezone: 'UTC',
        assetSelection: [{ path: ['sales', 'inbox_snapshot'] }],
        defaultStatus: 'STOPPED',
      });
      expect(created).toMatchObject({ name });
    }
    expect(await readsFor()).toBe(before);
  });
});

describe('schedule mutations', () => {
  it('need the operator role: a viewer gets UnauthorizedError and nothing is appended', async () => {
    const viewer = await contextAs('viewer');
    const head = await ledgerHead();
    expect(await changeScheduleStatus(viewer, every, 'STOPPED')).toMatchObject({
      __typename: 'UnauthorizedError',
      message: expect.stringMatching(/needs the operator role/),
    });
    expect(await triggerScheduleMutation(viewer, every)).toMatchObject({ __typename: 'UnauthorizedError' });
    expect(
      await upsertScheduleMutation(viewer, {
        repositoryLocationName: 'sales',
        name: 'sneaky',
        cronSchedule: '* * * * *',
        executionTimezone: 'UTC',
        assetSelection: [{ path: ['sales', 'raw_orders'] }],
      }),
    ).toMatchObject({ __typename: 'UnauthorizedError' });
    expect(await ledgerHead()).toBe(head);
  });

  it('start, stop and reset change the status; reset returns to the default', async () => {
    const status = `query($selector: ScheduleSelector!) {
      scheduleOrError(scheduleSelector: $selector) { ... on Schedule { canReset scheduleState { status } } }
    }`;
    const start = await gql<{ startSchedule: { __typename: string; scheduleState: { status: string } } }>(
      `mutation($selector: ScheduleSelector!) {
        startSchedule(scheduleSelector: $selector) { __typename ... on ScheduleStateResult { scheduleState { status } } }
      }`,
      { selector: nightly },
    );
    expect(start.startSchedule).toEqual({
      __typename: 'ScheduleStateResult',
      scheduleState: { status: 'RUNNING' },
    });
    expect(await gql(status, { selector: nightly })).toEqual({
      scheduleOrError: { canReset: true, scheduleState: { status: 'RUNNING' } },
    });
    const stop = await gql<{ stopRunningSchedule: { scheduleState: { status: string } } }>(
      `mutation($id: String!) {
        stopRunningSchedule(id: $id) { ... on ScheduleStateResult { scheduleState { status } } }
      }`,
      { id: 'sales:nightly_revenue' },
    );
    expect(stop.stopRunningSchedule.scheduleState.status).toBe('STOPPED');
    const reset = await gql<{ resetSchedule: { scheduleState: { status: string } } }>(
      `mutation($selector: ScheduleSelector!) {
        resetSchedule(scheduleSelector: $selector) { ... on ScheduleStateResult { scheduleState { status } } }
      }`,
      { selector: nightly },
    );
    expect(reset.resetSchedule.scheduleState.status).toBe('RUNNING');
    expect(await gql(status, { selector: nightly })).toEqual({
      scheduleOrError: { canReset: false, scheduleState: { status: 'RUNNING' } },
    });
    const unknown = await gql<{ stopRunningSchedule: { __typename: string } }>(
      'mutation { stopRunningSchedule(id: "sales:nope") { __typename } }',
    );
    expect(unknown.stopRunningSchedule.__typename).toBe('ScheduleNotFoundError');
  });

  it('upsertSchedule defines a schedule that ticks on its cron; deleteSchedule removes it and keeps its ticks', async () => {
    const upsert = await gql<{
      upsertSchedule: { __typename: string; id: string; scheduleState: { status: string } };
    }>(
      `mutation($input: ScheduleDefinitionInput!) {
        upsertSchedule(input: $input) { __typename ... on Schedule { id scheduleState { status } } }
      }`,
      {
        input: {
          repositoryLocationName: 'sales',
          name: 'inbox_every_10s',
          cronSchedule: '*/10 * * * * *',
          executionTimezone: 'Europe/Paris',
          assetSelection: [{ path: ['sales', 'inbox_snapshot'] }],
          overlapPolicy: 'SKIP',
          description: 'snapshots the inbox',
        },
      },
    );
    expect(upsert.upsertSchedule).toEqual({
      __typename: 'Schedule',
      id: 'sales:inbox_every_10s',
      scheduleState: { status: 'RUNNING' },
    });
    await servo.advance(20);
    const ticks = await ticksOf('inbox_every_10s');
    expect(ticks.length).toBeGreaterThanOrEqual(1);
    expect(ticks.every((tick) => tick.timestamp % 10 === 0)).toBe(true);

    const deleted = await gql<{ deleteSchedule: { __typename: string; deletedScheduleId: string } }>(
      `mutation($selector: ScheduleSelector!) {
        deleteSchedule(scheduleSelector: $selector) { __typename ... on DeleteScheduleSuccess { deletedScheduleId } }
      }`,
      { selector: { ...every, scheduleName: 'inbox_every_10s' } },
    );
    expect(deleted.deleteSchedule).toEqual({
      __typename: 'DeleteScheduleSuccess',
      deletedScheduleId: 'sales:inbox_every_10s',
    });
    const gone = await gql<{ scheduleOrError: { __typename: string } }>(
      'query($s: ScheduleSelector!) { scheduleOrError(scheduleSelector: $s) { __typename } }',
      { s: { ...every, scheduleName: 'inbox_every_10s' } },
    );
    expect(gone.scheduleOrError.__typename).toBe('ScheduleNotFoundError');
    const history = await ticksOf('inbox_every_10s');
    expect(history.map((tick) => tick.id)).toEqual(ticks.map((tick) => tick.id));
  });

  it('refuses a bad cron, an unknown time zone and an undefined asset with InvalidDefinitionError, appending nothing', async () => {
    const upsert = (input: Record<string, unknown>) =>
      gql<{ upsertSchedule: { __typename: string; message: string } }>(
        `mutation($input: ScheduleDefinitionInput!) {
          upsertSchedule(input: $input) { __typename ... on InvalidDefinitionError { message } }
        }`,
        {
          input: {
            repositoryLocationName: 'sales',
            name: 'broken',
            cronSchedule: '0 2 * * *',
            executionTimezone: 'UTC',
            assetSelection: [{ path: ['sales', 'raw_orders'] }],
            ...input,
          },
        },
      );
    const head = await ledgerHead();
    const badCron = await upsert({ cronSchedule: '61 * * * *' });
    expect(badCron.upsertSchedule).toEqual({
      __typename: 'InvalidDefinitionError',
      message: "minute field: 61 is out of range 0–59 (in cron '61 * * * *')",
    });
    const badZone = await upsert({ executionTimezone: 'Mars/Olympus_Mons' });
    expect(badZone.upsertSchedule).toEqual({
      __typename: 'InvalidDefinitionError',
      message: "time zone 'Mars/Olympus_Mons' is not a known IANA time zone",
    });
    const badAsset = await upsert({ assetSelection: [{ path: ['sales', 'nothing'] }] });
    expect(badAsset.upsertSchedule.message).toBe('asset sales/nothing is not defined by any code location');
    const codeDefined = await upsert({ name: 'every_15_seconds' });
    expect(codeDefined.upsertSchedule.message).toMatch(
      /defined by code location sales; change it there and deploy/,
    );
    expect(await ledgerHead()).toBe(head);
  });

  it('triggerSchedule records a manual tick now and requests its run; scheduleDryRun appends nothing', async () => {
    const head = await ledgerHead();
    const dryRun = await gql<{
      scheduleDryRun: { __typename: string; evaluationResult: { runRequests: unknown[] } };
    }>(
      `mutation($selector: ScheduleSelector!) {
        scheduleDryRun(selectorData: $selector) {
          __typename ... on DryRunInstigationTick { evaluationResult { runRequests { runKey } } }
        }
      }`,
      { selector: every },
    );
    expect(dryRun.scheduleDryRun.__typename).toBe('DryRunInstigationTick');
    expect(await ledgerHead()).toBe(head);

    const triggered = await gql<{
      triggerSchedule: { __typename: string; id: string; status: string; runIds: string[] };
    }>(
      `mutation($selector: ScheduleSelector!) {
        triggerSchedule(scheduleSelector: $selector) { __typename ... on InstigationTick { id status runIds } }
      }`,
      { selector: every },
    );
    expect(triggered.triggerSchedule).toMatchObject({ __typename: 'InstigationTick', status: 'SUCCESS' });
    expect(triggered.triggerSchedule.id).toMatch(/^sales:every_15_seconds:manual:/);
    expect(triggered.triggerSchedule.runIds).toHaveLength(1);
    const [latest] = await ticksOf('every_15_seconds', { limit: 1, statuses: ['SUCCESS'] });
    expect(latest?.id).toBe(triggered.triggerSchedule.id);
  });
});

describe('instigationTicks subscription', () => {
  it('delivers the next tick of a schedule as the clock moves', async () => {
    const client = createClient({
      url: `${servo.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: {},
      retryAttempts: 0,
    });
    try {
      const ticks = client.iterate<{ instigationTicks: { id: string; status: string; timestamp: number } }>({
        query: `subscription($selector: InstigationSelector!) {
          instigationTicks(selector: $selector) { id status timestamp }
        }`,
        variables: { selector: instigator('every_15_seconds') },
      });
      const first = ticks.next();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [before] = await ticksOf('every_15_seconds', {
        limit: 1,
        statuses: ['SUCCESS', 'SKIPPED', 'FAILURE'],
      });
      await servo.advance(15);
      const delivered = await Promise.race([
        first,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no tick within 5 s')), 5000)),
      ]);
      const tick = delivered.value?.data?.instigationTicks;
      expect(tick?.status).toBe('SUCCESS');
      expect(tick?.timestamp).toBeGreaterThan((before as Tick).timestamp);
      expect((tick?.timestamp ?? 1) % 15).toBe(0);
      await ticks.return?.();
    } finally {
      await client.dispose();
    }
  });
});
