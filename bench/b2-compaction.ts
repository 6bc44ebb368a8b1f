/**
 * B2 — compaction (SPEC §9), on the local-disk object store that embedded mode uses, in a temporary
 * directory under `os.tmpdir()` that is removed at the end. Timed phases use the store with its
 * default fsync.
 *
 * `BENCH_B2_LEDGER_DIR` (for iterating on the catch-up): the million-event ledger is kept in that
 * directory instead, written by the first run that finds it empty and reused by later ones (see
 * `keptLedgerDir`); everything else still goes to the temporary directory.
 *
 * Set-up (untimed): the ledger (`MILLION_EVENT_LEDGER`, 1,009,908 events in 790,581 segments) is
 * written segment by segment, create-only, under the key and with the bytes `Ledger` writes
 * (`segmentKey`, `serializeSegment`), 16 writes at a time, with `fsync: false`. `Ledger.appendEvents`
 * would also re-validate every event and probe for the head before each append; appending is not
 * what B2 measures.
 *
 * (a′) Diagnostic, no target: the fold and base publish of (a) without reading the ledger back. A
 *     store over an empty directory is handed every segment with `accept()` (parsed from the bytes
 *     in memory) and publishes with `publish({ merge: true })`: `acceptAndPublishSeconds` =
 *     `acceptSeconds` (parse + fold) + `acceptPublishSeconds` (Parquet encode and write of every
 *     table). The difference from (a) is the cost of reading 790,581 segment files.
 *
 * (a) Full publish, ≤ 15 s: `ProjectionStore.open` (via `openFixture`) + `catchUp()` +
 *     `publish({ merge: true })` on a new store over the ledger's directory, timed end to end
 *     (`fullPublishSeconds`) and split into open, catch-up and publish. If the catch-up has not
 *     finished after `BENCH_B2_DEADLINE_SECONDS` (default 300) it is abandoned:
 *     `fullPublishCompleted` is 0 and `fullPublishSeconds` is when it stopped, a lower bound.
 *
 * (b) Micro-compaction: 1,000 new events onto ~1M rows in ≤ 300 ms, and no more than twice the time
 *     onto ~100k rows (the cost must grow with the new events, not the state). The 1M state is the
 *     store (a) published (or, if (a) was abandoned, a fresh store brought to the head with
 *     `accept()` and a merge); the 100k state (`HUNDRED_K_ROW_LEDGER`) is written and brought to
 *     its head the same way, untimed. Then 1 warm-up + 10 times: a fresh batch of 1,000 events
 *     continuing the scenario (`continuationBatch`: the next tick and run lifecycle of 57 schedules
 *     that exist in both states, sensor evaluations, a backfill — new rows and updates of existing
 *     ones) is written to the ledger untimed, and `catchUp()` + `publish()` (a delta) is timed.
 *     Figures are medians of the 10: the total, its catch-up and publish parts, and GC pauses.
 *
 * `…Gc…` figures sum the garbage-collection pauses V8 reported during a timed phase. Row counts are
 * those of the states the figures ran on. A full garbage collection runs before (a′) and (a), to
 * clear the set-up's garbage, but not before each micro-compaction: right after a forced collection
 * the next scavenges on a heap of this size take 50-170 ms instead of 5-15 ms.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ProjectionState } from '../engine/fold/state.js';
import { parseSegment, segmentKey, serializeSegment } from '../engine/ledger/ledger.js';
import type { LedgerEvent } from '../engine/model/catalog.js';
import { ulidTime } from '../engine/model/ulid.js';
import type { ProjectionStore } from '../engine/projections/projection-store.js';
import { TABLE_NAMES } from '../engine/projections/tables/index.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import type { ObjectStore } from '../engine/storage/object-store.js';
import { TEST_SCOPE } from '../engine/testing/event-factory.js';
import { generateScenario } from '../engine/testing/scenario.js';
import { openFixture } from '../engine/testing/workspace-fixture.js';
import { type Benchmark, collectGarbage, judge, log, median, monitorGc } from './harness.js';
import {
  type LedgerShape,
  MILLION_EVENT_LEDGER,
  type SerializedLedger,
  serializedScenario,
} from './scenario-ledger.js';

type GcMonitor = ReturnType<typeof monitorGc>;

const DAY_MS = 86_400_000;
/** The smaller state: the same ten days with 360 instead of 5,100 schedules (34,320 rows). */
const HUNDRED_K_ROW_LEDGER: LedgerShape = { days: 10, schedules: 360, seed: 2 };
const BATCH_EVENTS = 1000;
/** A scenario day makes 17 events per schedule, plus 32 for sensors and backfills: 57 → 1,001. */
const BATCH_SCHEDULES = 57;
const WARMUP_BATCHES = 1;
const TIMED_BATCHES = 10;
const APPEND_CONCURRENCY = 16;
const DEADLINE_SECONDS = Math.max(15, Number(process.env.BENCH_B2_DEADLINE_SECONDS ?? 300));
/** Where to keep the million-event ledger between runs; unset: in the run's temporary directory. */
const KEPT_LEDGER_DIR = process.env.BENCH_B2_LEDGER_DIR || undefined;
/** Written beside a kept ledger once every segment is there: what it holds. */
const KEPT_LEDGER_MARKER = 'b2-ledger.json';

