/**
 * B4 — backfills (SPEC §9): creating a 1,000,000-partition range backfill takes ≤ 200 ms and its
 * `BackfillCreated` event is ≤ 2 KB; planning every chunk keeps the process's peak RSS ≤ 300 MB.
 *
 * One asset partitioned daily × 1,000 static regions, and a range selector over 1,000 days of it
 * (1,000,000 partitions). Everything runs on the local-disk object store (embedded mode's store) in
 * a temporary directory, removed at the end, so the ledger lives on disk as in production.
 *
 * - **create**: `launchBackfill` (validate, resolve the selector lazily, append, fold), timed per
 *   call; one cold call, then `CREATE_REPETITIONS` more with fresh request ids. `createMs` is their
 *   median, `createColdMs` the first. `createdEventBytes` is the stored event's JSON size.
 * - **planner alone** (diagnostic): `planChunks` for every chunk of that backfill, 500 chunks per
 *   call as the reactor bounds a segment, each batch serialized as the ledger would and dropped.
 *   `plannerPeakRssMB` is the process's peak RSS after it: the planner's own working set.
 * - **plan**: a fresh workspace whose only reactor is the backfill planner (no run-request reactor,
 *   so no runs or tasks are made). The backfill has chunks of 100 and `maxConcurrentRuns` 10,000,
 *   so every one of its 10,000 chunks is planned in one go: 10,000 `BackfillChunkPlanned` +
 *   `RunRequested` pairs, appended to the ledger and folded into the projections, whose chunk and
 *   run-key rows then hold all 1,000,000 keys. `planMs` is launch to quiet; `planPeakRssMB` the
 *   process's peak RSS afterwards (everything before included).
 *
 * What the peak is made of (diagnostics): `baseRssMB`, the process before anything ran (Node, tsx
 * and the loaded modules), and `planHeapMB`, the JavaScript heap after planning and a full garbage
 * collection — the projections holding the 1,000,000 keys (chunk rows and run-key rows share the
 * key strings). Planning itself appends one bounded segment at a time and keeps no key list.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Automation, type Reactor } from '../engine/automation/automation.js';
import { createBackfillPlanner } from '../engine/automation/backfills.js';
import { systemClock } from '../engine/clock.js';
import { createCodeLocationRegistry } from '../engine/code-location/code-location.js';
import { launchBackfill } from '../engine/commands/backfills.js';
import { planChunks, resolveBackfillSelection } from '../engine/controllers/backfills.js';
import { silentLogger } from '../engine/logging.js';
import { draft } from '../engine/model/catalog.js';
import type { PartitionsDefinition } from '../engine/model/common.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import type { BackfillRow } from '../engine/projections/tables/index.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { createStaticTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { LocalTimerQueue } from '../engine/timers/local-timer-queue.js';
import { type Benchmark, collectGarbage, judge, log, median, peakRssMb, timeMs } from './harness.js';

const CREATE_REPETITIONS = 7;
const PLAN_CHUNK_SIZE = 100;
const SCOPE = { tenantId: 'bench', workspaceId: 'b4' };
const REGIONS = Array.from({ length: 1000 }, (_, i) => `region-${String(i).padStart(4, '0')}`);
const DAILY_BY_REGION: PartitionsDefinition = {
  kind: 'multi',
  dimensions: [
    { name: 'date', partitions: { kind: 'time', cadence: 'daily', start: '2023-01-01', timezone: 'UTC' } },
    { name: 'region', partitions: { kind: 'static', keys: REGIONS } },
  ],
};
/** 1,000 days × 1,000 regions. */
const MILLION = { kind: 'range' as const, start: '2023-01-01', end: '2025-09-26' };

/** A workspace on its own directory with the automation runtime and the given reactors. */
async function openRuntime(dir: string, reactors: (workspace: Workspace) => Reactor[]): Promise<Automation> {
  const workspace = await Workspace.open(SCOPE, {
    store: createLocalDiskObjectStore(dir),
    codec: createHyparquetCodec(),
    clock: systemClock,
    secrets: createStaticTenantSecrets({
      bench: Buffer.from('b4-bench-secret-of-32-bytes-long').toString('base64'),
    }),
  });
  const automation = new Automation({
    workspace,
    clock: systemClock,
    timers: new LocalTimerQueue(systemClock, silentLogger, false),
    codeLocations: createCodeLocationRegistry([]),
    logger: silentLogger,
    domains: [],
    reactors: reactors(workspace),
  });
  await automation.append([
    draft(
      'asset.definition-upserted.v1',
      {
        assetKey: 'events',
        codeLocation: 'bench',
        partitions: DAILY_BY_REGION,
        dependsOn: [],
        requestId: 'b4',
      },
      systemClock.now(),
    ),
  ]);
  return automation;
}

