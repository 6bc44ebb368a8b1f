/**
 * B3 — reads (SPEC §9): api ready ≤ 2 s on a 1M-tick projection; tick-history page (25) p99
 * ≤ 20 ms.
 *
 * Set-up (untimed): `buildTickStore` (bench/tick-store.ts) writes a data directory whose ledger holds
 * `BENCH_B3_SCHEDULES` (default 100) schedules × `BENCH_B3_TICKS` (default 10,000) ticks each, one
 * a minute, published as projections; and `npm run build` bundles the entrypoints into `dist/`.
 * With `BENCH_B3_STORE` set to a directory, the store is built there once, kept, and reused by
 * later runs of the same shape (`reuseTickStore`).
 *
 * Cold start, `BENCH_B3_STARTS` (default 3) times: `node dist/workers/api.js` on that data
 * directory (no code location: the api serves what is published). `apiHealthzMs` is spawn → first
 * HTTP 200 of `GET /healthz` (the projections are loaded by then), `apiReadyMs` spawn → the first
 * tick-history page answered (which also builds the tick-history index over every tick), both
 * medians; `apiCpuMs` the process's CPU time at that moment. `apiFirstCursorPageMs` is the next
 * request, a page of another schedule with a cursor, right after: placing a cursor looks a tick up
 * by key, which keys the loaded rows if the background has not yet (median of the starts).
 *
 * Pages: on the last api process, `BENCH_B3_REQUESTS` (default 2,000) requests, one at a time after
 * `WARM_UP_REQUESTS`, of the Dagster-shaped page `scheduleOrError { scheduleState { ticks(limit: 25,
 * cursor) } }` over real HTTP. Half of them jump to a random schedule and a random depth (the cursor
 * is the id of the tick just above it; depth 0 has no cursor), the other half continue the previous
 * page with its last tick's id as cursor, as a client paging through the history does. Each page
 * is checked against the ticks the set-up wrote. `tickPage…Ms` is the time from sending a request
 * to having parsed its response.
 */
import { rm } from 'node:fs/promises';
import { seededRandom } from '../engine/testing/event-factory.js';
import { REPOSITORY_NAME } from '../resolvers/models.js';
import { type Benchmark, judge, log, median } from './harness.js';
import {
  benchDataDir,
  buildEntrypoints,
  cpuTimeMs,
  peakRssOfMb,
  quantile,
  type ServoProcess,
  spawnServo,
  waitUntilServing,
} from './servo-process.js';
import { reuseTickStore, TICK_STORE_LOCATION, type TickStore } from './tick-store.js';

const SCHEDULES = Number(process.env.BENCH_B3_SCHEDULES ?? '100');
const TICKS_PER_SCHEDULE = Number(process.env.BENCH_B3_TICKS ?? '10000');
const STARTS = Number(process.env.BENCH_B3_STARTS ?? '3');
const REQUESTS = Number(process.env.BENCH_B3_REQUESTS ?? '2000');
/** A directory to keep the store in and reuse across runs (a temporary one, removed after, if unset). */
const KEPT_STORE = process.env.BENCH_B3_STORE;
const WARM_UP_REQUESTS = 200;
const PAGE_SIZE = 25;
const MINUTE_MS = 60_000;

const TICK_PAGE = `query TickPage($selector: ScheduleSelector!, $cursor: String) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule {
      id
      name
      scheduleState {
        id
        status
        ticks(limit: ${PAGE_SIZE}, cursor: $cursor) {
          id
          status
          timestamp
          endTimestamp
          runKeys
          runIds
          skipReason
          error {
            message
          }
        }
      }
    }
  }
}`;

interface PageResponse {
  data?: { scheduleOrError: { __typename: string; scheduleState?: { ticks: { id: string }[] } } };
  errors?: unknown[];
}

const checks = [
  { figure: 'apiReadyMs', op: '<=', bound: 2000, text: '≤ 2000' },
  { figure: 'tickPageP99Ms', op: '<=', bound: 20, text: '≤ 20' },
] as const;

/** Where a page starts: a schedule and the index of its newest tick on the page (0 = oldest tick). */
interface PagePosition {
  schedule: number;
  /** Index of the first tick the page should hold; ticks are newest first, so indexes go down. */
  from: number;
}