class DeadlinePassed extends Error {}

/**
 * A store whose reads (`get`, `getMany`, `head`, `list`) throw `DeadlinePassed` once `deadlineAt`
 * (a `performance.now()` time) has passed, which ends a catch-up. Otherwise it is the inner store,
 * optional methods included.
 */
function withDeadline(inner: ObjectStore): { store: ObjectStore; arm(deadlineAt: number): void } {
  let deadlineAt = Number.POSITIVE_INFINITY;
  const check = () => {
    if (performance.now() > deadlineAt) throw new DeadlinePassed('deadline passed');
  };
  const store: ObjectStore = {
    get: async (key) => {
      check();
      return inner.get(key);
    },
    head: async (key) => {
      check();
      return inner.head(key);
    },
    list: async (options) => {
      check();
      return inner.list(options);
    },
    put: (key, body, options) => inner.put(key, body, options),
    delete: (key, options) => inner.delete(key, options),
  };
  const getMany = inner.getMany?.bind(inner);
  if (getMany !== undefined) {
    store.getMany = async (keys) => {
      check();
      return getMany(keys);
    };
  }
  return {
    store,
    arm: (at) => {
      deadlineAt = at;
    },
  };
}

function rowCount(state: ProjectionState): number {
  let rows = 0;
  for (const name of TABLE_NAMES) rows += state.tables[name].size;
  return rows;
}

/** Writes segments `firstSeq…` create-only, untimed, `fsync: false` (see the header). */
async function writeSegments(dir: string, bodies: readonly Uint8Array[], firstSeq: number): Promise<void> {
  const store = createLocalDiskObjectStore(dir, { fsync: false });
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      await store.put(segmentKey(TEST_SCOPE, firstSeq + index), bodies[index]!, {
        ifNotExists: true,
        contentType: 'application/json',
      });
      if (bodies.length >= 100_000 && (index + 1) % 100_000 === 0)
        log('B2', `  ${index + 1} segments written`);
    }
  };
  await Promise.all(Array.from({ length: APPEND_CONCURRENCY }, worker));
}

/**
 * About 1,000 new events continuing a ledger whose last event is at `afterTime`: the scenario's
 * first day for the first 57 schedules (which exist in both states), starting one minute later,
 * without the scenario's deploy segment (stamped a day earlier). Whole segments, up to the first
 * that reaches 1,000 events.
 */
function continuationBatch(afterTime: number, seed: number): { segments: LedgerEvent[][]; events: number } {
  const segments = generateScenario({
    days: 1,
    schedules: BATCH_SCHEDULES,
    seed,
    start: afterTime + 60_000 - DAY_MS,
  }).slice(1);
  const taken: LedgerEvent[][] = [];
  let events = 0;
  for (const segment of segments) {
    if (events >= BATCH_EVENTS) break;
    taken.push(segment);
    events += segment.length;
  }
  if (ulidTime(taken[0]![0]!.eventId) <= afterTime) throw new Error('continuation batch starts too early');
  return { segments: taken, events };
}

