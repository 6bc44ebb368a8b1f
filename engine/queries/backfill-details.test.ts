import { describe, expect, it } from 'vitest';
import { createBackfillPlanner } from '../automation/backfills.js';
import { launchBackfill } from '../commands/backfills.js';
import { draft, type EventDraft } from '../model/catalog.js';
import type { PartitionsDefinition } from '../model/common.js';
import { backfillChunkId } from '../model/ids.js';
import type { TaskRow } from '../projections/tables/index.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { taskAttempt } from '../testing/payloads.js';
import {
  backfillAssetStatuses,
  backfillFailureReason,
  backfillLogEvents,
  backfillPartitionRuns,
  backfillRunStatusCounts,
  backfillRuns,
  backfillTargetedPartitions,
} from './backfill-details.js';

const daily: PartitionsDefinition = { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' };
const colors: PartitionsDefinition = { kind: 'static', keys: ['red', 'green', 'blue', 'cyan', 'magenta'] };

async function harness(outcome?: (task: TaskRow) => 'SUCCEEDED' | 'FAILED') {
  const h = await AutomationHarness.create({
    reactors: (w) => [
      createBackfillPlanner(w.projections),
      ...(outcome === undefined ? [] : [createFastExecutor(w.projections, outcome)]),
    ],
  });
  const at = h.clock.now();
  const asset = (assetKey: string, partitions: PartitionsDefinition) =>
    draft(
      'asset.definition-upserted.v1',
      { assetKey, codeLocation: 'etl', partitions, dependsOn: [], requestId: 'd' },
      at,
    );
  await h.automation.append([asset('raw', daily), asset('clean', daily), asset('paint', colors)]);
  await h.settle();
  return h;
}

type Harness = Awaited<ReturnType<typeof harness>>;

async function launch(h: Harness, input: Record<string, unknown>) {
  const id = await launchBackfill(h.automation, { assetSelection: ['raw'], ...input }, 'ops');
  await h.settle();
  return h.tables.backfills.get(id)!;
}

const now = (h: Harness) => h.clock.now().getTime();

/** Admits a chunk's run and finishes its tasks successfully. */
async function finishChunk(h: Harness, backfillId: string, index: number) {
  const run = h.tables.runs.get(h.tables.backfillChunks.get(backfillChunkId(backfillId, index))!.runId)!;
  const at = h.clock.now();
  const drafts: EventDraft[] = [draft('run.admitted.v1', { runId: run.runId, pools: [] }, at)];
  for (const taskKey of run.taskKeys) {
    const { dispatchId, ...ref } = taskAttempt(run.runId, taskKey, 1);
    drafts.push(draft('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'test' }, at));
    drafts.push(draft('task.started.v1', { ...ref, workerId: 'w' }, at));
    drafts.push(draft('task.finished.v1', { ...ref, workerId: 'w', outcome: 'SUCCEEDED' }, at));
  }
  await h.automation.append(drafts);
  await h.settle();
}

describe('backfill details', () => {
  it('count each asset by chunk, and per partition where a chunk failed', async () => {
    const h = await harness((task) =>
      task.assetKey === 'clean' && task.partitionKeys?.includes('2025-01-02') ? 'FAILED' : 'SUCCEEDED',
    );
    const backfill = await launch(h, {
      assetSelection: ['raw', 'clean'],
      selector: { kind: 'range', start: '2025-01-01', end: '2025-01-04' },
      chunkSize: 2,
    });
    const row = h.tables.backfills.get(backfill.backfillId)!;
    expect(row.state).toBe('COMPLETED_FAILED');
    expect(backfillAssetStatuses(h.tables, row)).toEqual([
      { assetKey: 'raw', targeted: 4, inProgress: 0, materialized: 4, failed: 0, canceled: 0 },
      { assetKey: 'clean', targeted: 4, inProgress: 0, materialized: 3, failed: 1, canceled: 0 },
    ]);
    expect(backfillRunStatusCounts(h.tables, row)).toEqual(
      expect.arrayContaining([
        { runStatus: 'FAILURE', count: 2 },
        { runStatus: 'SUCCESS', count: 2 },
      ]),
    );
    expect(backfillRuns(h.tables, row, 'all', 10).map((run) => run.status)).toEqual(['SUCCESS', 'FAILURE']);
    expect(backfillRuns(h.tables, row, 'unfinished', 10)).toEqual([]);
    const log = backfillLogEvents(h.tables, row, { limit: 100, now: now(h) });
    expect(log.events.map((event) => event.level)).toEqual([
      'INFO',
      'INFO',
      'ERROR',
      'INFO',
      'INFO',
      'ERROR',
    ]);
    expect(log.events[2]?.message).toMatch(/^chunk 0 failed: run \S+; failed partition: 2025-01-02$/);
  });

  it('count requested partitions as in progress and list the runs not ended', async () => {
    const h = await harness();
    const backfill = await launch(h, {
      selector: { kind: 'range', start: '2025-01-01', end: '2025-01-10' },
      chunkSize: 2,
      maxConcurrentRuns: 2,
    });
    expect(backfillAssetStatuses(h.tables, backfill)).toEqual([
      { assetKey: 'raw', targeted: 10, inProgress: 4, materialized: 0, failed: 0, canceled: 0 },
    ]);
    expect(backfillRuns(h.tables, backfill, 'unfinished', 10)).toHaveLength(2);
    expect(backfillRuns(h.tables, backfill, 'cancelable', 1)).toHaveLength(1);
    expect(backfillRunStatusCounts(h.tables, backfill)).toEqual([
      { runStatus: 'QUEUED', count: 4 },
      { runStatus: 'NOT_STARTED', count: 6 },
    ]);
    const partitions = backfillPartitionRuns(h.tables, backfill, now(h), 5);
    expect(partitions?.map((p) => [p.partitionKey, p.run?.status ?? null])).toEqual([
      ['2025-01-01', 'QUEUED'],
      ['2025-01-02', 'QUEUED'],
      ['2025-01-03', 'QUEUED'],
      ['2025-01-04', 'QUEUED'],
      ['2025-01-05', null],
    ]);
  });

  it('describe time-window targets as ranges from the selector, whatever their size', async () => {
    const h = await harness();
    const target = async (selector: Record<string, unknown>, assetSelection = ['raw']) =>
      backfillTargetedPartitions(
        h.tables,
        await launch(h, { selector, assetSelection, maxConcurrentRuns: 1 }),
        now(h),
        3,
      );
    expect(await target({ kind: 'range', start: '2025-01-01', end: '2025-12-31' })).toEqual({
      ranges: [{ start: '2025-01-01', end: '2025-12-31' }],
      partitionKeys: null,
    });
    expect(
      await target({
        kind: 'ranges',
        ranges: [
          { start: '2025-03-01', end: '2025-03-10' },
          { start: '2025-01-01', end: '2025-01-05' },
          { start: '2025-03-05', end: '2025-03-20' },
        ],
      }),
    ).toEqual({
      ranges: [
        { start: '2025-01-01', end: '2025-01-05' },
        { start: '2025-03-01', end: '2025-03-20' },
      ],
      partitionKeys: null,
    });
    expect(
      await target({ kind: 'explicit', keys: ['2025-01-03', '2025-01-01', '2025-01-02', '2025-02-01'] }),
    ).toEqual({
      ranges: [
        { start: '2025-01-01', end: '2025-01-03' },
        { start: '2025-02-01', end: '2025-02-01' },
      ],
      partitionKeys: null,
    });
    // Static keys are listed up to the limit (3 here), and as ranges above it.
    expect(await target({ kind: 'range', start: 'green', end: 'cyan' }, ['paint'])).toEqual({
      ranges: null,
      partitionKeys: ['green', 'blue', 'cyan'],
    });
    expect(await target({ kind: 'all' }, ['paint'])).toEqual({
      ranges: [{ start: 'red', end: 'magenta' }],
      partitionKeys: null,
    });
  });

  it('say why a FAILED backfill stopped, and that resuming continues it once the cause is gone', async () => {
    const h = await harness();
    const backfill = await launch(h, {
      selector: { kind: 'range', start: '2025-01-01', end: '2025-01-04' },
      chunkSize: 1,
      maxConcurrentRuns: 1,
    });
    expect(backfillFailureReason(h.tables, backfill, now(h))).toBeNull();
    // The asset is repartitioned: the next chunk cannot be planned.
    await h.automation.append([
      draft(
        'asset.definition-upserted.v1',
        { assetKey: 'raw', codeLocation: 'etl', partitions: colors, dependsOn: [], requestId: 'd2' },
        h.clock.now(),
      ),
    ]);
    await h.settle();
    await finishChunk(h, backfill.backfillId, 0);
    const failed = h.tables.backfills.get(backfill.backfillId)!;
    expect(failed.state).toBe('FAILED');
    expect(backfillFailureReason(h.tables, failed, now(h))).toMatch(
      /^planning stopped at chunk 1 of 4: '2025-01-01' is not a partition/,
    );
    expect(backfillTargetedPartitions(h.tables, failed, now(h), 10)).toBeNull();
    await h.automation.append([
      draft(
        'asset.definition-upserted.v1',
        { assetKey: 'raw', codeLocation: 'etl', partitions: daily, dependsOn: [], requestId: 'd3' },
        h.clock.now(),
      ),
    ]);
    await h.settle();
    expect(backfillFailureReason(h.tables, h.tables.backfills.get(backfill.backfillId)!, now(h))).toBe(
      'planning stopped at chunk 1 of 4; what stopped it no longer holds: resume the backfill to continue',
    );
  });

  it('page the log after a position, in time and rank order', async () => {
    const h = await harness(() => 'SUCCEEDED');
    const backfill = await launch(h, {
      selector: { kind: 'range', start: '2025-01-01', end: '2025-01-06' },
      chunkSize: 2,
    });
    const row = h.tables.backfills.get(backfill.backfillId)!;
    const all = backfillLogEvents(h.tables, row, { limit: 100, now: now(h) }).events;
    expect(all).toHaveLength(8);
    const first = backfillLogEvents(h.tables, row, { limit: 3, now: now(h) });
    expect(first).toMatchObject({ hasMore: true });
    const last = first.events.at(-1)!;
    const rest = backfillLogEvents(h.tables, row, {
      after: { at: last.at, rank: last.rank },
      limit: 100,
      now: now(h),
    });
    expect([...first.events, ...rest.events]).toEqual(all);
    expect(rest.hasMore).toBe(false);
  });
});
