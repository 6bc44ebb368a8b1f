import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../errors.js';
import { keyPaths } from './local-disk-layout.js';
import { createLocalDiskObjectStore } from './local-disk-object-store.js';
import { describeObjectStoreConformance } from './object-store.conformance.js';
import { listAll } from './object-store.js';

const makeTempDir = () => mkdtemp(join(tmpdir(), 'servo-local-disk-'));

// A key is a plain file here, so it cannot also be a directory of keys (`a` beside `a/b`), and `~`
// marks the store's own lock and temporary files (see `local-disk-layout.ts`).
describeObjectStoreConformance(
  'local disk object store',
  async () => {
    const rootDir = await makeTempDir();
    return {
      store: createLocalDiskObjectStore(rootDir),
      cleanup: () => rm(rootDir, { recursive: true, force: true }),
    };
  },
  { keyMayBePrefix: false, reservedKeyCharacters: '~' },
);

const workerScript = fileURLToPath(new URL('./__fixtures__/local-disk-worker.ts', import.meta.url));

/** One worker process (see the fixture) with a line-by-line view of its stdout. */
class Worker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  #stderr = '';

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', workerScript, ...args], { cwd: process.cwd() });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.#lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async nextLine(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done === true) throw new Error(`worker ended early: ${this.#stderr}`);
    return value;
  }

  async result(): Promise<{ outcome: string; retries?: number }> {
    return JSON.parse(await this.nextLine()) as { outcome: string; retries?: number };
  }

  go(): void {
    this.child.stdin.write('go\n');
  }

  async exited(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const [code] = await once(this.child, 'exit');
    return code as number | null;
  }
}

/** Starts the workers and releases them together once all have booted. */
async function startTogether(argsList: string[][]): Promise<Worker[]> {
  const workers = argsList.map((args) => new Worker(args));
  for (const worker of workers) expect(await worker.nextLine()).toBe('ready');
  for (const worker of workers) worker.go();
  return workers;
}

describe('local disk object store across processes', () => {
  let rootDir: string;
  let workers: Worker[] = [];

  beforeEach(async () => {
    rootDir = await makeTempDir();
  });
  afterEach(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    workers = [];
    await rm(rootDir, { recursive: true, force: true });
  });

  it('lets exactly one of 4 processes racing create-only puts win', async () => {
    workers = await startTogether(
      [0, 1, 2, 3].map((i) => ['create', rootDir, 'race/segment', `process-${i}`]),
    );
    const outcomes = await Promise.all(workers.map((worker) => worker.result()));
    const winners = outcomes.flatMap((result, i) => (result.outcome === 'created' ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((result) => result.outcome === ErrorCode.PreconditionFailed)).toHaveLength(3);
    const stored = await createLocalDiskObjectStore(rootDir).get('race/segment');
    expect(Buffer.from(stored!.body).toString()).toBe(`process-${winners[0]}`);
    for (const worker of workers) expect(await worker.exited()).toBe(0);
  });

  it('loses no update when 4 processes each make 50 compare-and-swap increments', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    await store.put('race/counter.json', Buffer.from(JSON.stringify({ value: 0 })), { ifNotExists: true });
    workers = await startTogether([0, 1, 2, 3].map(() => ['increment', rootDir, 'race/counter.json', '50']));
    const outcomes = await Promise.all(workers.map((worker) => worker.result()));
    expect(outcomes.every((result) => result.outcome === 'done')).toBe(true);
    const stored = await store.get('race/counter.json');
    expect(JSON.parse(Buffer.from(stored!.body).toString())).toEqual({ value: 200 });
    for (const worker of workers) expect(await worker.exited()).toBe(0);
  });

  it('breaks the lock of a process killed while holding it, so the next write succeeds at once', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    const first = await store.put('crash/pointer', Buffer.from('v1'));
    workers = await startTogether([['hold-lock', rootDir, 'crash/pointer']]);
    expect((await workers[0]!.result()).outcome).toBe('locked');
    workers[0]!.child.kill('SIGKILL');
    await workers[0]!.exited();

    const started = Date.now();
    await store.put('crash/pointer', Buffer.from('v2'), { ifGenerationMatch: first.generation });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(Buffer.from((await store.get('crash/pointer'))!.body).toString()).toBe('v2');
  });

  it('leaves a whole body readable and the key writable after a writer is killed mid-write', async () => {
    const size = 1024 * 1024;
    workers = await startTogether([['write-loop', rootDir, 'crash/blob', String(size)]]);
    expect((await workers[0]!.result()).outcome).toBe('writing');
    await sleep(50 + Math.random() * 100);
    workers[0]!.child.kill('SIGKILL');
    await workers[0]!.exited();

    const store = createLocalDiskObjectStore(rootDir);
    const survivor = await store.get('crash/blob');
    expect(survivor?.size).toBe(size);
    expect(new Set(survivor!.body).size).toBe(1);
    const started = Date.now();
    await store.put('crash/blob', Buffer.from('after the crash'), {
      ifGenerationMatch: survivor!.generation,
    });
    expect(Date.now() - started).toBeLessThan(2000);
    const keys: string[] = [];
    for await (const meta of listAll(store, { prefix: '' })) keys.push(meta.key);
    expect(keys).toEqual(['crash/blob']);
  });
});

