import { describe, expect, it } from 'vitest';
import { cancelBackfill, launchBackfill, pauseBackfill, resumeBackfill } from '../commands/backfills.js';
import { planChunks, resolveBackfillSelection } from '../controllers/backfills.js';
import { draft, type EventDraft } from '../model/catalog.js';
import type { PartitionsDefinition } from '../model/common.js';
import { backfillChunkId, backfillIdFor } from '../model/ids.js';
import { compositeKey } from '../projections/table-def.js';
import type { TaskRow } from '../projections/tables/index.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { TEST_SCOPE } from '../testing/event-factory.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { taskAttempt } from '../testing/payloads.js';
import type { Reactor } from './automation.js';
import { backfillReconcileTimer, createBackfillPlanner, createBackfillReconcileDomain } from './backfills.js';
import type { TimerDomain } from './context.js';

const daily: PartitionsDefinition = { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' };
const regions = Array.from({ length: 1000 }, (_, i) => `r${String(i).padStart(3, '0')}`);
const dailyByRegion: PartitionsDefinition = {
  kind: 'multi',
  dimensions: [
    { name: 'date', partitions: { kind: 'time', cadence: 'daily', start: '2023-01-01', timezone: 'UTC' } },
    { name: 'region', partitions: { kind: 'static', keys: regions } },
  ],
};

type Executor = 'none' | 'fast' | ((task: TaskRow) => 'SUCCEEDED' | 'FAILED');

interface Setup {
  executor?: Executor;
  /** Reactors between the planner and the executor. */
  extra?: Reactor[];
  /** Without the planner reactor, only timers plan. */
  planner?: boolean;
  domains?: TimerDomain[];
}

async function harness({ executor = 'none', extra = [], planner = true, domains = [] }: Setup = {}) {
  const h = await AutomationHarness.create({
    domains: () => domains,
    reactors: (w) => [
      ...(planner ? [createBackfillPlanner(w.projections)] : []),
      ...extra,
      ...(executor === 'none'
        ? []
        : [createFastExecutor(w.projections, executor === 'fast' ? undefined : executor)]),
    ],
  });
  const at = h.clock.now();
  const asset = (assetKey: string, partitions: PartitionsDefinition, dependsOn: string[] = []) =>
    draft(
      'asset.definition-upserted.v1',
      { assetKey, codeLocation: 'etl', partitions, dependsOn, requestId: 'd' },
      at,
    );
  await h.automation.append([
    asset('raw', daily),
    asset('clean', daily, ['raw']),
    asset('events', dailyByRegion),
    asset('tenants', { kind: 'dynamic', name: 'tenants' }),
  ]);
  await changeTenants(h, ['a', 'b', 'c'], []);
  return h;
}

async function changeTenants(h: AutomationHarness, added: string[], deleted: string[]) {
  const requestId = `t${h.workspace.projections.watermark.seq}`;
  const change = { partitionsDefName: 'tenants', added, deleted, requestId, changedBy: 'ops' };
  await h.automation.append([draft('partitions.dynamic-changed.v1', change, h.clock.now())]);
  await h.settle();
}

const range = (start: string, end: string) => ({ kind: 'range' as const, start, end });
/** Ten daily partitions in five chunks, two at a time. */
const tenDays = { selector: range('2025-01-01', '2025-01-10'), chunkSize: 2, maxConcurrentRuns: 2 };

function chunkRun(h: AutomationHarness, backfillId: string, index: number) {
  const chunk = h.tables.backfillChunks.get(backfillChunkId(backfillId, index));
  const run = h.tables.runs.get(chunk?.runId ?? '');
  if (chunk === undefined || run === undefined) throw new Error(`chunk ${index} of ${backfillId} has no run`);
  return { chunk, run };
}

/**
 * Plays a worker for a chunk's run: admits it and starts its tasks (unless `started` says it was
 * done before), then finishes them with `outcome` (unless `outcome` is 'started').
 */
async function runChunk(
  h: AutomationHarness,
  backfillId: string,
  index: number,
  outcome: 'SUCCEEDED' | 'CANCELED' | 'started',
  started = false,
) {
  const { run } = chunkRun(h, backfillId, index);
  const at = h.clock.now();
  const drafts: EventDraft[] = started ? [] : [draft('run.admitted.v1', { runId: run.runId, pools: [] }, at)];
  for (const taskKey of run.taskKeys) {
    const { dispatchId, ...ref } = taskAttempt(run.runId, taskKey, 1);
    if (!started) {
      drafts.push(draft('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'test' }, at));
      drafts.push(draft('task.started.v1', { ...ref, workerId: 'w' }, at));
    }
    if (outcome !== 'started') drafts.push(draft('task.finished.v1', { ...ref, workerId: 'w', outcome }, at));
  }
  await h.automation.append(drafts);
  await h.settle();
}

async function launch(h: AutomationHarness, input: Record<string, unknown>) {
  const id = await launchBackfill(h.automation, { assetSelection: ['raw'], ...input }, 'ops');
  await h.settle();
  return id;
}

/** Event types of the newest segment whose first event has this type. */
async function newestSegment(h: AutomationHarness, firstType: string): Promise<string[] | undefined> {
  for (let seq = h.workspace.projections.watermark.seq; seq > 0; seq--) {
    const segment = await h.workspace.ledger.read(seq);
    if (segment?.events[0]?.type === firstType) return segment.events.map((e) => e.type);
  }
  return undefined;
}

describe('backfill planner', () => {
  it('plans at most maxConcurrentRuns chunks, and the next one as soon as a chunk run ends', async () => {
    const h = await harness();
    const id = await launch(h, tenDays);
    expect(h.tables.backfills.get(id)).toMatchObject({ plannedChunks: 2, totalChunks: 5 });
    expect(h.tables.runs.size).toBe(2);
    const before = h.clock.now().getTime();
    await runChunk(h, id, 1, 'SUCCEEDED');
    expect(h.clock.now().getTime()).toBe(before);
    expect(h.tables.backfills.get(id)).toMatchObject({ plannedChunks: 3, chunksSucceeded: 1 });
    expect(h.tables.backfillChunks.get(backfillChunkId(id, 2))?.partitionKeys).toEqual([
      '2025-01-05',
      '2025-01-06',
    ]);
  });

  it.each([
    ['COMPLETED_SUCCESS', 'fast' as const, 0],
    [
      'COMPLETED_FAILED',
      (task: TaskRow) => (task.partitionKeys?.includes('2025-01-04') ? 'FAILED' : 'SUCCEEDED'),
      1,
    ],
  ] as const)('runs every chunk and ends %s', async (state, executor, failed) => {
    const h = await harness({ executor });
    const id = await launch(h, {
      selector: range('2025-01-01', '2025-01-31'),
      chunkSize: 4,
      maxConcurrentRuns: 3,
    });
    expect(h.tables.backfills.get(id)).toMatchObject({
      state,
      plannedChunks: 8,
      chunksFailed: failed,
      partitionsSucceeded: 31 - failed,
      partitionsFailed: failed,
    });
  });

  it('pause stops planning while running chunks finish; resume plans again', async () => {
    const h = await harness();
    const id = await launch(h, tenDays);
    await pauseBackfill(h.automation, id, 'ops');
    await runChunk(h, id, 0, 'SUCCEEDED');
    await runChunk(h, id, 1, 'SUCCEEDED');
    expect(h.tables.backfills.get(id)).toMatchObject({
      state: 'PAUSED',
      plannedChunks: 2,
      chunksSucceeded: 2,
    });
    await resumeBackfill(h.automation, id, 'ops');
    await h.settle();
    expect(h.tables.backfills.get(id)).toMatchObject({ state: 'REQUESTED', plannedChunks: 4 });
  });

  it('cancel without terminateRuns lets running chunks finish: CANCELING until none is active, then CANCELED', async () => {
    const h = await harness();
    const id = await launch(h, tenDays);
    await runChunk(h, id, 0, 'started');
    expect(await cancelBackfill(h.automation, id, {}, 'ops')).toMatchObject({ state: 'CANCELING' });
    await runChunk(h, id, 0, 'SUCCEEDED', true);
    expect(h.tables.backfills.get(id)).toMatchObject({ state: 'CANCELING', plannedChunks: 2 });
    await runChunk(h, id, 1, 'SUCCEEDED');
    expect(h.tables.backfills.get(id)).toMatchObject({
      state: 'CANCELED',
      plannedChunks: 2,
      chunksSucceeded: 2,
    });
  });

  it('cancel with terminateRuns asks the chunk runs to stop in the same segment, and is CANCELED once they have', async () => {
    const h = await harness();
    const id = await launch(h, tenDays);
    await runChunk(h, id, 0, 'started');
    await cancelBackfill(h.automation, id, { terminateRuns: true }, 'ops');
    expect(await newestSegment(h, 'backfill.state-changed.v1')).toEqual([
      'backfill.state-changed.v1',
      'run.cancel-requested.v1',
      'run.cancel-requested.v1',
    ]);
    // The queued run is canceled at once; the running one is told to stop and reports when it has.
    expect(chunkRun(h, id, 1).run.status).toBe('CANCELED');
    expect(h.tables.backfills.get(id)).toMatchObject({ state: 'CANCELING', chunksCanceled: 1 });
    await runChunk(h, id, 0, 'CANCELED', true);
    expect(h.tables.backfills.get(id)).toMatchObject({
      state: 'CANCELED',
      chunksCanceled: 2,
      plannedChunks: 2,
    });
  });

  it('stops a chunk run triggered after the backfill was canceled with terminateRuns', async () => {
    const h = await harness();
    const id = await launch(h, { ...tenDays, maxConcurrentRuns: 1 });
    // Another process plans chunk 1 just before the cancel; its run is triggered only after it.
    const row = h.tables.backfills.get(id)!;
    const selection = resolveBackfillSelection(row.assetSelection, row.selector, {
      tables: h.tables,
      now: h.clock.now().getTime(),
    });
    await h.workspace.append(planChunks(row, selection, 0, h.clock.now()));
    const late = h.tables.backfillChunks.get(backfillChunkId(id, 1))!;
    expect(h.tables.runs.has(late.runId)).toBe(false);
    await cancelBackfill(h.automation, id, { terminateRuns: true }, 'ops');
    await h.settle();
    expect(h.tables.runs.get(late.runId)).toMatchObject({ status: 'CANCELED', cancelRequested: true });
    expect(h.tables.backfills.get(id)).toMatchObject({
      state: 'CANCELED',
      plannedChunks: 2,
      chunksCanceled: 2,
    });
  });

  it('fails a backfill whose selection no longer resolves, and resume plans again once it does', async () => {
    const h = await harness();
    const id = await launch(h, {
      assetSelection: ['tenants'],
      selector: { kind: 'explicit', keys: ['a', 'b', 'c'] },
      chunkSize: 1,
      maxConcurrentRuns: 1,
    });
    await changeTenants(h, [], ['c']);
    await runChunk(h, id, 0, 'SUCCEEDED');
    expect(h.tables.backfills.get(id)).toMatchObject({ state: 'FAILED', plannedChunks: 1 });
    const failure = [...h.tables.idempotencyKeys.values()].find((k) =>
      k.idempotencyKey.startsWith(`backfill_state:${id}`),
    );
    expect(failure?.idempotencyKey).toBe(`backfill_state:${id}:2:FAILED`);
    await changeTenants(h, ['c'], []);
    await resumeBackfill(h.automation, id, 'ops');
    await h.settle();
    expect(h.tables.backfills.get(id)).toMatchObject({ state: 'REQUESTED', plannedChunks: 2 });
  });
});

describe('backfill reconcile timers', () => {
  it('plan a backfill no reactor planned, every 30 s, in the segment of their TimerFired, until nothing is left', async () => {
    const domain = createBackfillReconcileDomain();
    const h = await harness({ executor: 'fast', planner: false, domains: [domain] });
    const at = h.clock.now();
    const id = await launch(h, { ...tenDays, selector: range('2025-01-01', '2025-01-06') });
    expect(h.tables.backfills.get(id)?.plannedChunks).toBe(0);
    expect(await h.automation.antiEntropy()).toBe(1);
    const first = backfillReconcileTimer(id, at.getTime());
    expect(h.timers.pending()).toEqual([first]);
    await h.advance(30_000);
    expect(h.tables.backfills.get(id)).toMatchObject({ plannedChunks: 2, chunksSucceeded: 2 });
    expect(await newestSegment(h, 'timer.fired.v1')).toEqual([
      'timer.fired.v1',
      ...Array(2).fill(['backfill.chunk-planned.v1', 'run.requested.v1']).flat(),
      'timer.requested.v1',
    ]);
    // Delivered again: the timer has fired, the work is done, nothing is appended.
    const head = h.workspace.projections.watermark.seq;
    await domain.handle(h.automation, first);
    expect(h.workspace.projections.watermark.seq).toBe(head);
    await h.advance(30_000);
    expect(h.tables.backfills.get(id)).toMatchObject({ state: 'COMPLETED_SUCCESS', plannedChunks: 3 });
    await h.advance(60_000);
    expect(h.timers.pending()).toEqual([]);
    expect(domain.desiredTimers(h.automation)).toEqual([]);
  });
});

describe('single-run backfills', () => {
  it('make one run of every partition, one task per asset, with outcomes attributed to each partition', async () => {
    const h = await harness({ executor: (task) => (task.assetKey === 'clean' ? 'FAILED' : 'SUCCEEDED') });
    const id = await launch(h, {
      assetSelection: ['raw', 'clean'],
      selector: range('2025-01-01', '2025-01-31'),
      singleRun: true,
    });
    expect(h.tables.backfills.get(id)).toMatchObject({
      state: 'COMPLETED_FAILED',
      chunkSize: 31,
      totalChunks: 1,
      partitionsFailed: 31,
    });
    const { run } = chunkRun(h, id, 0);
    expect(h.tables.runs.size).toBe(1);
    expect(run.taskKeys).toEqual(['raw[2025-01-01..2025-01-31]', 'clean[2025-01-01..2025-01-31]']);
    const outcome = (asset: string) =>
      h.tables.partitionStatus.get(compositeKey(asset, '2025-01-15'))?.lastAttemptOutcome;
    expect([outcome('raw'), outcome('clean')]).toEqual(['SUCCEEDED', 'FAILED']);
  });
});

describe('a 1,000,000-partition backfill (daily × 1,000 regions over 1,000 days)', () => {
  const million = {
    assetSelection: ['events'],
    selector: range('2023-01-01', '2025-09-26'),
    chunkSize: 1000,
  };

  it('runs to COMPLETED_SUCCESS with the fast executor', { timeout: 300_000 }, async () => {
    const h = await harness({ executor: 'fast' });
    const id = await launch(h, { ...million, maxConcurrentRuns: 10 });
    expect(h.tables.backfills.get(id)).toMatchObject({
      state: 'COMPLETED_SUCCESS',
      totalPartitions: 1_000_000,
      totalChunks: 1000,
      plannedChunks: 1000,
      chunksSucceeded: 1000,
      partitionsSucceeded: 1_000_000,
    });
    expect(h.tables.backfillChunks.get(backfillChunkId(id, 999))?.partitionKeys.at(-1)).toBe(
      '2025-09-26|r999',
    );
    await h.stop();
  });

  it('cancel with terminateRuns stops the chunks in flight, plans nothing more, and ends CANCELED', {
    timeout: 120_000,
  }, async () => {
    const backfillId = backfillIdFor(TEST_SCOPE.tenantId, TEST_SCOPE.workspaceId, 'cancel-me');
    let canceled = false;
    const canceller: Reactor = {
      name: 'operator',
      async react(ctx) {
        const row = ctx.tables().backfills.get(backfillId);
        if (canceled || row === undefined || row.chunksSucceeded < 20) return false;
        canceled = true;
        await cancelBackfill(ctx, backfillId, { terminateRuns: true }, 'ops');
        return true;
      },
    };
    const h = await harness({ executor: 'fast', extra: [canceller] });
    expect(await launch(h, { ...million, maxConcurrentRuns: 10, requestId: 'cancel-me' })).toBe(backfillId);
    // Chunks 20–29 were planned when the operator canceled; their runs, triggered after the cancel,
    // are stopped before they start.
    expect(h.tables.backfills.get(backfillId)).toMatchObject({
      state: 'CANCELED',
      plannedChunks: 30,
      chunksSucceeded: 20,
      chunksCanceled: 10,
      partitionsSucceeded: 20_000,
      partitionsCanceled: 10_000,
    });
    expect(chunkRun(h, backfillId, 29).run).toMatchObject({ status: 'CANCELED', startedAt: null });
    await h.advance(60_000);
    expect(h.tables.backfills.get(backfillId)?.plannedChunks).toBe(30);
    await h.stop();
  });
});
