/**
 * B7 — GraphQL (SPEC §9): the schedule page over 1,000 schedules with a constant number of storage
 * reads (DataLoader), and throughput ≥ 0.5× a `{__typename}` query on the same server.
 *
 * The schedule page is the Dagster UI's overview of schedules, `OverviewSchedulesQuery`, exactly as
 * the UI sends it (server/__fixtures__/dagster-ui/ops/overview/; it takes no variables): every
 * schedule of every code location with its state, and the instance's daemon health.
 *
 * Reads: an embedded server in this process (`startSeededServo` without seeding, the code location
 * `bench/fixtures/many-schedules.ts` with 100 schedules) answers the page through
 * `inProcessGraphql`, which counts the projection reads the request made (`context.reads`): that is
 * `projectionReads100`. Then 900 more schedules are defined through the API's command
 * (`upsertSchedule`) and the page is read again: `projectionReads1000`.
 *
 * Throughput: `workers/embedded.ts` as a child process on the real clock with the same code location
 * and 1,000 schedules (due once a year, so nothing else happens meanwhile). `BENCH_B7_CLIENTS`
 * (default 8) clients in this process post the query over HTTP with keep-alive (node:http, one
 * socket each), each sending its next request when the last one's body has arrived. The clients
 * count the bytes of each body without assembling it: the load generator shares the machine's two
 * cores with the server, and `fetch` with a 239 KB body cost it more CPU per request than the server
 * spent answering, so it measured the client. The two queries take turns for
 * `BENCH_B7_ROUNDS` (default 3) rounds of `BENCH_B7_SECONDS` (default 5) each, after two seconds of
 * warm-up each, so a busy moment of the machine falls on both; `…Qps` is requests answered over the
 * time spent on that query (until its last answer arrived). Every response is checked: status 200,
 * and the page's size against the first page, which was parsed and counted.
 *
 * The server reuses the page's answer while nothing it depends on changes (the GraphQL response
 * cache, docs/graphql/README.md#reused-answers), as it would for a UI polling it. `uncached…`
 * measure the same on a server with reuse turned off (`SERVO_GRAPHQL_RESPONSE_CACHE_BYTES=0`), one
 * round: what each answer costs to compute.
 */
import { readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { upsertSchedule } from '../engine/commands/schedules.js';
import { inProcessGraphql } from '../server/testing/in-process-graphql.js';
import { startSeededServo } from '../server/testing/seeded-servo.js';
import { type Benchmark, type Check, judge, log } from './harness.js';
import { benchDataDir, spawnServo, waitUntilGraphql, waitUntilServing } from './servo-process.js';

const CLIENTS = Number(process.env.BENCH_B7_CLIENTS ?? '8');
const ROUNDS = Number(process.env.BENCH_B7_ROUNDS ?? '3');
const SECONDS = Number(process.env.BENCH_B7_SECONDS ?? '5');
const WARM_UP_SECONDS = 2;
const SCHEDULES = 1000;
const FEW_SCHEDULES = 100;
const FIXTURE = 'bench/fixtures/many-schedules.ts';
const OVERVIEW_PATH = new URL(
  '../server/__fixtures__/dagster-ui/ops/overview/OverviewSchedulesQuery.graphql',
  import.meta.url,
);
const TYPENAME = '{ __typename }';

const checks: Check[] = [
  { figure: 'ratio', op: '>=', bound: 0.5, text: '≥ 0.5' },
  {
    figure: 'projectionReads1000',
    op: '<=',
    bound: (figures) => figures.projectionReads100 ?? Number.NaN,
    text: '≤ projectionReads100',
  },
];

interface Overview {
  workspaceOrError: {
    locationEntries: {
      locationOrLoadError: { repositories?: { schedules: { name: string }[] }[] };
    }[];
  };
}

function scheduleCount(data: Overview | null | undefined): number {
  let count = 0;
  for (const entry of data?.workspaceOrError.locationEntries ?? [])
    for (const repository of entry.locationOrLoadError.repositories ?? [])
      count += repository.schedules.length;
  return count;
}

/** Projection reads of the page with 100, then 1,000 schedules, on an embedded server in this process. */
async function projectionReads(overview: string): Promise<{ few: number; many: number }> {
  process.env.BENCH_SCHEDULES = String(FEW_SCHEDULES);
  const servo = await startSeededServo({
    seed: false,
    env: { SERVO_CODE_LOCATIONS: JSON.stringify([{ module: FIXTURE }]) },
  });
  try {
    const run = inProcessGraphql(servo.servo.automation);
    const measure = async (expected: number) => {
      const result = await run<Overview>(overview);
      if (result.errors !== undefined || scheduleCount(result.data) !== expected)
        throw new Error(
          `the page did not list ${expected} schedules: ${JSON.stringify(result).slice(0, 1000)}`,
        );
      return result.reads;
    };
    const few = await measure(FEW_SCHEDULES);
    for (let index = FEW_SCHEDULES; index < SCHEDULES; index++) {
      await upsertSchedule(
        servo.servo.automation,
        {
          codeLocation: 'bench',
          name: `defined_${String(index + 1).padStart(4, '0')}`,
          cronSchedule: '0 0 1 1 *',
          executionTimezone: 'UTC',
          assetSelection: ['bench/yearly'],
          defaultStatus: index % 3 === 2 ? 'STOPPED' : 'RUNNING',
        },
        'bench',
      );
    }
    return { few, many: await measure(SCHEDULES) };
  } finally {
    await servo.stop();
  }
}

/** Posts `body` to `url` over `agent`'s kept-alive sockets; resolves with the status and the body's size. */
function post(agent: Agent, url: URL, body: Buffer): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': body.length,
        },
      },
      (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes }));
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

