/**
 * What the latency benchmarks (B6, B8, B9) share: starting Servo's real entrypoints as child
 * processes on a temporary data directory, waiting until they serve, and reading back afterwards,
 * from the ledger on disk, when each change was decided (a segment's time is the time in its last
 * event id, minted by the appending process from the machine's clock, which the benchmark process
 * shares).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock } from '../engine/clock.js';
import { DEFAULT_RETENTION } from '../engine/fold/context.js';
import { Ledger, type Segment } from '../engine/ledger/ledger.js';
import type { Scope } from '../engine/ledger/scope.js';
import { ulidTime } from '../engine/model/ulid.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { ProjectionStore } from '../engine/projections/projection-store.js';
import { createLocalTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { createMemoryObjectStore } from '../engine/storage/memory-object-store.js';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const DEFAULT_SCOPE: Scope = { tenantId: 'default', workspaceId: 'default' };

/** `npm run build`: every entrypoint bundled into `dist/`, as a container image runs them. */
export function buildEntrypoints(): void {
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

export function benchDataDir(id: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `servo-bench-${id}-`));
}

export interface ServoProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node [nodeArgs…] <entrypoint>` from the repository root with `env` on a free port
 * (`PORT`), keeping its output for diagnostics. Resolves once it is spawned, not once it serves.
 */
export async function spawnServo(
  entrypoint: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = ['--import', 'tsx'],
): Promise<ServoProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, entrypoint], {
    cwd: ROOT,
    env: { ...process.env, SERVO_LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/** Polls `GET /healthz` every `intervalMs` until it answers 200; resolves with the time it did. */
export async function waitUntilServing(
  servo: ServoProcess,
  timeoutMs: number,
  intervalMs = 5,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (servo.child.exitCode !== null) throw new Error(`the process exited:\n${servo.output().slice(-3000)}`);
    try {
      const response = await fetch(`${servo.url}/healthz`);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  throw new Error(`not serving after ${timeoutMs} ms:\n${servo.output().slice(-3000)}`);
}

/** Polls until the GraphQL endpoint answers a query (embedded mode serves `/healthz` before GraphQL). */
export async function waitUntilGraphql(servo: ServoProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`${servo.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      const body = (await response.json()) as { data?: unknown };
      if (response.ok && body.data !== undefined) return;
    } catch {
      // Not serving yet.
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`GraphQL not served after ${timeoutMs} ms:\n${servo.output().slice(-3000)}`);
}

/** CPU time (user + system) a Linux process has used so far, in ms; undefined elsewhere. */
export async function cpuTimeMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of a Linux process so far (`VmHWM`), in MB; undefined elsewhere. */
export async function peakRssOfMb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** The ledger of a local data directory, segment by segment, with each segment's decision time. */
export async function readLedger(
  dataDir: string,
  scope: Scope = DEFAULT_SCOPE,
): Promise<(Segment & { at: number })[]> {
  const ledger = new Ledger({
    store: createLocalDiskObjectStore(join(dataDir, 'store')),
    scope,
    clock: systemClock,
  });
  const segments: (Segment & { at: number })[] = [];
  for await (const segment of ledger.readAfter(0)) {
    const last = segment.events[segment.events.length - 1];
    segments.push({ ...segment, at: last === undefined ? 0 : ulidTime(last.eventId) });
  }
  return segments;
}

/**
 * When each run first had each status, by `runId` and status: folds the data directory's ledger
 * from the start, segment by segment, and notes the time of the segment whose fold made the change.
 */
export async function runStatusTimes(
  dataDir: string,
  scope: Scope = DEFAULT_SCOPE,
): Promise<Map<string, number>> {
  const segments = await readLedger(dataDir, scope);
  const timeOf = new Map(segments.map((segment) => [segment.seq, segment.at]));
  const ledgerStore = createLocalDiskObjectStore(join(dataDir, 'store'));
  const secret = await createLocalTenantSecrets(join(dataDir, 'secrets')).secretFor(scope.tenantId);
  const projections = await ProjectionStore.open({
    store: createMemoryObjectStore(),
    scope,
    codec: createHyparquetCodec(),
    ledger: new Ledger({ store: ledgerStore, scope, clock: systemClock }),
    fold: { ...scope, secret, retention: DEFAULT_RETENTION },
    clock: systemClock,
    publisher: false,
  });
  const first = new Map<string, number>();
  projections.subscribe((changes) => {
    for (const runId of changes.tables.get('runs') ?? []) {
      const status = projections.state.tables.runs.get(runId)?.status;
      const key = `${runId}/${status}`;
      if (status !== undefined && !first.has(key)) first.set(key, timeOf.get(changes.toSeq) ?? 0);
    }
  });
  await projections.catchUp();
  return first;
}

/** The value at quantile `q` (0–1) of `values`, by the nearest-rank method. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
