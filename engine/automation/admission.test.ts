import { describe, expect, it } from 'vitest';
import { launchBackfill } from '../commands/backfills.js';
import { requestRun } from '../commands/runs.js';
import { upsertSchedule } from '../commands/schedules.js';
import type { AdmissionPolicyInput } from '../controllers/admission.js';
import { isTerminalRun } from '../fold/runs.js';
import { draft } from '../model/catalog.js';
import type { Lane, PartitionsDefinition } from '../model/common.js';
import type { RunRow, TaskRow } from '../projections/tables/index.js';
import type { Workspace } from '../runtime/workspace.js';
import { createMemoryObjectStore } from '../storage/memory-object-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createTimedExecutor, type TimedExecutor } from '../testing/timed-executor.js';
import { type AdmissionReactor, createAdmissionReactor } from './admission.js';
import { createBackfillPlanner } from './backfills.js';
import { scheduleTimers } from './schedules.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const start = Date.UTC(2026, 0, 5);

/** 100,000 hourly partitions: 2014-01-01T00:00 up to (not including) 2025-05-29T16:00. */
const hundredThousandHours: PartitionsDefinition = {
  kind: 'time',
  cadence: 'hourly',
  start: '2014-01-01T00:00',
  end: '2025-05-29T16:00',
  timezone: 'UTC',
};
const daily: PartitionsDefinition = { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' };

/** A workspace with admission and the timed executor (tasks run `durationOf` of virtual time). */
async function harness(
  policy: AdmissionPolicyInput,
  durationOf: (task: TaskRow) => number,
  store: ObjectStore = createMemoryObjectStore(),
  at = start,
) {
  const parts = new Map<Workspace, { admission: AdmissionReactor; executor: TimedExecutor }>();
  const partsOf = (workspace: Workspace) => {
    let found = parts.get(workspace);
    if (found === undefined) {
      found = {
        admission: createAdmissionReactor(workspace.projections, policy),
        executor: createTimedExecutor(workspace.projections, { durationOf }),
      };
      parts.set(workspace, found);
    }
    return found;
  };
  const h = await AutomationHarness.create({
    start: at,
    store,
    domains: (w) => [scheduleTimers, partsOf(w).admission.domain, partsOf(w).executor.domain],
    reactors: (w) => [
      createBackfillPlanner(w.projections),
      partsOf(w).admission,
      partsOf(w).executor.reactor,
    ],
  });
  const asset = (assetKey: string, extra: { pool?: string; partitions?: PartitionsDefinition } = {}) =>
    draft(
      'asset.definition-upserted.v1',
      { assetKey, codeLocation: 'etl', dependsOn: [], requestId: `def-${assetKey}`, ...extra },
      h.clock.now(),
    );
  if (at !== start) return h;
  await h.automation.append([
    asset('summary', { pool: 'warehouse' }),
    asset('events', { pool: 'warehouse', partitions: hundredThousandHours }),
    asset('raw', { pool: 'warehouse', partitions: daily }),
    asset('plain'),
  ]);
  return h;
}

function runs(h: AutomationHarness, filter: (run: RunRow) => boolean = () => true): RunRow[] {
  return [...h.tables.runs.values()].filter(filter).sort((a, b) => a.createdAt - b.createdAt);
}

const since = (at: number | null) => (at === null ? null : (at - start) / SECOND);

/** Seconds from the start to each run's admission, earliest first. */
const admissionTimes = (list: RunRow[]) =>
  list.map((run) => since(run.admittedAt) ?? Infinity).sort((a, b) => a - b);

async function request(
  h: AutomationHarness,
  assetKey: string,
  lane: Lane,
  tags: Record<string, string> = {},
) {
  return (await requestRun(h.automation, { assetSelection: [assetKey], lane, tags }, 'ops')).runId;
}

/**
 * Follows the ledger through the change feed, one folded segment at a time: how many admitted,
 * not-ended runs occupy `pool` after each segment, and, in ledger order, each request of a run,
 * each admission and each segment in which a task of the pool finished (a slot turnover).
 */
function watchPool(h: AutomationHarness, pool: string) {
  const occupying = new Set<string>();
  const admittedRuns = new Set<string>();
  const endedTasks = new Set<string>();
  const log: (
    | { kind: 'request'; runId: string }
    | { kind: 'admit'; runId: string }
    | { kind: 'turnover' }
  )[] = [];
  const watch = { maxOccupied: 0, segments: 0, log };
  h.workspace.projections.subscribe((changes) => {
    const tables = h.workspace.projections.state.tables;
    watch.segments += 1;
    for (const key of changes.tables.get('runKeyIndex') ?? []) {
      const row = tables.runKeyIndex.get(key);
      if (row !== undefined && row.status === 'PENDING') log.push({ kind: 'request', runId: row.runId });
    }
    let turnover = false;
    for (const key of changes.tables.get('tasks') ?? []) {
      const task = tables.tasks.get(key);
      if (task?.pool !== pool || task.endedAt === null || endedTasks.has(key)) continue;
      endedTasks.add(key);
      turnover = true;
    }
    if (turnover) log.push({ kind: 'turnover' });
    for (const key of changes.tables.get('runs') ?? []) {
      const run = tables.runs.get(key);
      if (run === undefined || run.admittedAt === null) continue;
      if (!admittedRuns.has(key)) {
        admittedRuns.add(key);
        log.push({ kind: 'admit', runId: key });
      }
      if (run.pools.includes(pool) && !isTerminalRun(run.status)) occupying.add(key);
      else occupying.delete(key);
    }
    watch.maxOccupied = Math.max(watch.maxOccupied, occupying.size);
  });
  return watch;
}

describe('admission in the automation runtime', () => {
  it('admits waiting runs in lane order, each the moment a pool slot frees', async () => {
    const h = await harness({ pools: { warehouse: 1 } }, () => MINUTE);
    const first = await request(h, 'summary', 'manual');
    await h.settle();
    const waiting = [
      await request(h, 'summary', 'backfill'),
      await request(h, 'summary', 'sensor'),
      await request(h, 'summary', 'schedule'),
      await request(h, 'summary', 'manual'),
    ];
    await h.settle();
    expect(h.tables.runs.get(first)?.status).toBe('STARTED');
    expect(waiting.map((runId) => h.tables.runs.get(runId)?.status)).toEqual(Array(4).fill('QUEUED'));
    await h.advance(10 * MINUTE);
    const byAdmission = runs(h).sort((a, b) => (a.admittedAt ?? 0) - (b.admittedAt ?? 0));
    expect(byAdmission.map((run) => [run.lane, since(run.admittedAt), since(run.endedAt)])).toEqual([
      ['manual', 0, 60],
      ['manual', 60, 120],
      ['schedule', 120, 180],
      ['sensor', 180, 240],
      ['backfill', 240, 300],
    ]);
    expect(byAdmission.every((run) => run.status === 'SUCCESS' && run.pools.join() === 'warehouse')).toBe(
      true,
    );
    await h.stop();
  });

  it('spaces a lane by its rate limit, waking itself when the window lets one more run through', async () => {
    const h = await harness({ laneRateLimits: { backfill: { runs: 2, perSeconds: 60 } } }, () => SECOND);
    for (let i = 0; i < 6; i++) await request(h, 'plain', 'backfill');
    const manual = await request(h, 'plain', 'manual');
    await h.advance(5 * MINUTE);
    expect(admissionTimes(runs(h, (run) => run.lane === 'backfill'))).toEqual([0, 0, 60, 60, 120, 120]);
    // Another lane is not held back by the backfill lane's limit.
    expect(since(h.tables.runs.get(manual)?.admittedAt ?? null)).toBe(0);
    await h.stop();
  });

  it('keeps a rate window across a restart: it is derived from the admitted runs, not from memory', async () => {
    const store = createMemoryObjectStore();
    const policy = { laneRateLimits: { backfill: { runs: 2, perSeconds: 60 } } };
    let h = await harness(policy, () => SECOND, store);
    for (let i = 0; i < 6; i++) await request(h, 'plain', 'backfill');
    await h.advance(90 * SECOND);
    await h.stop();
    h = await harness(policy, () => SECOND, store, start + 90 * SECOND);
    await h.advance(5 * MINUTE);
    expect(admissionTimes(runs(h, (run) => run.lane === 'backfill'))).toEqual([0, 0, 60, 60, 120, 120]);
    await h.stop();
  });

  it('limits the rate per concurrency key value, each value on its own', async () => {
    const limit = { key: 'dagster/concurrency_key', perUniqueValue: true, rate: { runs: 1, perSeconds: 30 } };
    const h = await harness({ tagLimits: [limit] }, () => SECOND);
    for (const value of ['db', 'db', 'db', 'api', 'api']) {
      await request(h, 'plain', 'sensor', { 'dagster/concurrency_key': value });
    }
    await h.advance(5 * MINUTE);
    const admittedAt = (value: string) =>
      admissionTimes(runs(h, (run) => run.tags['dagster/concurrency_key'] === value));
    expect(admittedAt('db')).toEqual([0, 30, 60]);
    expect(admittedAt('api')).toEqual([0, 30]);
    await h.stop();
  });

  it('aging lets a backfill through under a schedule load that alone fills the pool', async () => {
    // Every minute a scheduled run holds a warehouse slot for 150 s: 2.5 slots of demand for 2.
    const durationOf = (task: TaskRow) => (task.assetKey === 'summary' ? 150 * SECOND : MINUTE);
    const backfillAdmissions = async (agingSeconds: number | null) => {
      const h = await harness({ pools: { warehouse: 2 }, agingSeconds }, durationOf);
      const watch = watchPool(h, 'warehouse');
      const schedule = {
        codeLocation: 'etl',
        name: 'load',
        cronSchedule: '* * * * *',
        executionTimezone: 'UTC',
      };
      await upsertSchedule(h.automation, { ...schedule, assetSelection: ['summary'] }, 'ops');
      await h.advance(10 * MINUTE);
      const launchedAt = h.clock.now().getTime();
      const selector = { kind: 'range', start: '2025-01-01', end: '2025-01-20' };
      await launchBackfill(h.automation, { assetSelection: ['raw'], selector, chunkSize: 1 }, 'ops');
      await h.advance(2 * HOUR);
      const admitted = runs(h, (run) => run.lane === 'backfill' && run.admittedAt !== null)
        .map((run) => run.admittedAt ?? 0)
        .sort((a, b) => a - b);
      expect(watch.maxOccupied).toBe(2);
      // The schedule alone asks for more than the pool has: its own backlog keeps growing.
      expect(runs(h, (run) => run.lane === 'schedule' && run.status === 'QUEUED').length).toBeGreaterThan(10);
      await h.stop();
      return { launchedAt, admitted };
    };
    expect((await backfillAdmissions(null)).admitted).toEqual([]);
    const { launchedAt, admitted } = await backfillAdmissions(600);
    // Starved 20 minutes, the backfill's first run competes as a schedule run, ahead of them, and
    // takes the next slot that frees (within 150 s); then its lane's clock starts again.
    const bound = 2 * 600 * SECOND + 150 * SECOND;
    const gaps = admitted.map((at, i) => at - (i === 0 ? launchedAt : admitted[i - 1]!));
    expect(admitted.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(bound);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2 * 600 * SECOND);
  }, 60_000);

  it('a 100,000-partition backfill flooding the queue never delays a scheduled run past the next slot turnover of their shared pool', async () => {
    // Backfill tasks hold a warehouse slot 30–54 s (varying by partition), scheduled ones 23 s:
    // every slot turns over within 55 s, so a scheduled run's first turnover comes before the next
    // tick, and each scheduled run is the only one waiting when its turnover comes.
    const durationOf = (task: TaskRow) => {
      if (task.assetKey === 'summary') return 23_011;
      const hour = Number(task.partitionKeys?.[0]?.slice(11, 13) ?? 0);
      return 30_000 + ((hour * 7919) % 25) * SECOND + 3;
    };
    const h = await harness({ pools: { warehouse: 4 }, maxConcurrentRuns: 10_000 }, durationOf);
    const watch = watchPool(h, 'warehouse');
    const backfillId = await launchBackfill(
      h.automation,
      { assetSelection: ['events'], selector: { kind: 'all' }, chunkSize: 1, maxConcurrentRuns: 10_000 },
      'ops',
    );
    const schedule = {
      codeLocation: 'etl',
      name: 'minutely',
      cronSchedule: '* * * * *',
      executionTimezone: 'UTC',
    };
    await upsertSchedule(h.automation, { ...schedule, assetSelection: ['summary'] }, 'ops');
    // Two hours of ticks, and time for the last one's run to be admitted.
    await h.advance(2 * HOUR + 59 * SECOND);

    const backfill = h.tables.backfills.get(backfillId);
    expect(backfill?.totalPartitions).toBe(100_000);
    const queuedBackfillRuns = runs(h, (run) => run.lane === 'backfill' && run.status === 'QUEUED').length;
    expect(queuedBackfillRuns).toBeGreaterThan(9000);
    // The pool never held more than its 4 slots, after any segment, and was kept full.
    expect(watch.maxOccupied).toBe(4);
    expect(backfill?.chunksSucceeded).toBeGreaterThan(200);

    // In ledger order: from a scheduled run's request to its admission, at most one segment finished
    // warehouse tasks (it is admitted in the pass that follows the first slot turnover after its
    // request, or at once if a slot was free), and no backfill run was admitted. In time: it is
    // admitted at its request time, or no later than the first end of a warehouse task after it.
    const slotFreedAt = [...h.tables.tasks.values()]
      .filter((task) => task.pool === 'warehouse' && task.endedAt !== null)
      .map((task) => task.endedAt ?? 0)
      .sort((a, b) => a - b);
    const scheduled = runs(h, (run) => run.lane === 'schedule');
    expect(scheduled).toHaveLength(120);
    const lane = (runId: string) => h.tables.runs.get(runId)?.lane;
    const waits: number[] = [];
    for (const run of scheduled) {
      const requested = watch.log.findIndex((entry) => entry.kind === 'request' && entry.runId === run.runId);
      const admitted = watch.log.findIndex((entry) => entry.kind === 'admit' && entry.runId === run.runId);
      expect(requested).toBeGreaterThanOrEqual(0);
      expect(admitted).toBeGreaterThan(requested);
      const between = watch.log.slice(requested + 1, admitted);
      expect(between.filter((entry) => entry.kind === 'turnover').length, run.runId).toBeLessThanOrEqual(1);
      expect(between.filter((entry) => entry.kind === 'admit' && lane(entry.runId) === 'backfill')).toEqual(
        [],
      );
      const requestedAt = h.tables.runKeyIndex.get(run.runKey)?.requestedAt ?? 0;
      const admittedAt = run.admittedAt ?? Infinity;
      const firstTurnover = slotFreedAt.find((at) => at >= requestedAt) ?? Infinity;
      if (admittedAt !== requestedAt) expect(admittedAt, run.runId).toBeLessThanOrEqual(firstTurnover);
      waits.push(admittedAt - requestedAt);
    }
    expect(Math.max(...waits)).toBeLessThan(55 * SECOND);
    await h.stop();
  }, 120_000);
});