describe('local disk object store on disk', () => {
  let rootDir: string;

  beforeEach(async () => {
    rootDir = await makeTempDir();
  });
  afterEach(async () => {
    await rm(rootDir, { recursive: true, force: true });
  });

  it('keeps objects and their generations when the directory is opened again', async () => {
    const written = await createLocalDiskObjectStore(rootDir).put('t/ws/manifest', Buffer.from('m1'));
    const reopened = createLocalDiskObjectStore(rootDir);
    expect(await reopened.head('t/ws/manifest')).toEqual(written);
    await reopened.put('t/ws/manifest', Buffer.from('m2'), { ifGenerationMatch: written.generation });
  });

  it('never lists lock, temporary or other sidecar files', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    await store.put('dir/object', Buffer.from('x'));
    const paths = keyPaths(rootDir, 'dir/object');
    await writeFile(paths.lock, `${process.pid}\n`);
    await writeFile(`${paths.file}~tmp.1.abcdef`, 'partial');
    await writeFile(`${paths.lock}.break`, '');
    await mkdir(join(paths.dir, 'stray~x'));
    expect((await store.list({ prefix: '' })).objects.map((meta) => meta.key)).toEqual(['dir/object']);
  });

  it('removes temporary files a crashed writer left more than an hour ago when listing', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    await store.put('dir/object', Buffer.from('x'));
    const paths = keyPaths(rootDir, 'dir/object');
    const oldTemp = `${paths.file}~tmp.99999.0123456789ab`;
    const freshTemp = `${paths.file}~tmp.99999.ba9876543210`;
    await writeFile(oldTemp, 'partial');
    await writeFile(freshTemp, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(oldTemp, twoHoursAgo, twoHoursAgo);
    await store.list({ prefix: 'dir/' });
    expect((await readdir(paths.dir)).sort()).toEqual(['object', 'object~tmp.99999.ba9876543210']);
  });

  it('breaks a lock older than staleLockMs even when its owner is alive', async () => {
    const store = createLocalDiskObjectStore(rootDir, { staleLockMs: 1000 });
    await store.put('locked/key', Buffer.from('v1'));
    const { lock } = keyPaths(rootDir, 'locked/key');
    await writeFile(lock, `${process.pid}\nsome-other-host\nfeedface\n`);
    const past = new Date(Date.now() - 5000);
    await utimes(lock, past, past);
    await store.put('locked/key', Buffer.from('v2'));
    expect(Buffer.from((await store.get('locked/key'))!.body).toString()).toBe('v2');
  });

  it('fails UNAVAILABLE after lockTimeoutMs while a live owner holds a fresh lock, writing nothing', async () => {
    const store = createLocalDiskObjectStore(rootDir, { staleLockMs: 60_000, lockTimeoutMs: 200 });
    const first = await store.put('locked/key', Buffer.from('v1'));
    const { lock, dir } = keyPaths(rootDir, 'locked/key');
    await writeFile(lock, `${process.pid}\nsome-other-host\nfeedface\n`);
    const error = await store.put('locked/key', Buffer.from('v2')).catch((caught: unknown) => caught);
    expect(isServoError(error, ErrorCode.Unavailable)).toBe(true);
    expect(await store.head('locked/key')).toEqual(first);
    expect((await readdir(dir)).sort()).toEqual(['key', 'key~lock']);
  });

  it('rejects a key segment too long for a file name with INVALID_INPUT', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    const tooLong = [`long/${'x'.repeat(216)}`, `${'d'.repeat(256)}/x`, `long/${'é'.repeat(108)}`];
    for (const key of tooLong) {
      const error = await store.put(key, Buffer.from('x')).catch((caught: unknown) => caught);
      expect(isServoError(error, ErrorCode.InvalidInput), key).toBe(true);
      expect(String(error)).toMatch(/too long for a file name/);
    }
    await store.put(`long/${'x'.repeat(215)}`, Buffer.from('x'));
    await store.put(`${'d'.repeat(255)}/${'é'.repeat(107)}`, Buffer.from('x'));
    expect((await store.list({ prefix: '' })).objects).toHaveLength(2);
  });

  it('reads any file placed in the tree by another tool as an object', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    await mkdir(join(rootDir, 'imported'));
    await writeFile(join(rootDir, 'imported', 'data.csv'), 'a,b\n1,2\n');
    const got = await store.get('imported/data.csv');
    expect(Buffer.from(got!.body).toString()).toBe('a,b\n1,2\n');
    expect((await store.list({ prefix: 'imported/' })).objects).toEqual([
      { key: 'imported/data.csv', generation: got!.generation, size: 8 },
    ]);
    await store.put('imported/data.csv', Buffer.from('x'), { ifGenerationMatch: got!.generation });
  });
});

