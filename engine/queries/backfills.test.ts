import { describe, expect, it } from 'vitest';
import { createBackfillPlanner } from '../automation/backfills.js';
import { cancelBackfill, launchBackfill } from '../commands/backfills.js';
import { ErrorCode } from '../errors.js';
import { draft, type EventDraft } from '../model/catalog.js';
import type { PartitionsDefinition } from '../model/common.js';
import { backfillChunkId } from '../model/ids.js';
import type { TaskRow } from '../projections/tables/index.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { taskAttempt } from '../testing/payloads.js';
import {
  type BackfillPartitionState,
  backfillPartitionStatuses,
  getBackfill,
  listBackfillChunks,
  listBackfills,
} from './backfills.js';

const daily: PartitionsDefinition = { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' };
const regions = Array.from({ length: 1000 }, (_, i) => `r${String(i).padStart(3, '0')}`);
const dailyByRegion: PartitionsDefinition = {
  kind: 'multi',
  dimensions: [
    { name: 'date', partitions: { kind: 'time', cadence: 'daily', start: '2023-01-01', timezone: 'UTC' } },
    { name: 'region', partitions: { kind: 'static', keys: regions } },
  ],
};

async function harness(outcome?: (task: TaskRow) => 'SUCCEEDED' | 'FAILED') {
  const h = await AutomationHarness.create({
    reactors: (w) => [
      createBackfillPlanner(w.projections),
      ...(outcome === undefined ? [] : [createFastExecutor(w.projections, outcome)]),
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
  ]);
  await h.settle();
  return h;
}

type Harness = Awaited<ReturnType<typeof harness>>;

async function launch(h: Harness, input: Record<string, unknown>) {
  const id = await launchBackfill(h.automation, { assetSelection: ['raw'], ...input }, 'ops');
  await h.settle();
  return id;
}

/** Admits a chunk's run, starts its tasks and, unless `started`, finishes them (with per-partition outcomes). */
async function runChunk(
  h: Harness,
  backfillId: string,
  index: number,
  finish: 'SUCCEEDED' | 'started',
  partitionOutcomes?: Record<string, 'SUCCEEDED' | 'FAILED'>,
) {
  const chunk = h.tables.backfillChunks.get(backfillChunkId(backfillId, index))!;
  const run = h.tables.runs.get(chunk.runId)!;
  const at = h.clock.now();
  const drafts: EventDraft[] = [draft('run.admitted.v1', { runId: run.runId, pools: [] }, at)];
  for (const taskKey of run.taskKeys) {
    const { dispatchId, ...ref } = taskAttempt(run.runId, taskKey, 1);
    drafts.push(draft('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'test' }, at));
    drafts.push(draft('task.started.v1', { ...ref, workerId: 'w' }, at));
    if (finish === 'started') continue;
    drafts.push(
      draft(
        'task.finished.v1',
        {
          ...ref,
          workerId: 'w',
          outcome: finish,
          ...(partitionOutcomes === undefined ? {} : { partitionOutcomes }),
        },
        at,
      ),
    );
  }
  await h.automation.append(drafts);
  await h.settle();
}

const range = (start: string, end: string) => ({ kind: 'range' as const, start, end });

function statuses(
  h: Harness,
  backfillId: string,
  options: { offset?: number; limit?: number; assetKey?: string } = {},
) {
  return backfillPartitionStatuses(h.tables, backfillId, { ...options, now: h.clock.now().getTime() });
}

const statusesOf = (page: { partitions: { status: BackfillPartitionState }[] }) =>
  page.partitions.map((p) => p.status);

describe('backfill queries', () => {
  it('list backfills newest first, filtered by status and paged by cursor', async () => {
    const h = await harness();
    const ids: string[] = [];
    for (const day of ['01', '02', '03']) {
      ids.push(
        await launch(h, { selector: range(`2025-01-${day}`, `2025-01-${day}`), maxConcurrentRuns: 1 }),
      );
      h.clock.advance(1000);
    }
    await cancelBackfill(h.automation, ids[1], {}, 'ops');
    const first = listBackfills(h.tables, { limit: 2 });
    expect(first.backfills.map((b) => b.backfillId)).toEqual([ids[2], ids[1]]);
    expect(first.cursor).toBe(ids[1]);
    const second = listBackfills(h.tables, { limit: 2, cursor: first.cursor! });
    expect(second).toMatchObject({ backfills: [{ backfillId: ids[0] }], cursor: null });
    const canceling = listBackfills(h.tables, { statuses: ['CANCELING'] });
    expect(canceling.backfills.map((b) => [b.backfillId, b.status, b.isTerminal])).toEqual([
      [ids[1], 'CANCELING', false],
    ]);
    expect(() => listBackfills(h.tables, { limit: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidInput }),
    );
  });

  it('list backfills created in a window, continue after a cursor the filter excludes, and refuse an unknown one', async () => {
    const h = await harness();
    const ids: string[] = [];
    const times: number[] = [];
    for (const day of ['01', '02', '03']) {
      times.push(h.clock.now().getTime());
      ids.push(
        await launch(h, { selector: range(`2025-01-${day}`, `2025-01-${day}`), maxConcurrentRuns: 1 }),
      );
      h.clock.advance(1000);
    }
    const window = listBackfills(h.tables, { createdAfter: times[0], createdBefore: times[2] });
    expect(window.backfills.map((b) => b.backfillId)).toEqual([ids[1]]);
    const older = listBackfills(h.tables, { createdBefore: times[1], cursor: ids[2] });
    expect(older.backfills.map((b) => b.backfillId)).toEqual([ids[0]]);
    expect(() => listBackfills(h.tables, { cursor: 'bf_unknown' })).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidInput,
        message: 'cursor bf_unknown is not a backfill id',
      }),
    );
  });

  it('count partitions and chunks by where they stand, and give each partition its status from its chunk', async () => {
    const h = await harness();
    const id = await launch(h, {
      selector: range('2025-01-01', '2025-01-08'),
      chunkSize: 2,
      maxConcurrentRuns: 2,
    });
    await runChunk(h, id, 0, 'SUCCEEDED');
    await runChunk(h, id, 1, 'started');
    expect(getBackfill(h.tables, id)?.counts).toEqual({
      totalPartitions: 8,
      requestedPartitions: 6,
      notRequestedPartitions: 2,
      inProgressPartitions: 4,
      materializedPartitions: 2,
      failedPartitions: 0,
      canceledPartitions: 0,
      totalChunks: 4,
      plannedChunks: 3,
      queuedChunks: 1,
      runningChunks: 1,
      succeededChunks: 1,
      failedChunks: 0,
      canceledChunks: 0,
    });
    const page = statuses(h, id);
    expect(page).toMatchObject({ total: 8, offset: 0 });
    expect(page.partitions.map((p) => [p.partitionKey, p.status, p.chunkIndex])).toEqual([
      ['2025-01-01', 'MATERIALIZED', 0],
      ['2025-01-02', 'MATERIALIZED', 0],
      ['2025-01-03', 'IN_PROGRESS', 1],
      ['2025-01-04', 'IN_PROGRESS', 1],
      ['2025-01-05', 'REQUESTED', 2],
      ['2025-01-06', 'REQUESTED', 2],
      ['2025-01-07', 'NOT_REQUESTED', 3],
      ['2025-01-08', 'NOT_REQUESTED', 3],
    ]);
    expect(page.partitions[0]?.runId).toBe(h.tables.backfillChunks.get(backfillChunkId(id, 0))?.runId);
    expect(page.partitions[7]?.runId).toBeNull();
    expect(statusesOf(statuses(h, id, { offset: 5, limit: 2 }))).toEqual(['REQUESTED', 'NOT_REQUESTED']);
    expect(listBackfillChunks(h.tables, id, { offset: 1, limit: 1 })).toMatchObject({
      total: 3,
      chunks: [{ chunkIndex: 1, state: 'RUNNING', partitionCount: 2, firstPartition: '2025-01-03' }],
    });
  });

  it('give the status per asset, and the worst over the assets without one', async () => {
    const h = await harness((task) =>
      task.assetKey === 'clean' && task.partitionKeys?.includes('2025-01-02') ? 'FAILED' : 'SUCCEEDED',
    );
    const id = await launch(h, {
      assetSelection: ['raw', 'clean'],
      selector: range('2025-01-01', '2025-01-03'),
    });
    expect(getBackfill(h.tables, id)).toMatchObject({ status: 'COMPLETED_FAILED', isTerminal: true });
    expect(statusesOf(statuses(h, id))).toEqual(['MATERIALIZED', 'FAILED', 'MATERIALIZED']);
    expect(statusesOf(statuses(h, id, { assetKey: 'raw' }))).toEqual([
      'MATERIALIZED',
      'MATERIALIZED',
      'MATERIALIZED',
    ]);
    expect(statusesOf(statuses(h, id, { assetKey: 'clean' }))).toEqual([
      'MATERIALIZED',
      'FAILED',
      'MATERIALIZED',
    ]);
    expect(() => statuses(h, id, { assetKey: 'events' })).toThrow(
      expect.objectContaining({
        code: ErrorCode.NotFound,
        message: `backfill ${id} does not target asset events`,
      }),
    );
  });

  it('attribute the per-partition outcomes of a single run to each partition', async () => {
    const h = await harness();
    const id = await launch(h, { selector: range('2025-01-01', '2025-01-04'), singleRun: true });
    await runChunk(h, id, 0, 'SUCCEEDED', { '2025-01-03': 'FAILED' });
    expect(statusesOf(statuses(h, id))).toEqual(['MATERIALIZED', 'MATERIALIZED', 'FAILED', 'MATERIALIZED']);
  });

  it('show the partitions of canceled chunks as CANCELED', async () => {
    const h = await harness();
    const id = await launch(h, {
      selector: range('2025-01-01', '2025-01-04'),
      chunkSize: 2,
      maxConcurrentRuns: 1,
    });
    await runChunk(h, id, 0, 'SUCCEEDED');
    await cancelBackfill(h.automation, id, { terminateRuns: true }, 'ops');
    await h.settle();
    expect(getBackfill(h.tables, id)?.status).toBe('CANCELED');
    expect(statusesOf(statuses(h, id))).toEqual(['MATERIALIZED', 'MATERIALIZED', 'CANCELED', 'CANCELED']);
  });

  it('page through a 1,000,000-partition backfill without listing it', async () => {
    const h = await harness();
    const id = await launch(h, {
      assetSelection: ['events'],
      selector: range('2023-01-01', '2025-09-26'),
      chunkSize: 1000,
      maxConcurrentRuns: 2,
    });
    const started = performance.now();
    const page = statuses(h, id, { offset: 999_998, limit: 5 });
    expect(performance.now() - started).toBeLessThan(250);
    expect(page).toMatchObject({ total: 1_000_000, offset: 999_998 });
    expect(page.partitions).toEqual([
      { partitionKey: '2025-09-26|r998', status: 'NOT_REQUESTED', chunkIndex: 999, runId: null },
      { partitionKey: '2025-09-26|r999', status: 'NOT_REQUESTED', chunkIndex: 999, runId: null },
    ]);
    expect(statusesOf(statuses(h, id, { offset: 1999, limit: 2 }))).toEqual(['REQUESTED', 'NOT_REQUESTED']);
    expect(getBackfill(h.tables, id)?.counts).toMatchObject({
      requestedPartitions: 2000,
      notRequestedPartitions: 998_000,
    });
  });

  it('refuse unknown backfills and bad pages', async () => {
    const h = await harness();
    expect(getBackfill(h.tables, 'bf_nope')).toBeUndefined();
    expect(() => statuses(h, 'bf_nope')).toThrow(expect.objectContaining({ code: ErrorCode.NotFound }));
    const id = await launch(h, { selector: range('2025-01-01', '2025-01-02') });
    expect(() => statuses(h, id, { limit: 5001 })).toThrow('limit 5001 must be an integer from 1 to 5000');
    expect(() => statuses(h, id, { offset: -1 })).toThrow('offset -1 must be a non-negative integer');
    expect(statuses(h, id, { offset: 10 }).partitions).toEqual([]);
  });
});