/** Plans every chunk of `created` (re-chunked by 100) with the pure planner; returns the bytes it would write. */
function planAlone(automation: Automation, created: BackfillRow): number {
  const now = systemClock.now();
  const selection = resolveBackfillSelection(created.assetSelection, created.selector, {
    tables: automation.tables(),
    now: now.getTime(),
  });
  const totalChunks = created.totalPartitions / PLAN_CHUNK_SIZE;
  let row: BackfillRow = { ...created, chunkSize: PLAN_CHUNK_SIZE, maxConcurrentRuns: 10_000, totalChunks };
  let bytes = 0;
  while (row.plannedChunks < totalChunks) {
    const drafts = planChunks(row, selection, 0, now, { maxChunks: 500 });
    const planned = drafts.filter((d) => d.type === 'backfill.chunk-planned.v1').length;
    if (planned === 0) throw new Error(`the planner stopped at chunk ${row.plannedChunks}`);
    bytes += Buffer.byteLength(JSON.stringify(drafts));
    row = { ...row, plannedChunks: row.plannedChunks + planned };
  }
  return bytes;
}

const benchmark: Benchmark = {
  id: 'B4',
  title: 'backfill: create and plan a 1,000,000-partition backfill',
  targets: 'create ≤ 200 ms, BackfillCreated ≤ 2 KB; planning every chunk with peak RSS ≤ 300 MB',
  units: {
    partitions: 'partitions',
    createMs: 'ms',
    createColdMs: 'ms',
    createdEventBytes: 'bytes',
    plannerMs: 'ms',
    plannerPeakRssMB: 'MB',
    chunks: 'chunks',
    planMs: 'ms',
    planPeakRssMB: 'MB',
    baseRssMB: 'MB',
    planHeapMB: 'MB',
  },
  checks: [
    { figure: 'createMs', op: '<=', bound: 200, text: '≤ 200' },
    { figure: 'createdEventBytes', op: '<=', bound: 2048, text: '≤ 2048' },
    { figure: 'planPeakRssMB', op: '<=', bound: 300, text: '≤ 300' },
  ],

  async run() {
    const baseRssMB = process.memoryUsage().rss / 1024 / 1024;
    const root = await mkdtemp(join(tmpdir(), 'servo-bench-b4-'));
    try {
      log('B4', 'create: a workspace without reactors');
      const creating = await openRuntime(join(root, 'create'), () => []);
      const times: number[] = [];
      let backfillId = '';
      for (let repetition = 0; repetition <= CREATE_REPETITIONS; repetition++) {
        const input = { assetSelection: ['events'], selector: MILLION, requestId: `b4-${repetition}` };
        times.push(await timeMs(async () => (backfillId = await launchBackfill(creating, input, 'bench'))));
      }
      const row = creating.tables().backfills.get(backfillId);
      if (row?.totalPartitions !== 1_000_000)
        throw new Error(`expected 1,000,000 partitions, got ${row?.totalPartitions}`);
      const segment = await creating.workspace.ledger.read(creating.workspace.projections.watermark.seq);
      const created = segment?.events.find((event) => event.type === 'backfill.created.v1');
      if (created === undefined) throw new Error('the last segment holds no BackfillCreated');
      const createdEventBytes = Buffer.byteLength(JSON.stringify(created));
      const [createColdMs = Number.NaN, ...warm] = times;
      log(
        'B4',
        `create: cold ${createColdMs.toFixed(1)} ms, median ${median(warm).toFixed(1)} ms, ${createdEventBytes} bytes`,
      );
      const plannerMs = await timeMs(() => planAlone(creating, row));
      const plannerPeakRssMB = peakRssMb();
      log('B4', `planner alone: ${plannerMs.toFixed(0)} ms, peak RSS ${plannerPeakRssMB.toFixed(0)} MB`);
      await creating.stop();

      log('B4', `plan: ${1_000_000 / PLAN_CHUNK_SIZE} chunks of ${PLAN_CHUNK_SIZE}, planner only`);
      const planning = await openRuntime(join(root, 'plan'), (workspace) => [
        createBackfillPlanner(workspace.projections),
      ]);
      let planned = '';
      const planMs = await timeMs(async () => {
        planned = await launchBackfill(
          planning,
          {
            assetSelection: ['events'],
            selector: MILLION,
            chunkSize: PLAN_CHUNK_SIZE,
            maxConcurrentRuns: 10_000,
          },
          'bench',
        );
        await planning.quiesce();
      });
      const chunks = planning.tables().backfills.get(planned)?.plannedChunks ?? 0;
      if (chunks !== 1_000_000 / PLAN_CHUNK_SIZE) throw new Error(`planned ${chunks} chunks`);
      const planPeakRssMB = peakRssMb();
      collectGarbage();
      const planHeapMB = process.memoryUsage().heapUsed / 1024 / 1024;
      log(
        'B4',
        `plan: ${chunks} chunks in ${planMs.toFixed(0)} ms, peak RSS ${planPeakRssMB.toFixed(0)} MB ` +
          `(process at start ${baseRssMB.toFixed(0)} MB, heap after planning ${planHeapMB.toFixed(0)} MB)`,
      );
      await planning.stop();

      const figures = {
        partitions: 1_000_000,
        createMs: median(warm),
        createColdMs,
        createdEventBytes,
        plannerMs,
        plannerPeakRssMB,
        chunks,
        planMs,
        planPeakRssMB,
        baseRssMB,
        planHeapMB,
      };
      return { figures, met: judge(benchmark.checks, figures) };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default benchmark;
