import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../engine/clock.js';
import { SEED_START, type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';

let servo: SeededServo;

async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const result = await servo.graphql<T>(query, variables);
  expect(result.errors).toBeUndefined();
  return result.data as T;
}

interface Location {
  id: string;
  name: string;
  loadStatus: string;
  versionKey: string;
  updatedTimestamp: number;
  displayMetadata: { key: string; value: string }[];
  locationOrLoadError: {
    __typename: string;
    repositories: {
      id: string;
      name: string;
      pipelines: { name: string; isAssetJob: boolean }[];
      schedules: { name: string }[];
      sensors: { name: string }[];
      partitionSets: { name: string }[];
      assetNodes: { id: string }[];
    }[];
  };
}

const WORKSPACE = `{
  workspaceOrError {
    __typename
    ... on Workspace {
      id
      locationEntries {
        id name loadStatus versionKey updatedTimestamp displayMetadata { key value }
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            repositories {
              id name
              pipelines { name isAssetJob }
              schedules { name }
              sensors { name }
              partitionSets { name }
              assetNodes { id }
            }
          }
        }
      }
    }
  }
}`;

const DAEMONS = `{
  instance {
    runQueuingSupported
    daemonHealth {
      allDaemonStatuses { daemonType required healthy lastHeartbeatTime }
      asset: daemonStatus(daemonType: "ASSET") { daemonType required healthy }
    }
  }
}`;

interface DaemonStatus {
  daemonType: string;
  required: boolean;
  healthy: boolean | null;
  lastHeartbeatTime: number | null;
}

const daemons = async () =>
  (
    await gql<{
      instance: {
        runQueuingSupported: boolean;
        daemonHealth: { allDaemonStatuses: DaemonStatus[]; asset: DaemonStatus };
      };
    }>(DAEMONS)
  ).instance;

