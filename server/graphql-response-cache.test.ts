import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyFile, generateApiKey } from '../engine/api-keys.js';
import type { ManualClock } from '../engine/clock.js';
import { upsertSchedule } from '../engine/commands/schedules.js';
import { regularMediaType } from './graphql-response-cache.js';
import { type SeededServo, startSeededServo } from './testing/seeded-servo.js';

const OVERVIEW_PATH = new URL(
  './__fixtures__/dagster-ui/ops/overview/OverviewSchedulesQuery.graphql',
  import.meta.url,
);

/** Reads the current time (future ticks start now): never kept. */
const FUTURE_TICKS = `{
  scheduleOrError(scheduleSelector: {
    repositoryLocationName: "sales", repositoryName: "__repository__", scheduleName: "every_15_seconds"
  }) { ... on Schedule { futureTicks(limit: 2) { results { timestamp } } } }
}`;

/** Fails with an error (a limit below 1). */
const BAD_PAGE = `{
  scheduleOrError(scheduleSelector: {
    repositoryLocationName: "sales", repositoryName: "__repository__", scheduleName: "every_15_seconds"
  }) { ... on Schedule { scheduleState { ticks(limit: 0) { id } } } }
}`;

interface Overview {
  workspaceOrError: {
    locationEntries: {
      locationOrLoadError: {
        repositories: {
          schedules: {
            name: string;
            scheduleState: { selectorId: string; status: string; hasStartPermission: boolean };
          }[];
        }[];
      };
    }[];
  };
  instance: { daemonHealth: { allDaemonStatuses: { daemonType: string; healthy: boolean | null }[] } };
}

function schedulesOf(overview: Overview) {
  return overview.workspaceOrError.locationEntries.flatMap((entry) =>
    entry.locationOrLoadError.repositories.flatMap((repository) => repository.schedules),
  );
}

let servo: SeededServo;
let dir: string;
let overview: string;
const keys: Record<'viewer' | 'admin', string> = { viewer: '', admin: '' };

