import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Folder } from '../fold/fold.js';
import { createProjectionState } from '../fold/state.js';
import { createLocalDiskObjectStore } from '../storage/local-disk-object-store.js';
import { seededRandom, TEST_SCOPE, testFoldConfig } from '../testing/event-factory.js';
import { generateScenario } from '../testing/scenario.js';
import { snapshotRows } from '../testing/snapshot.js';
import { appendSegments, openFixture } from '../testing/workspace-fixture.js';
import { Manifest, Pointer, parseJsonObject, pointerKey } from './manifest.js';

const worker = new URL('./__fixtures__/compactor-process.ts', import.meta.url).pathname;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'servo-race-'));
  dirs.push(dir);
  return dir;
}

interface Worker {
  /** Resolves when the worker printed `ready` (its store is open). */
  ready: Promise<void>;
  /** Resolves with the worker's last output line when it exits successfully. */
  done: Promise<string>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.startsWith('ready\n')) signalReady();
  });
  child.stderr.on('data', (chunk) => {
    err += chunk;
  });
  const done = new Promise<string>((resolve, reject) => {
    child.on('exit', (code) => {
      signalReady();
      if (code === 0) resolve(out.trim().split('\n').at(-1) ?? '');
      else reject(new Error(`worker exited ${code}: ${err}`));
    });
  });
  return { ready, done };
}

function runWorker(args: string[]): Promise<string> {
  return startWorker(args).done;
}

const scenario = generateScenario({ days: 4, schedules: 2, seed: 5 });

function freshFold() {
  const state = createProjectionState();
  const folder = new Folder(testFoldConfig());
  for (const segment of scenario) folder.foldAll(state, segment);
  return state;
}

const hashRows = (state: ReturnType<typeof createProjectionState>) =>
  createHash('sha256')
    .update(JSON.stringify(snapshotRows(state)))
    .digest('hex');

describe('replay determinism', () => {
  it('two OS processes folding the same ledger produce byte-identical rows, equal to this process', async () => {
    const dir = await tempDir();
    const { ledger } = await openFixture(createLocalDiskObjectStore(dir));
    await appendSegments(ledger, scenario);
    const [a, b] = await Promise.all([runWorker(['fold-hash', dir]), runWorker(['fold-hash', dir])]);
    const expected = hashRows(freshFold());
    expect(JSON.parse(a!)).toEqual({ hash: expected, seq: scenario.length });
    expect(JSON.parse(b!)).toEqual({ hash: expected, seq: scenario.length });
  }, 60_000);

  it('any interleaving of appends, compactions, merges and restarts publishes the rows of a fresh fold', async () => {
    let instances = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = seededRandom(seed);
      let fixture = await openFixture(undefined, { limits: { maxDeltas: 4 } }, 100 * seed + instances++);
      const store = fixture.store;
      let next = 0;
      while (next < scenario.length) {
        const roll = random();
        if (roll < 0.5) {
          const count = 1 + Math.floor(random() * 25);
          await appendSegments(fixture.ledger, scenario.slice(next, next + count));
          next += count;
        } else if (roll < 0.75) {
          await fixture.projections.catchUp();
          await fixture.projections.publish({ merge: fixture.projections.needsMerge() });
        } else if (roll < 0.85) {
          await fixture.projections.catchUp();
          await fixture.projections.publish({ merge: true });
        } else {
          // Restart: a new process opens whatever was published and carries on.
          fixture = await openFixture(store, { limits: { maxDeltas: 4 } }, 100 * seed + instances++);
        }
      }
      await fixture.projections.catchUp();
      await fixture.projections.publish();
      const published = await openFixture(store);
      expect(hashRows(published.projections.state), `seed ${seed}`).toBe(hashRows(freshFold()));
      const rebuilt = await openFixture(store);
      await rebuilt.projections.rebuild();
      expect(hashRows((await openFixture(store)).projections.state), `rebuild, seed ${seed}`).toBe(
        hashRows(freshFold()),
      );
    }
  }, 120_000);
});