/**
 * Prepares `dir` to hold the ledger `ledger` (`BENCH_B2_LEDGER_DIR`). Returns true when it holds it
 * already: a marker written after a complete write matches, and what earlier runs added on top
 * (the projections, and the micro-compaction segments after the last of `ledger`) has been removed,
 * so the run starts from the bare ledger as a fresh one does. Otherwise the directory must be empty
 * or marked as B2's (an unfinished write, or another ledger), and its contents are removed; a
 * directory without the marker is refused rather than emptied. The caller then marks it as
 * unfinished, writes the ledger and marks it complete.
 */
async function keptLedgerDir(dir: string, ledger: SerializedLedger): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const marker = await readFile(join(dir, KEPT_LEDGER_MARKER), 'utf8').catch(() => undefined);
  if (marker !== keptLedgerMarker(ledger)) {
    if (marker === undefined && (await readdir(dir)).length > 0) {
      throw new Error(
        `BENCH_B2_LEDGER_DIR ${dir} is neither empty nor a B2 ledger; choose another directory`,
      );
    }
    for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
    return false;
  }
  const lastSegment = join(dir, segmentKey(TEST_SCOPE, ledger.bodies.length));
  const segmentsDir = dirname(lastSegment);
  const ledgerDir = dirname(segmentsDir);
  const workspaceDir = dirname(ledgerDir);
  const lastName = lastSegment.slice(segmentsDir.length + 1);
  const removeAllBut = async (parent: string, keep: (name: string) => boolean) => {
    for (const name of await readdir(parent)) {
      if (!keep(name)) await rm(join(parent, name), { recursive: true, force: true });
    }
  };
  await removeAllBut(workspaceDir, (name) => join(workspaceDir, name) === ledgerDir);
  await removeAllBut(ledgerDir, (name) => join(ledgerDir, name) === segmentsDir);
  // Segment names are zero-padded sequence numbers of one length, so they sort as the numbers do.
  await removeAllBut(
    segmentsDir,
    (name) => name.length === lastName.length && !name.includes('~') && name <= lastName,
  );
  return true;
}

function keptLedgerMarker(ledger: SerializedLedger): string {
  return JSON.stringify({
    shape: MILLION_EVENT_LEDGER,
    segments: ledger.bodies.length,
    events: ledger.events,
    lastEventId: ledger.lastEventId,
  });
}

/** Marks `dir` as B2's: with the ledger once it is complete, as unfinished (undefined) before. */
async function markKeptLedger(dir: string, ledger: SerializedLedger | undefined): Promise<void> {
  await writeFile(join(dir, KEPT_LEDGER_MARKER), ledger === undefined ? '{}' : keptLedgerMarker(ledger));
}

interface FullPublish {
  completed: boolean;
  seconds: number;
  openSeconds: number;
  catchUpSeconds: number;
  publishSeconds: number;
  gcSeconds: number;
  rows: number;
  segmentsFolded: number;
  /** The store, to go on with when the catch-up completed. */
  projections: ProjectionStore | undefined;
}

/** (a): open + catch up + publish everything as a base, on default fsync. */
async function fullPublish(dir: string, segments: number, gc: GcMonitor): Promise<FullPublish> {
  const reads = withDeadline(createLocalDiskObjectStore(dir));
  collectGarbage();
  const start = performance.now();
  const { projections } = await openFixture(reads.store);
  const opened = performance.now();
  let reported = 0;
  const unsubscribe = projections.subscribe((changes) => {
    if (changes.toSeq - reported < 100_000) return;
    reported = changes.toSeq;
    const seconds = (performance.now() - opened) / 1000;
    log('B2', `  caught up ${changes.toSeq}/${segments} segments in ${seconds.toFixed(0)} s`);
  });
  let completed = true;
  reads.arm(start + DEADLINE_SECONDS * 1000);
  try {
    await projections.catchUp();
  } catch (error) {
    if (!(error instanceof DeadlinePassed)) throw error;
    completed = false;
  }
  reads.arm(Number.POSITIVE_INFINITY);
  unsubscribe();
  const caughtUp = performance.now();
  if (completed) await projections.publish({ merge: true });
  const end = performance.now();
  return {
    completed,
    seconds: (end - start) / 1000,
    openSeconds: (opened - start) / 1000,
    catchUpSeconds: (caughtUp - opened) / 1000,
    publishSeconds: (end - caughtUp) / 1000,
    gcSeconds: (await gc.pausedMs(start, end)) / 1000,
    rows: rowCount(projections.state),
    segmentsFolded: projections.watermark.seq,
    projections: completed ? projections : undefined,
  };
}

