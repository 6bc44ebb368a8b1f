/**
 * B2 — compaction (SPEC §9), on the local-disk object store that embedded mode uses.
 *
 * (a) Full publish: 1,000,000 events → published projections in ≤ 15 s. The ledger
 *     (`MILLION_EVENT_LEDGER`, 790,581 segments) is first written to a local-disk store in a
 *     temporary directory, untimed: segment by segment, create-only, with the key and bytes `Ledger`
 *     would write (`segmentKey`, `serializeSegment`), 16 writes at a time and `fsync: false`.
 *     (`Ledger.appendEvents` would also re-validate every event and list the segment directory
 *     before each append to find the head; appending is not what B2 measures.) Then, timed end to
 *     end on a new store over the same directory with default fsync: `ProjectionStore.open` (via
 *     `openFixture`) + `catchUp()` + `publish({ merge: true })`, which writes every table as a base.
 *     If the catch-up has not finished after `BENCH_B2_DEADLINE_SECONDS` (default 300), it is
 *     abandoned: `fullPublishCompleted` is 0 and `fullPublishSeconds` is the time at which it was
 *     abandoned, a lower bound.
 *
 * (b) Micro-compaction: 1,000 new events onto a state of ~1M rows in ≤ 300 ms, and no more than
 *     twice the time on a state of ~100k rows (the cost must grow with the new events, not the
 *     state). Each state is a fresh `ProjectionStore` opened on its ledger and brought to the head
 *     (the base published by (a) for the 1M state; for the 100k state, and for the 1M state when
 *     (a) was abandoned, its segments are folded with `accept()` and published with
 *     `publish({ merge: true })`), untimed. Then 1 warm-up + 10 times: a fresh batch of 1,000
 *     events continuing the scenario (`continuationBatch`: the same 57 schedules' next tick and
 *     run lifecycle, sensor evaluations, a backfill — new rows and updates of existing ones) is
 *     written to the ledger untimed as above, and `catchUp()` + `publish()` (a delta, no merge) is
 *     timed with default fsync. The figures are medians over the 10.
 *
 * The `…ListMs…`/`…ListSeconds` figures are the time spent inside `ObjectStore.list` during the
 * timed phases (the ledger's `readAfter` lists the segment directory page by page). The row counts
 * are the states the figures ran on. A full garbage collection runs before each timed phase.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { type Benchmark, collectGarbage, judge, log, median, timeMs } from './harness.js';
import {
  type LedgerShape,
  MILLION_EVENT_LEDGER,
  type SerializedLedger,
  serializedScenario,
} from './scenario-ledger.js';

const DAY_MS = 86_400_000;
/** About 100,000 rows after the fold: the same ten days with 360 instead of 5,100 schedules. */
const HUNDRED_K_ROW_LEDGER: LedgerShape = { days: 10, schedules: 360, seed: 2 };
const BATCH_EVENTS = 1000;
/** A scenario day makes 17 events per schedule, plus 32 for sensors and backfills: 57 → 1,001. */
const BATCH_SCHEDULES = 57;
const WARMUP_BATCHES = 1;
const TIMED_BATCHES = 10;
const APPEND_CONCURRENCY = 16;
const DEADLINE_SECONDS = Math.max(15, Number(process.env.BENCH_B2_DEADLINE_SECONDS ?? 300));

class DeadlinePassed extends Error {}

/** Time spent inside each store operation (summed; concurrent calls overlap). */
interface StoreTimings {
  list: { calls: number; ms: number };
  get: { calls: number; ms: number };
  put: { calls: number; ms: number };
}

/**
 * Wraps a store to measure the time spent in `list`, `get` and `put`; after `deadlineAt`
 * (`performance.now()` time) `list` throws `DeadlinePassed`, which ends a catch-up.
 */