beforeAll(async () => {
  servo = await startSeededServo();
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('workspace', () => {
  it('lists the deployed code location with its one repository, job, schedules, sensors and assets', async () => {
    const data = await gql<{
      workspaceOrError: { __typename: string; id: string; locationEntries: Location[] };
    }>(WORKSPACE);
    expect(data.workspaceOrError.id).toMatch(/^[^/]+\/[^/]+$/);
    const [sales] = data.workspaceOrError.locationEntries;
    expect(data.workspaceOrError.locationEntries).toHaveLength(1);
    expect(sales).toMatchObject({ id: 'sales', name: 'sales', loadStatus: 'LOADED' });
    expect(sales?.displayMetadata.map((entry) => entry.key)).toEqual([
      'code_version',
      'deployed_by',
      'deployed_at',
    ]);
    expect(sales?.updatedTimestamp).toBeLessThanOrEqual(Date.parse(SEED_START) / 1000);
    expect(sales?.locationOrLoadError).toEqual({
      __typename: 'RepositoryLocation',
      repositories: [
        {
          id: 'sales:__repository__',
          name: '__repository__',
          pipelines: [{ name: '__ASSET_JOB', isAssetJob: true }],
          schedules: [{ name: 'every_15_seconds' }, { name: 'nightly_revenue' }],
          sensors: [{ name: 'customer_signups' }, { name: 'inbox_files' }],
          partitionSets: [
            { name: 'every_15_seconds_partition_set' },
            { name: 'nightly_revenue_partition_set' },
          ],
          assetNodes: expect.any(Array),
        },
      ],
    });
    expect(sales?.locationOrLoadError.repositories[0]?.assetNodes).toHaveLength(5);
  });

  it('finds code locations and repositories by name, and reports unknown ones', async () => {
    const data = await gql<{
      entry: { name: string } | null;
      missing: null;
      statuses: { entries: { name: string; loadStatus: string; versionKey: string }[] };
      repository: { __typename: string; name: string };
      unknown: { __typename: string; message: string };
      all: { nodes: { id: string }[] };
      states: { results: { id: string; instigationType: string }[] };
    }>(`{
      entry: workspaceLocationEntryOrError(name: "sales") { ... on WorkspaceLocationEntry { name } }
      missing: workspaceLocationEntryOrError(name: "nowhere") { __typename }
      statuses: locationStatusesOrError { ... on WorkspaceLocationStatusEntries { entries { name loadStatus versionKey } } }
      repository: repositoryOrError(repositorySelector: { repositoryName: "__repository__", repositoryLocationName: "sales" }) {
        __typename ... on Repository { name }
      }
      unknown: repositoryOrError(repositorySelector: { repositoryName: "__repository__", repositoryLocationName: "nowhere" }) {
        __typename ... on RepositoryNotFoundError { message }
      }
      all: repositoriesOrError { ... on RepositoryConnection { nodes { id } } }
      states: instigationStatesOrError(repositoryID: "sales:__repository__") {
        ... on InstigationStates { results { id instigationType } }
      }
    }`);
    expect(data.entry).toEqual({ name: 'sales' });
    expect(data.missing).toBeNull();
    expect(data.statuses.entries).toEqual([
      { name: 'sales', loadStatus: 'LOADED', versionKey: expect.any(String) },
    ]);
    expect(data.repository).toEqual({ __typename: 'Repository', name: '__repository__' });
    expect(data.unknown).toEqual({
      __typename: 'RepositoryNotFoundError',
      message: 'no code location nowhere is deployed',
    });
    expect(data.all.nodes).toEqual([{ id: 'sales:__repository__' }]);
    expect(data.states.results).toEqual([
      { id: 'sales:every_15_seconds', instigationType: 'SCHEDULE' },
      { id: 'sales:nightly_revenue', instigationType: 'SCHEDULE' },
      { id: 'sales:customer_signups', instigationType: 'SENSOR' },
      { id: 'sales:inbox_files', instigationType: 'SENSOR' },
    ]);
  });

  it('lists a code location that only API-defined schedules name, and changes its version key with them', async () => {
    const upsert = (cronSchedule: string) =>
      gql<{ upsertSchedule: { __typename: string } }>(
        `mutation($input: ScheduleDefinitionInput!) { upsertSchedule(input: $input) { __typename } }`,
        {
          input: {
            repositoryLocationName: 'adhoc',
            name: 'hourly_snapshot',
            cronSchedule,
            executionTimezone: 'UTC',
            assetSelection: [{ path: ['sales', 'inbox_snapshot'] }],
          },
        },
      );
    expect((await upsert('0 * * * *')).upsertSchedule.__typename).toBe('Schedule');
    const entry = async () =>
      (
        await gql<{ workspaceLocationEntryOrError: Location }>(
          `{ workspaceLocationEntryOrError(name: "adhoc") {
            ... on WorkspaceLocationEntry { name versionKey displayMetadata { key value }
              locationOrLoadError { ... on RepositoryLocation { repositories { schedules { name } pipelines { name } } } } }
          } }`,
        )
      ).workspaceLocationEntryOrError;
    const first = await entry();
    expect(first.displayMetadata).toEqual([
      { key: 'source', value: 'schedules and sensors defined through the API' },
    ]);
    expect(first.locationOrLoadError.repositories[0]).toEqual({
      schedules: [{ name: 'hourly_snapshot' }],
      pipelines: [],
    });
    await servo.advance(1);
    await upsert('30 * * * *');
    expect((await entry()).versionKey).not.toBe(first.versionKey);
  });
});

describe('instance', () => {
  it("reports the scheduler, sensors and backfills as daemons, from what Servo's automation does", async () => {
    const instance = await daemons();
    expect(instance.runQueuingSupported).toBe(true);
    const byType = Object.fromEntries(
      instance.daemonHealth.allDaemonStatuses.map((status) => [status.daemonType, status]),
    );
    expect(Object.keys(byType)).toEqual(['SCHEDULER', 'SENSOR', 'BACKFILL']);
    expect(byType.SCHEDULER).toMatchObject({ required: true, healthy: true });
    expect(byType.SENSOR).toMatchObject({ required: true, healthy: true });
    expect(byType.SCHEDULER?.lastHeartbeatTime).toBeGreaterThan(Date.parse(SEED_START) / 1000);
    expect(byType.SENSOR?.lastHeartbeatTime).toBeGreaterThan(Date.parse(SEED_START) / 1000);
    expect(byType.BACKFILL?.healthy).toBe(true);
    expect(instance.daemonHealth.asset).toEqual({ daemonType: 'ASSET', required: false, healthy: null });
  });

  it('shows the scheduler unhealthy while its timers are overdue, and healthy again once they run', async () => {
    const clock = servo.servo.clock as ManualClock;
    clock.set(clock.now().getTime() + 5 * 60_000);
    const stalled = await daemons();
    expect(
      stalled.daemonHealth.allDaemonStatuses.find((status) => status.daemonType === 'SCHEDULER')?.healthy,
    ).toBe(false);
    await servo.advance(1);
    const resumed = await daemons();
    expect(
      resumed.daemonHealth.allDaemonStatuses.find((status) => status.daemonType === 'SCHEDULER')?.healthy,
    ).toBe(true);
  });
});