interface AcceptAndPublish {
  seconds: number;
  acceptSeconds: number;
  publishSeconds: number;
  gcSeconds: number;
  rows: number;
}

/**
 * (a′), a diagnostic: the work of (a) without reading the ledger back. A store over an empty
 * directory (default fsync) is handed every segment with `accept()` (parsed from the bytes in
 * memory, timed) and publishes everything as a base.
 */
async function acceptAndPublish(
  dir: string,
  bodies: readonly Uint8Array[],
  gc: GcMonitor,
): Promise<AcceptAndPublish> {
  const { projections } = await openFixture(createLocalDiskObjectStore(dir));
  collectGarbage();
  const start = performance.now();
  for (let seq = 1; seq <= bodies.length; seq++) {
    await projections.accept(parseSegment(bodies[seq - 1]!, seq));
  }
  const accepted = performance.now();
  await projections.publish({ merge: true });
  const end = performance.now();
  return {
    seconds: (end - start) / 1000,
    acceptSeconds: (accepted - start) / 1000,
    publishSeconds: (end - accepted) / 1000,
    gcSeconds: (await gc.pausedMs(start, end)) / 1000,
    rows: rowCount(projections.state),
  };
}

interface MicroCompactions {
  rows: number;
  batchEvents: number;
  /** catchUp + publish of each timed batch. */
  totalMs: number[];
  medianMs: number;
  medianCatchUpMs: number;
  medianPublishMs: number;
  medianGcMs: number;
}

/**
 * (b): the store of a state at the head of `ledger` (`existing`, or a fresh one brought there),
 * then catch-up + delta publish of new batches, timed.
 */
async function microCompactions(
  dir: string,
  ledger: SerializedLedger,
  label: string,
  gc: GcMonitor,
  existing?: ProjectionStore,
): Promise<MicroCompactions> {
  const projections = existing ?? (await openFixture(createLocalDiskObjectStore(dir))).projections;
  await foldToHead(projections, ledger.bodies);
  const rows = rowCount(projections.state);
  log('B2', `${label}: state of ${rows} rows at segment ${projections.watermark.seq}`);

  let nextSeq = ledger.bodies.length + 1;
  let lastTime = ulidTime(ledger.lastEventId);
  const totalMs: number[] = [];
  const catchUpMs: number[] = [];
  const publishMs: number[] = [];
  const gcMs: number[] = [];
  let batchEvents = 0;
  for (let round = 0; round < WARMUP_BATCHES + TIMED_BATCHES; round++) {
    const batch = continuationBatch(lastTime, 1000 + round);
    const bodies = batch.segments.map((events, index) => serializeSegment({ seq: nextSeq + index, events }));
    await writeSegments(dir, bodies, nextSeq);
    lastTime = ulidTime(batch.segments.at(-1)!.at(-1)!.eventId);
    nextSeq += bodies.length;
    batchEvents = batch.events;

    // No forced collection here: on a large heap it makes the scavenges that follow it take
    // 50-170 ms instead of 5-15 ms, which a compactor in production never sees.
    const start = performance.now();
    const folded = await projections.catchUp();
    const caughtUp = performance.now();
    const { kind } = await projections.publish();
    const end = performance.now();
    if (folded !== bodies.length || kind !== 'delta') {
      throw new Error(`${label}: caught up ${folded}/${bodies.length} segments, published ${kind}`);
    }
    const paused = await gc.pausedMs(start, end);
    const warmup = round < WARMUP_BATCHES;
    log(
      'B2',
      `${label}: ${warmup ? 'warm-up ' : ''}${batch.events} events in ${bodies.length} segments: ` +
        `${(end - start).toFixed(0)} ms (catchUp ${(caughtUp - start).toFixed(0)}, publish ` +
        `${(end - caughtUp).toFixed(0)}; GC ${paused.toFixed(0)})`,
    );
    if (!warmup) {
      totalMs.push(end - start);
      catchUpMs.push(caughtUp - start);
      publishMs.push(end - caughtUp);
      gcMs.push(paused);
    }
  }
  return {
    rows,
    batchEvents,
    totalMs,
    medianMs: median(totalMs),
    medianCatchUpMs: median(catchUpMs),
    medianPublishMs: median(publishMs),
    medianGcMs: median(gcMs),
  };
}

