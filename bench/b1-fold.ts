/**
 * B1 — fold throughput (SPEC §9): folding a ledger of ≥ 1,000,000 mixed events must reach
 * 300,000 events/s and at least half the speed of merely parsing the same segments.
 *
 * The ledger (`MILLION_EVENT_LEDGER`) is generated and serialized before anything is timed. Then,
 * best of three repetitions each, all in this process:
 * - parse-only: `parseSegment` of every segment (UTF-8 decode + `JSON.parse` + frame check);
 * - parse + fold: `parseSegment`, then `Folder.fold` of each event into one fresh
 *   `createProjectionState()` with `testFoldConfig()`;
 * - fold-only: the same fold over events parsed beforehand (untimed).
 * `foldEventsPerSec` is the fold-only rate; `foldToParseRatio` compares it with parse-only;
 * `foldGcMs` is the garbage-collection pauses V8 reported during the fastest fold-only repetition.
 * A full garbage collection runs before each repetition.
 */
import { Folder } from '../engine/fold/fold.js';
import { createProjectionState, type ProjectionState } from '../engine/fold/state.js';
import { parseSegment, type Segment } from '../engine/ledger/ledger.js';
import { TABLE_NAMES } from '../engine/projections/tables/index.js';
import { testFoldConfig } from '../engine/testing/event-factory.js';
import { type Benchmark, bestOfMs, collectGarbage, judge, log, monitorGc } from './harness.js';
import { MILLION_EVENT_LEDGER, serializedScenario } from './scenario-ledger.js';

const REPETITIONS = 3;

function rowCount(state: ProjectionState): number {
  let rows = 0;
  for (const name of TABLE_NAMES) rows += state.tables[name].size;
  return rows;
}

const benchmark: Benchmark = {
  id: 'B1',
  title: 'fold throughput, 1M mixed events',
  targets: 'fold-only ≥ 300,000 events/s, and ≥ 0.5× the parse-only rate of the same segments',
  units: {
    events: 'events',
    segments: 'segments',
    rows: 'rows',
    parseEventsPerSec: 'events/s',
    foldEventsPerSec: 'events/s',
    parseAndFoldEventsPerSec: 'events/s',
    foldToParseRatio: '×',
    parseMs: 'ms',
    foldMs: 'ms',
    parseAndFoldMs: 'ms',
    foldGcMs: 'ms',
    peakRssMB: 'MB',
  },
  checks: [
    { figure: 'foldEventsPerSec', op: '>=', bound: 300_000, text: '≥ 300000' },
    { figure: 'foldToParseRatio', op: '>=', bound: 0.5, text: '≥ 0.5' },
  ],

  async run() {
    log('B1', `generating the scenario ${JSON.stringify(MILLION_EVENT_LEDGER)} (untimed)`);
    const { bodies, events } = serializedScenario(MILLION_EVENT_LEDGER);
    log('B1', `${events} events in ${bodies.length} segments`);
    const config = testFoldConfig();

    let parsedEvents = 0;
    const parseMs = await bestOfMs(REPETITIONS, () => {
      parsedEvents = 0;
      for (let index = 0; index < bodies.length; index++) {
        parsedEvents += parseSegment(bodies[index]!, index + 1).events.length;
      }
    });
    if (parsedEvents !== events) throw new Error(`parsed ${parsedEvents} events, expected ${events}`);
    log('B1', `parse-only: ${parseMs.toFixed(0)} ms`);

    let rows = 0;
    const parseAndFoldMs = await bestOfMs(REPETITIONS, () => {
      const state = createProjectionState();
      const folder = new Folder(config);
      for (let index = 0; index < bodies.length; index++) {
        for (const event of parseSegment(bodies[index]!, index + 1).events) folder.fold(state, event);
      }
      rows = rowCount(state);
    });
    log('B1', `parse + fold: ${parseAndFoldMs.toFixed(0)} ms, ${rows} rows`);

    const parsed: Segment[] = bodies.map((body, index) => parseSegment(body, index + 1));
    let foldMs = Number.POSITIVE_INFINITY;
    let foldGcMs = 0;
    const gc = monitorGc();
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      collectGarbage();
      const start = performance.now();
      const state = createProjectionState();
      const folder = new Folder(config);
      for (const segment of parsed) for (const event of segment.events) folder.fold(state, event);
      const end = performance.now();
      const foldRows = rowCount(state);
      if (foldRows !== rows) throw new Error(`fold-only gave ${foldRows} rows, parse + fold ${rows}`);
      const paused = await gc.pausedMs(start, end);
      log('B1', `fold-only: ${(end - start).toFixed(0)} ms (GC ${paused.toFixed(0)} ms)`);
      if (end - start < foldMs) {
        foldMs = end - start;
        foldGcMs = paused;
      }
    }
    gc.stop();

    const perSecond = (ms: number) => (events / ms) * 1000;
    const figures = {
      events,
      segments: bodies.length,
      rows,
      parseEventsPerSec: perSecond(parseMs),
      foldEventsPerSec: perSecond(foldMs),
      parseAndFoldEventsPerSec: perSecond(parseAndFoldMs),
      foldToParseRatio: parseMs / foldMs,
      parseMs,
      foldMs,
      parseAndFoldMs,
      foldGcMs,
    };
    return { figures, met: judge(benchmark.checks, figures) };
  },
};

export default benchmark;