function instrument(inner: ObjectStore, deadlineAt = Number.POSITIVE_INFINITY) {
  const timings: StoreTimings = {
    list: { calls: 0, ms: 0 },
    get: { calls: 0, ms: 0 },
    put: { calls: 0, ms: 0 },
  };
  const measure = async <T>(name: keyof StoreTimings, call: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await call();
    } finally {
      timings[name].calls += 1;
      timings[name].ms += performance.now() - start;
    }
  };
  const store: ObjectStore = {
    get: (key) => measure('get', () => inner.get(key)),
    head: (key) => inner.head(key),
    put: (key, body, options) => measure('put', () => inner.put(key, body, options)),
    list: (options) => {
      if (performance.now() > deadlineAt) return Promise.reject(new DeadlinePassed('deadline passed'));
      return measure('list', () => inner.list(options));
    },
    delete: (key, options) => inner.delete(key, options),
  };
  const reset = () => {
    for (const timing of Object.values(timings)) {
      timing.calls = 0;
      timing.ms = 0;
    }
  };
  return { store, timings, reset };
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

interface FullPublish {
  completed: boolean;
  seconds: number;
  openSeconds: number;
  catchUpSeconds: number;
  listSeconds: number;
  publishSeconds: number;
  rows: number;
  segmentsFolded: number;
}

/** (a): open + catch up + publish everything as a base, on default fsync. */
async function fullPublish(dir: string, segments: number): Promise<FullPublish> {
  collectGarbage();
  const start = performance.now();
  const timed = instrument(createLocalDiskObjectStore(dir), start + DEADLINE_SECONDS * 1000);
  const { projections } = await openFixture(timed.store);
  const opened = performance.now();
  let reported = 0;
  const unsubscribe = projections.subscribe((changes) => {
    if (changes.toSeq - reported < 50_000) return;
    reported = changes.toSeq;
    const seconds = (performance.now() - opened) / 1000;
    log('B2', `  caught up ${changes.toSeq}/${segments} segments in ${seconds.toFixed(0)} s`);
  });
  let completed = true;
  try {
    await projections.catchUp();
  } catch (error) {
    if (!(error instanceof DeadlinePassed)) throw error;
    completed = false;
  }
  unsubscribe();
  const caughtUp = performance.now();
  const listSeconds = timed.timings.list.ms / 1000;
  if (completed) await projections.publish({ merge: true });
  const end = performance.now();
  return {
    completed,
    seconds: (end - start) / 1000,
    openSeconds: (opened - start) / 1000,
    catchUpSeconds: (caughtUp - opened) / 1000,
    listSeconds,
    publishSeconds: (end - caughtUp) / 1000,
    rows: rowCount(projections.state),
    segmentsFolded: projections.watermark.seq,
  };
}

interface MicroCompactions {
  rows: number;
  medianMs: number;
  medianListMs: number;
  batchEvents: number;
  allMs: number[];
}

/** (b): bring a fresh store to the head of `ledger`, then time catch-up + delta publish of new batches. */
async function microCompactions(
  dir: string,
  ledger: SerializedLedger,
  label: string,
): Promise<MicroCompactions> {
  const timed = instrument(createLocalDiskObjectStore(dir));
  const { projections } = await openFixture(timed.store);
  await foldToHead(projections, ledger.bodies);
  const rows = rowCount(projections.state);
  log('B2', `${label}: state of ${rows} rows at segment ${projections.watermark.seq}`);

  let nextSeq = ledger.bodies.length + 1;
  let lastTime = ulidTime(ledger.lastEventId);
  const allMs: number[] = [];
  const listMs: number[] = [];
  let batchEvents = 0;
  for (let round = 0; round < WARMUP_BATCHES + TIMED_BATCHES; round++) {
    const batch = continuationBatch(lastTime, 1000 + round);
    const bodies = batch.segments.map((events, index) => serializeSegment({ seq: nextSeq + index, events }));
    await writeSegments(dir, bodies, nextSeq);
    lastTime = ulidTime(batch.segments.at(-1)!.at(-1)!.eventId);
    nextSeq += bodies.length;
    batchEvents = batch.events;

    timed.reset();
    let folded = 0;
    let kind = '';
    const ms = await timeMs(async () => {
      folded = await projections.catchUp();
      kind = (await projections.publish()).kind;
    });
    if (folded !== bodies.length || kind !== 'delta') {
      throw new Error(`${label}: caught up ${folded}/${bodies.length} segments, published ${kind}`);
    }
    const warmup = round < WARMUP_BATCHES;
    log(
      'B2',
      `${label}: ${warmup ? 'warm-up ' : ''}batch of ${batch.events} events in ${bodies.length} segments: ` +
        `${ms.toFixed(0)} ms (list ${timed.timings.list.ms.toFixed(0)} ms)`,
    );
    if (!warmup) {
      allMs.push(ms);
      listMs.push(timed.timings.list.ms);
    }
  }
  return { rows, medianMs: median(allMs), medianListMs: median(listMs), batchEvents, allMs };
}