/**
 * Folds what the store has not folded yet by handing it the segments directly (`accept`: no
 * reads), then publishes the result as a new base. Nothing to do when it is at the head already.
 */
async function foldToHead(projections: ProjectionStore, bodies: readonly Uint8Array[]): Promise<void> {
  if (projections.watermark.seq >= bodies.length) return;
  for (let seq = projections.watermark.seq + 1; seq <= bodies.length; seq++) {
    await projections.accept(parseSegment(bodies[seq - 1]!, seq));
  }
  await projections.publish({ merge: true });
}

const benchmark: Benchmark = {
  id: 'B2',
  title: 'compaction',
  targets:
    '1M events → published projections ≤ 15 s; micro-compaction of 1,000 new events onto ~1M rows ' +
    '≤ 300 ms and ≤ 2× the same onto ~100k rows',
  units: {
    events: 'events',
    segments: 'segments',
    fullPublishSeconds: 's',
    fullPublishCompleted: '1 = yes',
    fullPublishOpenSeconds: 's',
    fullPublishCatchUpSeconds: 's',
    fullPublishPublishSeconds: 's',
    fullPublishGcSeconds: 's',
    fullPublishSegmentsFolded: 'segments',
    fullPublishRows: 'rows',
    acceptAndPublishSeconds: 's',
    acceptSeconds: 's',
    acceptPublishSeconds: 's',
    acceptAndPublishGcSeconds: 's',
    acceptRows: 'rows',
    microBatchEvents: 'events',
    microCompactionMs1M: 'ms',
    microCatchUpMs1M: 'ms',
    microPublishMs1M: 'ms',
    microGcMs1M: 'ms',
    rows1M: 'rows',
    microCompactionMs100k: 'ms',
    microCatchUpMs100k: 'ms',
    microPublishMs100k: 'ms',
    microGcMs100k: 'ms',
    rows100k: 'rows',
    segments100k: 'segments',
    peakRssMB: 'MB',
  },
  checks: [
    { figure: 'fullPublishSeconds', op: '<=', bound: 15, text: '≤ 15' },
    { figure: 'fullPublishCompleted', op: '>=', bound: 1, text: '= 1' },
    { figure: 'microCompactionMs1M', op: '<=', bound: 300, text: '≤ 300' },
    {
      figure: 'microCompactionMs1M',
      op: '<=',
      bound: (figures) => 2 * (figures.microCompactionMs100k ?? Number.NaN),
      text: '≤ 2 × microCompactionMs100k',
    },
  ],

  async run() {
    const root = await mkdtemp(join(tmpdir(), 'servo-bench-b2-'));
    const gc = monitorGc();
    try {
      log('B2', `generating the scenario ${JSON.stringify(MILLION_EVENT_LEDGER)} (untimed)`);
      let million: SerializedLedger | undefined = serializedScenario(MILLION_EVENT_LEDGER);
      const events = million.events;
      const segments = million.bodies.length;
      const millionDir = KEPT_LEDGER_DIR ?? join(root, 'million');
      if (KEPT_LEDGER_DIR !== undefined && (await keptLedgerDir(KEPT_LEDGER_DIR, million))) {
        log('B2', `reusing the ledger kept in ${millionDir} (BENCH_B2_LEDGER_DIR)`);
      } else {
        await mkdir(millionDir, { recursive: true });
        if (KEPT_LEDGER_DIR !== undefined) await markKeptLedger(KEPT_LEDGER_DIR, undefined);
        log('B2', `writing ${events} events in ${segments} segments to ${millionDir} (untimed, fsync off)`);
        await writeSegments(millionDir, million.bodies, 1);
        if (KEPT_LEDGER_DIR !== undefined) await markKeptLedger(KEPT_LEDGER_DIR, million);
      }

      log('B2', `(a') accept() every segment + publish({ merge: true }) onto an empty directory`);
      const acceptDir = join(root, 'accept');
      await mkdir(acceptDir);
      const accepted = await acceptAndPublish(acceptDir, million.bodies, gc);
      log(
        'B2',
        `(a') ${accepted.seconds.toFixed(1)} s (accept ${accepted.acceptSeconds.toFixed(1)}, publish ` +
          `${accepted.publishSeconds.toFixed(1)}; GC ${accepted.gcSeconds.toFixed(1)}); ${accepted.rows} rows`,
      );

      log('B2', `(a) open + catchUp + publish({ merge: true }), deadline ${DEADLINE_SECONDS} s`);
      const full = await fullPublish(millionDir, segments, gc);
      log(
        'B2',
        `(a) ${full.completed ? 'published' : 'ABANDONED at the deadline'} after ${full.seconds.toFixed(1)} s ` +
          `(open ${full.openSeconds.toFixed(1)}, catchUp ${full.catchUpSeconds.toFixed(1)}, publish ` +
          `${full.publishSeconds.toFixed(1)}; GC ${full.gcSeconds.toFixed(1)}); ${full.rows} rows`,
      );

      const micro1M = await microCompactions(millionDir, million, '(b) 1M', gc, full.projections);
      million = undefined;
      full.projections = undefined;
      collectGarbage();

      log('B2', `generating the scenario ${JSON.stringify(HUNDRED_K_ROW_LEDGER)} (untimed)`);
      const small = serializedScenario(HUNDRED_K_ROW_LEDGER);
      const smallDir = join(root, 'hundred-k');
      await mkdir(smallDir);
      await writeSegments(smallDir, small.bodies, 1);
      const micro100k = await microCompactions(smallDir, small, '(b) 100k', gc);

      const figures = {
        events,
        segments,
        fullPublishSeconds: full.seconds,
        fullPublishCompleted: full.completed ? 1 : 0,
        fullPublishOpenSeconds: full.openSeconds,
        fullPublishCatchUpSeconds: full.catchUpSeconds,
        fullPublishPublishSeconds: full.publishSeconds,
        fullPublishGcSeconds: full.gcSeconds,
        fullPublishSegmentsFolded: full.segmentsFolded,
        fullPublishRows: full.rows,
        acceptAndPublishSeconds: accepted.seconds,
        acceptSeconds: accepted.acceptSeconds,
        acceptPublishSeconds: accepted.publishSeconds,
        acceptAndPublishGcSeconds: accepted.gcSeconds,
        acceptRows: accepted.rows,
        microBatchEvents: micro1M.batchEvents,
        microCompactionMs1M: micro1M.medianMs,
        microCatchUpMs1M: micro1M.medianCatchUpMs,
        microPublishMs1M: micro1M.medianPublishMs,
        microGcMs1M: micro1M.medianGcMs,
        rows1M: micro1M.rows,
        microCompactionMs100k: micro100k.medianMs,
        microCatchUpMs100k: micro100k.medianCatchUpMs,
        microPublishMs100k: micro100k.medianPublishMs,
        microGcMs100k: micro100k.medianGcMs,
        rows100k: micro100k.rows,
        segments100k: small.bodies.length,
      };
      log('B2', `1M batches (ms): ${micro1M.totalMs.map((ms) => ms.toFixed(0)).join(' ')}`);
      log('B2', `100k batches (ms): ${micro100k.totalMs.map((ms) => ms.toFixed(0)).join(' ')}`);
      return { figures, met: judge(benchmark.checks, figures) };
    } finally {
      gc.stop();
      log('B2', `removing ${root}`);
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default benchmark;
