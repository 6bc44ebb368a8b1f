/**
 * B9 — cold start (SPEC §9): each worker entrypoint ready to serve ≤ 500 ms.
 *
 * The entrypoints are built as for production (`npm run build`: each bundled into `dist/`, run with
 * plain `node`, as a container image would). A data directory is seeded first by running the built
 * `automation` worker with the example code location until a scheduled run has succeeded (so there
 * are published projections to load). Then each entrypoint — api, timer-ingest, push-ingest,
 * run-requests, compactor, automation — is started `RUNS` times on it, one at a time: the time from
 * spawning `node dist/workers/<name>.js` to the first HTTP 200 of `GET /healthz` (polled every
 * 5 ms; a worker answers 503 until it is ready). `<name>ColdStartMs` is the median of the runs,
 * `<name>ColdStartMaxMs` the slowest, `<name>CpuMs` the process's CPU time (user + system) at that
 * moment, which a busy machine inflates less than wall time. For reference, `<name>TsxColdStartMs`
 * is the median of two starts through `node --import tsx workers/<name>.ts`, as `npm run start:*`
 * does in development.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Benchmark, type Check, judge, log, median } from './harness.js';
import { benchDataDir, buildEntrypoints, cpuTimeMs, spawnServo, waitUntilServing } from './servo-process.js';

const RUNS = Number(process.env.BENCH_B9_RUNS ?? '5');
const ENTRYPOINTS = [
  'api',
  'timer-ingest',
  'push-ingest',
  'run-requests',
  'compactor',
  'automation',
] as const;
const BUILT_CODE_LOCATION = JSON.stringify([{ module: 'dist/examples/sales/definitions.js' }]);

const camel = (name: string) => name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());

const checks: Check[] = ENTRYPOINTS.map((name) => ({
  figure: `${camel(name)}ColdStartMs`,
  op: '<=',
  bound: 500,
  text: '≤ 500',
}));

async function seed(dataDir: string): Promise<void> {
  const worker = await spawnServo(
    'dist/workers/automation.js',
    {
      SERVO_DATA_DIR: dataDir,
      SERVO_EXAMPLE_INBOX: join(dataDir, 'inbox'),
      SERVO_CODE_LOCATIONS: BUILT_CODE_LOCATION,
    },
    [],
  );
  try {
    await waitUntilServing(worker, 60_000, 50);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const report = (await (await fetch(`${worker.url}/healthz`)).json()) as {
        automation?: { runs: Record<string, number> };
      };
      if ((report.automation?.runs.SUCCESS ?? 0) > 0) break;
      if (Date.now() > deadline)
        throw new Error(`no successful run while seeding:\n${worker.output().slice(-2000)}`);
      await new Promise((done) => setTimeout(done, 500));
    }
  } finally {
    await worker.stop();
  }
}

/** Spawn → first 200 of /healthz, in ms, and the CPU time the process had used by then. */
async function coldStart(
  entrypoint: string,
  dataDir: string,
  nodeArgs: string[],
): Promise<{ ms: number; cpuMs: number | undefined }> {
  const servo = await spawnServo(
    entrypoint,
    {
      SERVO_DATA_DIR: dataDir,
      SERVO_EXAMPLE_INBOX: join(dataDir, 'inbox'),
      ...(nodeArgs.length === 0 ? { SERVO_CODE_LOCATIONS: BUILT_CODE_LOCATION } : {}),
    },
    nodeArgs,
  );
  const spawned = performance.now();
  try {
    const ready = await waitUntilServing(servo, 30_000);
    return { ms: ready - spawned, cpuMs: await cpuTimeMs(servo.child.pid) };
  } finally {
    await servo.stop();
  }
}

const benchmark: Benchmark = {
  id: 'B9',
  title: 'cold start',
  targets: 'each worker entrypoint ready to serve ≤ 500 ms',
  units: Object.fromEntries(
    ENTRYPOINTS.flatMap((name) => [
      [`${camel(name)}ColdStartMs`, 'ms'],
      [`${camel(name)}ColdStartMaxMs`, 'ms'],
      [`${camel(name)}CpuMs`, 'ms'],
      [`${camel(name)}TsxColdStartMs`, 'ms'],
    ]),
  ),
  checks,
  async run() {
    log('B9', 'building into dist/…');
    buildEntrypoints();
    const dataDir = await benchDataDir('b9');
    log('B9', 'seeding a data directory with the example…');
    await seed(dataDir);
    const figures: Record<string, number> = {};
    for (const name of ENTRYPOINTS) {
      const built: { ms: number; cpuMs: number | undefined }[] = [];
      for (let run = 0; run < RUNS; run++)
        built.push(await coldStart(`dist/workers/${name}.js`, dataDir, []));
      const tsx: number[] = [];
      for (let run = 0; run < 2; run++)
        tsx.push((await coldStart(`workers/${name}.ts`, dataDir, ['--import', 'tsx'])).ms);
      figures[`${camel(name)}ColdStartMs`] = median(built.map((start) => start.ms));
      figures[`${camel(name)}ColdStartMaxMs`] = Math.max(...built.map((start) => start.ms));
      const cpu = built.map((start) => start.cpuMs).filter((value): value is number => value !== undefined);
      if (cpu.length > 0) figures[`${camel(name)}CpuMs`] = median(cpu);
      figures[`${camel(name)}TsxColdStartMs`] = median(tsx);
      log(
        'B9',
        `${name}: ${built.map((start) => Math.round(start.ms)).join(', ')} ms (tsx ${tsx.map(Math.round).join(', ')})`,
      );
    }
    rmSync(dataDir, { recursive: true, force: true });
    return { figures, met: judge(checks, figures) };
  },
};

export default benchmark;