/** A tick's id, from the way the set-up minted it. */
function tickId(store: TickStore, schedule: number, index: number): string {
  const dueSeconds = (store.firstDueMs + index * MINUTE_MS) / 1000;
  return `${TICK_STORE_LOCATION}:${store.scheduleNames[schedule]}:${dueSeconds}`;
}

/** Posts one page request; resolves with its tick ids and how long it took, in ms. */
async function requestPage(
  url: string,
  store: TickStore,
  position: PagePosition,
): Promise<{ ids: string[]; ms: number }> {
  const cursor =
    position.from === TICKS_PER_SCHEDULE - 1 ? null : tickId(store, position.schedule, position.from + 1);
  const body = JSON.stringify({
    query: TICK_PAGE,
    variables: {
      selector: {
        repositoryName: REPOSITORY_NAME,
        repositoryLocationName: TICK_STORE_LOCATION,
        scheduleName: store.scheduleNames[position.schedule],
      },
      cursor,
    },
  });
  const start = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  const result = (await response.json()) as PageResponse;
  const ms = performance.now() - start;
  const ticks = result.data?.scheduleOrError.scheduleState?.ticks;
  if (!response.ok || result.errors !== undefined || ticks === undefined)
    throw new Error(`tick page failed (${response.status}): ${JSON.stringify(result).slice(0, 1000)}`);
  return { ids: ticks.map((tick) => tick.id), ms };
}

/** Throws unless `ids` are the ticks the set-up wrote, from `position` down. */
function checkPage(store: TickStore, position: PagePosition, ids: readonly string[]): void {
  const expected = Math.min(PAGE_SIZE, position.from + 1);
  const wrong =
    ids.length !== expected ||
    ids.some((id, offset) => id !== tickId(store, position.schedule, position.from - offset));
  if (wrong) {
    throw new Error(
      `page of schedule ${position.schedule} from tick ${position.from} holds ${ids.length} ticks: ${ids.slice(0, 3).join(', ')}…`,
    );
  }
}

interface ColdStart {
  api: ServoProcess;
  healthzMs: number;
  readyMs: number;
  cpuMs: number | undefined;
  firstCursorPageMs: number;
}

/** Spawn → `/healthz` 200 → first tick page answered → a page with a cursor, on the built api entrypoint. */
async function coldStart(dataDir: string, store: TickStore): Promise<ColdStart> {
  const api = await spawnServo(
    'dist/workers/api.js',
    {
      SERVO_DATA_DIR: dataDir,
      SERVO_TENANT: store.scope.tenantId,
      SERVO_WORKSPACE: store.scope.workspaceId,
      SERVO_CODE_LOCATIONS: '[]',
    },
    // The built bundle as deployed, with no Node options.
    [],
  );
  const spawned = performance.now();
  try {
    const healthz = await waitUntilServing(api, 60_000);
    const position = { schedule: 0, from: TICKS_PER_SCHEDULE - 1 };
    checkPage(store, position, (await requestPage(api.url, store, position)).ids);
    const ready = performance.now();
    const cpuMs = await cpuTimeMs(api.child.pid);
    const next = { schedule: store.scheduleNames.length - 1, from: Math.floor(TICKS_PER_SCHEDULE / 2) };
    const cursorPage = await requestPage(api.url, store, next);
    checkPage(store, next, cursorPage.ids);
    return {
      api,
      healthzMs: healthz - spawned,
      readyMs: ready - spawned,
      cpuMs,
      firstCursorPageMs: cursorPage.ms,
    };
  } catch (error) {
    await api.stop();
    throw error;
  }
}