describe('local disk object store layout', () => {
  let rootDir: string;

  beforeEach(async () => {
    rootDir = await makeTempDir();
  });
  afterEach(async () => {
    await rm(rootDir, { recursive: true, force: true });
  });

  /** Every file and directory under the root, as `/`-separated relative paths. */
  const tree = async (): Promise<string[]> =>
    (await readdir(rootDir, { recursive: true })).map((path) => path.split(sep).join('/')).sort();

  it('keeps each object as the plain file <root>/<key> holding exactly its bytes', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    const key = 'tenants/t1/workspaces/w1/projections/base/snap-01/runs@part=0.parquet';
    const body = randomBytes(64 * 1024);
    await store.put(key, body, { ifNotExists: true });
    await store.put('tenants/t1/workspaces/w1/projections/pointer.json', Buffer.from('{"v":1}'));
    // What DuckDB and other readers rely on: the file at the key's path is the object, byte for byte.
    expect((await readFile(join(rootDir, ...key.split('/')))).equals(body)).toBe(true);
    expect(await readFile(join(rootDir, 'tenants/t1/workspaces/w1/projections/pointer.json'), 'utf8')).toBe(
      '{"v":1}',
    );
    const files = (await tree()).filter((path) => path.endsWith('.parquet') || path.endsWith('.json'));
    expect(files).toEqual([key, 'tenants/t1/workspaces/w1/projections/pointer.json']);
  });

  it('stores unicode keys as UTF-8 file names', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    await store.put('uni/café/日本語.json', Buffer.from('{}'));
    expect(await readFile(join(rootDir, 'uni', 'café', '日本語.json'), 'utf8')).toBe('{}');
  });

  it('gives a deleted and re-created key new generations that stale ones never match', async () => {
    // ext4 and XFS usually hand a freed inode number straight back, so these versions often share
    // one inode number: their generations must differ all the same.
    const store = createLocalDiskObjectStore(rootDir, { fsync: false });
    const stale: string[] = [];
    for (let round = 0; round < 30; round += 1) {
      const written = await store.put('phoenix', Buffer.from('same bytes'), { ifNotExists: true });
      expect(stale).not.toContain(written.generation);
      stale.push(written.generation);
      expect(await store.delete('phoenix', { ifGenerationMatch: written.generation })).toBe(true);
    }
    const current = await store.put('phoenix', Buffer.from('same bytes'), { ifNotExists: true });
    for (const generation of stale) {
      for (const attempt of [
        () => store.put('phoenix', Buffer.from('lost'), { ifGenerationMatch: generation }),
        () => store.delete('phoenix', { ifGenerationMatch: generation }),
      ]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(isServoError(error, ErrorCode.PreconditionFailed)).toBe(true);
      }
    }
    expect(await store.get('phoenix')).toEqual({
      ...current,
      body: new Uint8Array(Buffer.from('same bytes')),
    });
  });

  it('rejects a stale generation from versions back even when replaces recycle inode numbers', async () => {
    const store = createLocalDiskObjectStore(rootDir, { fsync: false });
    const history = [await store.put('pointer', Buffer.from('00'))];
    for (let i = 1; i < 20; i += 1) {
      const previous = history.at(-1)!.generation;
      history.push(
        await store.put('pointer', Buffer.from(String(i).padStart(2, '0')), { ifGenerationMatch: previous }),
      );
    }
    expect(new Set(history.map((meta) => meta.generation)).size).toBe(history.length);
    for (const stale of history.slice(0, -1)) {
      const error = await store
        .put('pointer', Buffer.from('xx'), { ifGenerationMatch: stale.generation })
        .catch((caught: unknown) => caught);
      expect(isServoError(error, ErrorCode.PreconditionFailed)).toBe(true);
    }
    expect(Buffer.from((await store.get('pointer'))!.body).toString()).toBe('19');
  });

  it('rejects keys containing the reserved ~ in every operation with INVALID_INPUT', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    for (const key of ['a~lock', 'dir~/x', 'x/y~tmp.1.abc', '~']) {
      for (const operation of [
        () => store.put(key, Buffer.from('x')),
        () => store.get(key),
        () => store.head(key),
        () => store.delete(key),
      ]) {
        const error = await operation().catch((caught: unknown) => caught);
        expect(isServoError(error, ErrorCode.InvalidInput), key).toBe(true);
      }
    }
    expect(await tree()).toEqual([]);
  });

  it('rejects a key that is also a prefix of another key with INVALID_INPUT, in both orders', async () => {
    const store = createLocalDiskObjectStore(rootDir);
    await store.put('file', Buffer.from('object'));
    await store.put('dir/child', Buffer.from('child'));
    const attempts = [
      () => store.put('file/below', Buffer.from('x')),
      () => store.put('file/deeper/below', Buffer.from('x')),
      () => store.put('dir', Buffer.from('x')),
      () => store.put('dir', Buffer.from('x'), { ifNotExists: true }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(isServoError(error, ErrorCode.InvalidInput), String(error)).toBe(true);
    }
    expect(await store.get('dir')).toBeUndefined();
    expect(await store.head('file/below')).toBeUndefined();
    expect(await store.delete('dir')).toBe(false);
    expect((await store.list({ prefix: '' })).objects.map((meta) => meta.key)).toEqual(['dir/child', 'file']);
    expect(await tree()).toEqual(['dir', 'dir/child', 'file']);
  });
});