/**
 * One race: three compactor processes publish while this process appends. Checks every safety
 * property and returns how many processes published (the race's strength).
 */
async function raceOnce(): Promise<number> {
  const dir = await tempDir();
  const store = createLocalDiskObjectStore(dir);
  const { ledger } = await openFixture(store);
  const head = scenario.length;
  const workers = [1, 2, 3].map((seed) => startWorker(['compact', dir, String(head), String(seed)]));
  await Promise.all(workers.map((worker) => worker.ready));
  // Keep appending while the compactors run.
  for (let index = 0; index < scenario.length; index += 5) {
    await appendSegments(ledger, scenario.slice(index, index + 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const reports = (await Promise.all(workers.map((worker) => worker.done))).map(
    (out) =>
      JSON.parse(out) as {
        publishes: {
          manifestId: number;
          kind: string;
          fromSeq: number;
          toSeq: number;
          racesLost: number;
        }[];
        observed: number[];
      },
  );

  // Each process saw the pointer's manifest id only move forward.
  for (const report of reports) {
    for (let index = 1; index < report.observed.length; index++) {
      expect(report.observed[index]!).toBeGreaterThanOrEqual(report.observed[index - 1]!);
    }
  }
  // The manifest chain from the pointer back to the first manifest has one manifest per id.
  const pointer = parseJsonObject(Pointer, (await store.get(pointerKey(TEST_SCOPE)))!.body, 'pointer');
  expect(pointer.watermark.seq).toBe(head);
  const chain: Manifest[] = [];
  for (let path: string | null = pointer.manifestPath; path !== null; ) {
    const manifest: Manifest = parseJsonObject(Manifest, (await store.get(path))!.body, path);
    chain.push(manifest);
    path = manifest.previousManifestPath;
  }
  expect(chain.map((manifest) => manifest.manifestId)).toEqual(
    Array.from({ length: chain.length }, (_, index) => pointer.manifestId - index),
  );
  expect(chain.at(-1)?.manifestId).toBe(1);
  // Every successful publish of every process is in the chain (no lost delta), and the
  // published segment ranges follow one another without gaps or overlaps.
  const byId = new Map(chain.map((manifest) => [manifest.manifestId, manifest]));
  const publishes = reports.flatMap((report) => report.publishes);
  console.info(
    `racing compactors: ${publishes.length} publishes, ${publishes.filter((p) => p.kind === 'base').length} bases, ` +
      `${reports.reduce((sum, report) => sum + report.publishes.reduce((n, p) => n + p.racesLost, 0), 0)} races lost`,
  );
  expect(new Set(publishes.map((publish) => publish.manifestId)).size).toBe(publishes.length);
  for (const publish of publishes) expect(byId.get(publish.manifestId)?.watermark.seq).toBe(publish.toSeq);
  const ordered = [...chain].reverse();
  for (let index = 1; index < ordered.length; index++) {
    expect(ordered[index]!.watermark.seq).toBeGreaterThanOrEqual(ordered[index - 1]!.watermark.seq);
    const delta = ordered[index]!.deltas.at(-1);
    if (ordered[index]!.base === null || ordered[index]!.deltas.length > 0) {
      if (delta !== undefined && delta.toSeq === ordered[index]!.watermark.seq) {
        expect(delta.fromSeq).toBe(ordered[index - 1]!.watermark.seq);
      }
    }
  }
  // And the published rows are those of folding each event once.
  const published = await openFixture(store);
  expect(hashRows(published.projections.state)).toBe(hashRows(freshFold()));
  return reports.filter((report) => report.publishes.length > 0).length;
}

describe('compactors racing in separate processes', () => {
  it('fold every event exactly once into the published projections, never move the pointer back, lose no delta', async () => {
    // On a busy machine one process can win every turn; race again until they really interleaved.
    let publishers = 0;
    for (let attempt = 0; attempt < 4 && publishers < 2; attempt++) publishers = await raceOnce();
    expect(publishers).toBeGreaterThan(1);
  }, 240_000);
});