/** `count` page requests, one at a time: random jumps alternating with the next page. */
async function pageLatencies(url: string, store: TickStore, count: number, seed: number): Promise<number[]> {
  const random = seededRandom(seed);
  const deepest = TICKS_PER_SCHEDULE - 1;
  let position: PagePosition = { schedule: 0, from: deepest };
  const latencies: number[] = [];
  for (let request = 0; request < count; request++) {
    const next = position.from - PAGE_SIZE;
    if (request % 2 === 0 || next < 0) {
      const depth = Math.floor(random() * TICKS_PER_SCHEDULE);
      position = { schedule: Math.floor(random() * store.scheduleNames.length), from: deepest - depth };
    } else {
      position = { schedule: position.schedule, from: next };
    }
    const page = await requestPage(url, store, position);
    checkPage(store, position, page.ids);
    latencies.push(page.ms);
  }
  return latencies;
}

const benchmark: Benchmark = {
  id: 'B3',
  title: 'reads',
  targets: 'api ready ≤ 2 s on a 1M-tick projection; tick-history page (25) p99 ≤ 20 ms',
  units: {
    apiReadyMs: 'ms',
    apiReadyMaxMs: 'ms',
    apiHealthzMs: 'ms',
    apiFirstCursorPageMs: 'ms',
    apiCpuMs: 'ms',
    tickPageP50Ms: 'ms',
    tickPageP95Ms: 'ms',
    tickPageP99Ms: 'ms',
    tickPageMaxMs: 'ms',
    ticks: 'ticks',
    schedules: 'schedules',
    apiPeakRssMB: 'MB',
    setupSeconds: 's',
  },
  checks: [...checks],
  async run() {
    const setupStart = performance.now();
    log('B3', 'building into dist/…');
    buildEntrypoints();
    const dataDir = KEPT_STORE ?? (await benchDataDir('b3'));
    log('B3', `writing ${SCHEDULES} schedules × ${TICKS_PER_SCHEDULE} ticks and publishing them…`);
    const { store, reused } = await reuseTickStore(
      dataDir,
      { schedules: SCHEDULES, ticksPerSchedule: TICKS_PER_SCHEDULE },
      (ticks) => {
        if (ticks % 250_000 === 0) log('B3', `  ${ticks} ticks`);
      },
    );
    const setupSeconds = (performance.now() - setupStart) / 1000;
    log(
      'B3',
      `${store.ticks} ticks in ${store.segments} segments, ${reused ? `reused from ${dataDir}` : 'published'} (${setupSeconds.toFixed(0)} s)`,
    );

    const starts: Omit<ColdStart, 'api'>[] = [];
    let api: ServoProcess | undefined;
    try {
      for (let start = 0; start < STARTS; start++) {
        await api?.stop();
        const started = await coldStart(dataDir, store);
        api = started.api;
        starts.push(started);
        log(
          'B3',
          `cold start: /healthz ${Math.round(started.healthzMs)} ms, first page ${Math.round(started.readyMs)} ms, then a cursor page in ${Math.round(started.firstCursorPageMs)} ms`,
        );
      }
      const url = (api as ServoProcess).url;
      await pageLatencies(url, store, WARM_UP_REQUESTS, 1);
      log('B3', `${REQUESTS} tick-history pages, one at a time…`);
      const latencies = await pageLatencies(url, store, REQUESTS, 2);
      const apiPeakRss = await peakRssOfMb(api?.child.pid);
      const cpu = starts.map((start) => start.cpuMs).filter((value): value is number => value !== undefined);
      const figures: Record<string, number> = {
        apiReadyMs: median(starts.map((start) => start.readyMs)),
        apiReadyMaxMs: Math.max(...starts.map((start) => start.readyMs)),
        apiHealthzMs: median(starts.map((start) => start.healthzMs)),
        apiFirstCursorPageMs: median(starts.map((start) => start.firstCursorPageMs)),
        ...(cpu.length > 0 ? { apiCpuMs: median(cpu) } : {}),
        tickPageP50Ms: quantile(latencies, 0.5),
        tickPageP95Ms: quantile(latencies, 0.95),
        tickPageP99Ms: quantile(latencies, 0.99),
        tickPageMaxMs: Math.max(...latencies),
        ticks: store.ticks,
        schedules: store.scheduleNames.length,
        ...(apiPeakRss === undefined ? {} : { apiPeakRssMB: apiPeakRss }),
        setupSeconds,
      };
      return { figures, met: judge(checks, figures) };
    } finally {
      await api?.stop();
      if (KEPT_STORE === undefined) await rm(dataDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