/** Posts `query` with the key of `role`; the response as it came, and its body. */
async function ask(
  query: string,
  options: { role?: 'viewer' | 'admin'; accept?: string; variables?: Record<string, unknown> } = {},
): Promise<{ response: Response; body: string }> {
  const response = await fetch(`${servo.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: options.accept ?? 'application/json',
      authorization: `Bearer ${keys[options.role ?? 'admin']}`,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { response, body: await response.text() };
}

async function overviewAs(role: 'viewer' | 'admin' = 'admin'): Promise<{ data: Overview; body: string }> {
  const { response, body } = await ask(overview, { role });
  expect(response.status).toBe(200);
  const parsed = JSON.parse(body) as { data: Overview; errors?: unknown };
  expect(parsed.errors).toBeUndefined();
  return { data: parsed.data, body };
}

/** The cache's counters since `before`. */
function since(before: { hits: number; stored: number; notStored: number }) {
  const now = servo.servo.responseCache;
  return {
    hits: now.hits - before.hits,
    stored: now.stored - before.stored,
    notStored: now.notStored - before.notStored,
  };
}

function snapshot() {
  return { ...servo.servo.responseCache };
}

beforeAll(async () => {
  overview = await readFile(OVERVIEW_PATH, 'utf8');
  dir = await mkdtemp(join(tmpdir(), 'servo-response-cache-'));
  const file = new ApiKeyFile(join(dir, 'keys.jsonl'));
  for (const role of ['viewer', 'admin'] as const) {
    const made = generateApiKey({ tenant: 'default', workspace: 'default', role, now: new Date() });
    await file.add(made.record);
    keys[role] = made.key;
  }
  servo = await startSeededServo({ seed: false, env: { SERVO_API_KEYS_FILE: file.path } });
}, 120_000);

afterAll(async () => {
  await servo?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('GraphQL response cache', () => {
  it('answers a query asked again with the same bytes and headers, without executing it', async () => {
    const before = snapshot();
    const first = await ask(overview);
    const second = await ask(overview);
    expect(since(before)).toEqual({ hits: 1, stored: 1, notStored: 0 });
    expect(second.body).toBe(first.body);
    expect(second.response.headers.get('content-type')).toBe(first.response.headers.get('content-type'));
    expect(second.response.headers.get('content-length')).toBe(String(Buffer.byteLength(first.body)));
    expect(schedulesOf(JSON.parse(first.body).data as Overview).length).toBeGreaterThan(0);
  });

  it('sends a reused answer with the content type yoga chooses for each Accept header', async () => {
    for (const accept of [
      'application/json',
      'application/graphql-response+json',
      '*/*',
      'application/graphql-response+json, application/json',
      'application/json, application/graphql-response+json',
      'text/html, application/*;q=0.9',
    ]) {
      // Not kept (it reads the time): the content type yoga's own processor chose.
      const computed = await ask(FUTURE_TICKS, { accept });
      await ask(overview, { accept });
      const before = snapshot();
      const reused = await ask(overview, { accept });
      expect(since(before).hits).toBe(1);
      expect([accept, reused.response.headers.get('content-type')]).toEqual([
        accept,
        computed.response.headers.get('content-type'),
      ]);
    }
  });

  it('keeps daemon health only until a pending timer becomes overdue', async () => {
    const healthy = await overviewAs();
    const scheduler = (overview: Overview) =>
      overview.instance.daemonHealth.allDaemonStatuses.find((status) => status.daemonType === 'SCHEDULER');
    expect(scheduler(healthy.data)?.healthy).toBe(true);
    const clock = servo.servo.clock as ManualClock;
    // Moved without running what falls due: the schedule's timer is late.
    clock.set(clock.now().getTime() + 5 * 60_000);
    const before = snapshot();
    const late = await overviewAs();
    expect(since(before)).toMatchObject({ hits: 0, stored: 1 });
    expect(scheduler(late.data)?.healthy).toBe(false);
    const advanced = await ask('mutation { advanceClock(seconds: 0) { __typename } }');
    expect(JSON.parse(advanced.body)).toEqual({ data: { advanceClock: { __typename: 'ClockAdvanced' } } });
  });

  it('computes the answer again after any change to the projections, made through the API or not', async () => {
    await overviewAs();
    const [running] = schedulesOf((await overviewAs()).data).filter(
      (schedule) => schedule.scheduleState.status === 'RUNNING',
    );
    expect(running).toBeDefined();
    const stopped = await ask(
      `mutation Stop($id: String!) { stopRunningSchedule(scheduleSelectorId: $id) { __typename } }`,
      { variables: { id: running?.scheduleState.selectorId } },
    );
    expect(JSON.parse(stopped.body)).toEqual({
      data: { stopRunningSchedule: { __typename: 'ScheduleStateResult' } },
    });
    let before = snapshot();
    const afterStop = schedulesOf((await overviewAs()).data).find(
      (schedule) => schedule.name === running?.name,
    );
    expect(afterStop?.scheduleState.status).toBe('STOPPED');
    expect(since(before)).toMatchObject({ hits: 0, stored: 1 });

    // A command run by the engine directly, as another process's fold would change the rows.
    await upsertSchedule(
      servo.servo.automation,
      {
        codeLocation: 'sales',
        name: 'defined_by_api',
        cronSchedule: '0 6 * * *',
        executionTimezone: 'UTC',
        assetSelection: ['sales/raw_orders'],
        defaultStatus: 'STOPPED',
      },
      'test',
    );
    before = snapshot();
    const defined = () =>
      overviewAs().then(({ data }) =>
        schedulesOf(data).find((schedule) => schedule.name === 'defined_by_api'),
      );
    expect((await defined())?.scheduleState.status).toBe('STOPPED');
    expect(since(before)).toMatchObject({ hits: 0, stored: 1 });

    // Rows replaced without a change being announced, as when published files are adopted.
    const states = servo.servo.workspace.projections.state.tables.scheduleState;
    const key = 'sales:defined_by_api';
    const row = states.get(key);
    expect(row).toBeDefined();
    if (row === undefined) return;
    states.load(key, { ...row, status: 'RUNNING' });
    expect((await defined())?.scheduleState.status).toBe('RUNNING');
    states.load(key, row);
    expect((await defined())?.scheduleState.status).toBe('STOPPED');
  });

  it('never gives one caller the answer computed for another', async () => {
    const admin = await overviewAs('admin');
    const viewer = await overviewAs('viewer');
    const before = snapshot();
    const adminAgain = await overviewAs('admin');
    const viewerAgain = await overviewAs('viewer');
    expect(since(before).hits).toBe(2);
    expect(adminAgain.body).toBe(admin.body);
    expect(viewerAgain.body).toBe(viewer.body);
    expect(
      schedulesOf(viewerAgain.data).every((schedule) => !schedule.scheduleState.hasStartPermission),
    ).toBe(true);
    expect(schedulesOf(adminAgain.data).every((schedule) => schedule.scheduleState.hasStartPermission)).toBe(
      true,
    );
  });

  it('does not keep answers that read the time, or that failed', async () => {
    const before = snapshot();
    for (let round = 0; round < 2; round++) {
      const ticks = JSON.parse((await ask(FUTURE_TICKS)).body);
      expect(ticks.data.scheduleOrError.futureTicks.results).toHaveLength(2);
      const failed = JSON.parse((await ask(BAD_PAGE)).body);
      expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(since(before)).toEqual({ hits: 0, stored: 0, notStored: 4 });
  });
});

describe('regularMediaType', () => {
  it("picks the client's preferred JSON media type, or none when it accepts neither", () => {
    const request = (accept?: string) =>
      new Request('http://localhost/graphql', accept === undefined ? {} : { headers: { accept } });
    expect(regularMediaType(request())).toBe('application/json');
    expect(regularMediaType(request(''))).toBe('application/json');
    expect(regularMediaType(request('application/graphql-response+json'))).toBe(
      'application/graphql-response+json',
    );
    expect(regularMediaType(request('application/graphql-response+json, application/json'))).toBe(
      'application/graphql-response+json',
    );
    expect(regularMediaType(request('application/json; charset=iso-8859-1'))).toBeUndefined();
    expect(regularMediaType(request('text/event-stream'))).toBeUndefined();
  });
});