/**
 * Requests of `body` answered by `url` when `CLIENTS` clients send them one at a time each for
 * `seconds`, and the milliseconds until the last answer arrived.
 */
async function answered(
  url: string,
  body: string,
  seconds: number,
  expectedBytes: number,
): Promise<{ count: number; ms: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const target = new URL(url);
  const payload = Buffer.from(body);
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const { status, bytes } = await post(agent, target, payload);
      if (status !== 200 || Math.abs(bytes - expectedBytes) > expectedBytes * 0.1)
        throw new Error(`unexpected answer: ${status}, ${bytes} bytes (expected ~${expectedBytes})`);
      count += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: CLIENTS }, client));
  } finally {
    agent.destroy();
  }
  return { count, ms: performance.now() - start };
}

/** The first answer to `query`, parsed: its size in bytes and its data. */
async function firstAnswer<T>(url: string, query: string): Promise<{ bytes: number; data: T | undefined }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  const result = JSON.parse(text) as { data?: T; errors?: unknown[] };
  if (!response.ok || result.errors !== undefined)
    throw new Error(`query failed (${response.status}): ${text.slice(0, 1000)}`);
  return { bytes: Buffer.byteLength(text), data: result.data };
}

const benchmark: Benchmark = {
  id: 'B7',
  title: 'GraphQL',
  targets:
    'schedule page over 1,000 schedules with a constant number of storage reads; throughput ≥ 0.5× a {__typename} query on the same server',
  units: {
    ratio: '×',
    schedulePageQps: 'req/s',
    typenameQps: 'req/s',
    uncachedRatio: '×',
    uncachedSchedulePageQps: 'req/s',
    schedulePageBytes: 'bytes',
    projectionReads1000: 'reads',
    projectionReads100: 'reads',
    clients: 'clients',
  },
  checks,
  async run() {
    const overview = await readFile(OVERVIEW_PATH, 'utf8');
    log('B7', `counting projection reads of the page with ${FEW_SCHEDULES} and ${SCHEDULES} schedules…`);
    const reads = await projectionReads(overview);
    log(
      'B7',
      `projection reads: ${reads.few} with ${FEW_SCHEDULES} schedules, ${reads.many} with ${SCHEDULES}`,
    );

    const throughput = await measureThroughput(overview, {});
    log('B7', `without reusing answers (SERVO_GRAPHQL_RESPONSE_CACHE_BYTES=0), one round…`);
    const uncached = await measureThroughput(overview, { SERVO_GRAPHQL_RESPONSE_CACHE_BYTES: '0' }, 1);
    const figures: Record<string, number> = {
      ratio: throughput.schedulePageQps / throughput.typenameQps,
      schedulePageQps: throughput.schedulePageQps,
      typenameQps: throughput.typenameQps,
      uncachedRatio: uncached.schedulePageQps / uncached.typenameQps,
      uncachedSchedulePageQps: uncached.schedulePageQps,
      schedulePageBytes: throughput.pageBytes,
      projectionReads1000: reads.many,
      projectionReads100: reads.few,
      clients: CLIENTS,
    };
    return { figures, met: judge(checks, figures) };
  },
};

/**
 * Page and `{__typename}` throughput of an embedded server with 1,000 schedules and `env`, over
 * `rounds` rounds of both queries.
 */
async function measureThroughput(
  overview: string,
  env: Record<string, string>,
  rounds = ROUNDS,
): Promise<{ schedulePageQps: number; typenameQps: number; pageBytes: number }> {
  const dataDir = await benchDataDir('b7');
  const servo = await spawnServo('workers/embedded.ts', {
    SERVO_DATA_DIR: dataDir,
    SERVO_CODE_LOCATIONS: JSON.stringify([{ module: FIXTURE }]),
    BENCH_SCHEDULES: String(SCHEDULES),
    ...env,
  });
  try {
    await waitUntilServing(servo, 60_000, 50);
    await waitUntilGraphql(servo, 60_000);
    const url = `${servo.url}/graphql`;
    const page = await firstAnswer<Overview>(url, overview);
    if (scheduleCount(page.data) !== SCHEDULES)
      throw new Error(`the page lists ${scheduleCount(page.data)} schedules, not ${SCHEDULES}`);
    const typename = await firstAnswer(url, TYPENAME);
    const queries = [
      { body: JSON.stringify({ query: TYPENAME }), bytes: typename.bytes, count: 0, ms: 0 },
      { body: JSON.stringify({ query: overview }), bytes: page.bytes, count: 0, ms: 0 },
    ];
    for (const query of queries) await answered(url, query.body, WARM_UP_SECONDS, query.bytes);
    log('B7', `${CLIENTS} clients, ${rounds} round(s) of ${SECONDS} s per query…`);
    for (let round = 0; round < rounds; round++) {
      for (const query of queries) {
        const turn = await answered(url, query.body, SECONDS, query.bytes);
        query.count += turn.count;
        query.ms += turn.ms;
      }
    }
    const [typenameTurns, pageTurns] = queries as [(typeof queries)[number], (typeof queries)[number]];
    return {
      typenameQps: (typenameTurns.count * 1000) / typenameTurns.ms,
      schedulePageQps: (pageTurns.count * 1000) / pageTurns.ms,
      pageBytes: page.bytes,
    };
  } finally {
    await servo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export default benchmark;