/**
 * Folds what the store has not published yet by handing it the segments directly (`accept`: no
 * listing, no reads), then publishes the result as a new base. Nothing to do when the published
 * projections already reach the head.
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
    fullPublishListSeconds: 's',
    fullPublishPublishSeconds: 's',
    fullPublishSegmentsFolded: 'segments',
    fullPublishRows: 'rows',
    microBatchEvents: 'events',
    microCompactionMs1M: 'ms',
    microCompactionListMs1M: 'ms',
    rows1M: 'rows',
    microCompactionMs100k: 'ms',
    microCompactionListMs100k: 'ms',
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
    try {
      log('B2', `generating the scenario ${JSON.stringify(MILLION_EVENT_LEDGER)} (untimed)`);
      let million: SerializedLedger | undefined = serializedScenario(MILLION_EVENT_LEDGER);
      const events = million.events;
      const segments = million.bodies.length;
      const millionDir = join(root, 'million');
      await mkdir(millionDir);
      log('B2', `writing ${events} events in ${segments} segments to ${millionDir} (untimed, fsync off)`);
      await writeSegments(millionDir, million.bodies, 1);

      log('B2', `(a) open + catchUp + publish({ merge: true }), deadline ${DEADLINE_SECONDS} s`);
      const full = await fullPublish(millionDir, segments);
      log(
        'B2',
        `(a) ${full.completed ? 'published' : 'ABANDONED at the deadline'} after ${full.seconds.toFixed(1)} s ` +
          `(open ${full.openSeconds.toFixed(1)}, catchUp ${full.catchUpSeconds.toFixed(1)} of which list ` +
          `${full.listSeconds.toFixed(1)}, publish ${full.publishSeconds.toFixed(1)}); ${full.rows} rows`,
      );

      const micro1M = await microCompactions(millionDir, million, '(b) 1M');
      million = undefined;
      collectGarbage();

      log('B2', `generating the scenario ${JSON.stringify(HUNDRED_K_ROW_LEDGER)} (untimed)`);
      const small = serializedScenario(HUNDRED_K_ROW_LEDGER);
      const smallDir = join(root, 'hundred-k');
      await mkdir(smallDir);
      await writeSegments(smallDir, small.bodies, 1);
      const micro100k = await microCompactions(smallDir, small, '(b) 100k');

      const figures = {
        events,
        segments,
        fullPublishSeconds: full.seconds,
        fullPublishCompleted: full.completed ? 1 : 0,
        fullPublishOpenSeconds: full.openSeconds,
        fullPublishCatchUpSeconds: full.catchUpSeconds,
        fullPublishListSeconds: full.listSeconds,
        fullPublishPublishSeconds: full.publishSeconds,
        fullPublishSegmentsFolded: full.segmentsFolded,
        fullPublishRows: full.rows,
        microBatchEvents: micro1M.batchEvents,
        microCompactionMs1M: micro1M.medianMs,
        microCompactionListMs1M: micro1M.medianListMs,
        rows1M: micro1M.rows,
        microCompactionMs100k: micro100k.medianMs,
        microCompactionListMs100k: micro100k.medianListMs,
        rows100k: micro100k.rows,
        segments100k: small.bodies.length,
      };
      log('B2', `1M batches (ms): ${micro1M.allMs.map((ms) => ms.toFixed(0)).join(' ')}`);
      log('B2', `100k batches (ms): ${micro100k.allMs.map((ms) => ms.toFixed(0)).join(' ')}`);
      return { figures, met: judge(benchmark.checks, figures) };
    } finally {
      log('B2', `removing ${root}`);
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default benchmark;
