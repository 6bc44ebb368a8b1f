import { describe, expect, it } from 'vitest';
import { createProjectionState, type ProjectionTables } from '../fold/state.js';
import type { RunSource } from '../model/common.js';
import type { ChangeSet } from '../projections/projection-store.js';
import type { BackfillRow, RunRow, TableName } from '../projections/tables/index.js';
import { RunTag, runTags } from './run-tags.js';
import { type FeedEntry, RunIndex } from './runs.js';

const T0 = Date.UTC(2026, 10, 20);
const SECOND = 1000;

/** Projection tables and a change feed the test drives by hand. */
function source() {
  const tables: ProjectionTables = createProjectionState().tables;
  const listeners = new Set<(changes: ChangeSet) => void>();
  const changed = (table: TableName, ...keys: string[]) => {
    const changes: ChangeSet = { fromSeq: 1, toSeq: 1, tables: new Map([[table, new Set(keys)]]) };
    for (const listener of listeners) listener(changes);
  };
  return {
    tables,
    changed,
    source: {
      tables: () => tables,
      subscribe(listener: (changes: ChangeSet) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}

function runRow(runId: string, createdAt: number, patch: Partial<RunRow> = {}): RunRow {
  const source: RunSource = patch.source ?? { kind: 'manual', requestedBy: 'ops', requestId: runId };
  return {
    runId,
    runKey: `key-${runId}`,
    status: 'SUCCESS',
    lane: source.kind === 'backfill' ? 'backfill' : source.kind,
    priority: 0,
    source,
    sourceKind: source.kind,
    assetSelection: ['sales/raw_orders'],
    partitionKeys: null,
    tags: {},
    codeVersion: null,
    taskKeys: [],
    tasksTotal: 0,
    tasksSucceeded: 0,
    tasksFailed: 0,
    tasksSkipped: 0,
    tasksCanceled: 0,
    pools: [],
    cancelRequested: false,
    forceCancel: false,
    backfillId: source.kind === 'backfill' ? source.backfillId : null,
    chunkId: source.kind === 'backfill' ? source.chunkId : null,
    failureReason: null,
    createdAt,
    admittedAt: null,
    startedAt: null,
    endedAt: null,
    rowVersion: `v-${runId}`,
    ...patch,
  };
}

const schedule = (name: string): RunSource => ({
  kind: 'schedule',
  scheduleId: `sales:${name}`,
  tickId: `sales:${name}:1`,
});
const sensor = (name: string): RunSource => ({ kind: 'sensor', sensorId: `sales:${name}`, evalId: 'e1' });
const backfillSource = (backfillId: string, chunk: number): RunSource => ({
  kind: 'backfill',
  backfillId,
  chunkId: `${backfillId}:${chunk}`,
});

function backfillRow(backfillId: string, createdAt: number, state = 'REQUESTED'): BackfillRow {
  return { backfillId, createdAt, state, tags: {} } as BackfillRow;
}

/** Ten runs a second apart: schedules, a sensor, a backfill's two chunks, manual runs. */
function history() {
  const s = source();
  const rows = [
    runRow('run-01', T0 + 1 * SECOND, {
      source: schedule('every_15_seconds'),
      partitionKeys: ['2026-11-19'],
    }),
    runRow('run-02', T0 + 2 * SECOND, { source: sensor('inbox_files'), status: 'FAILURE' }),
    runRow('run-03', T0 + 3 * SECOND, {
      source: backfillSource('bf1', 0),
      partitionKeys: ['2026-11-01', '2026-11-02'],
    }),
    runRow('run-04', T0 + 4 * SECOND, {
      source: backfillSource('bf1', 1),
      partitionKeys: ['2026-11-03', '2026-11-04'],
    }),
    runRow('run-05', T0 + 5 * SECOND, {
      source: schedule('every_15_seconds'),
      partitionKeys: ['2026-11-19'],
    }),
    runRow('run-06', T0 + 6 * SECOND, { partitionKeys: ['2026-11-03'], tags: { team: 'red' } }),
    runRow('run-07', T0 + 7 * SECOND, { status: 'STARTED', tags: { team: 'blue' } }),
    runRow('run-08', T0 + 8 * SECOND, { source: schedule('nightly_revenue'), status: 'QUEUED' }),
    runRow('run-09', T0 + 9 * SECOND, { source: schedule('every_15_seconds'), status: 'QUEUED' }),
    runRow('run-10', T0 + 10 * SECOND, { tags: { team: 'red' } }),
  ];
  for (const row of rows) s.tables.runs.set(row.runId, row);
  s.tables.backfills.set('bf1', backfillRow('bf1', T0 + 3 * SECOND - 1, 'COMPLETED_SUCCESS'));
  s.tables.assetDefinitions.set('sales/raw_orders', {
    assetKey: 'sales/raw_orders',
    codeLocation: 'sales',
  } as never);
  return { ...s, index: new RunIndex(s.source) };
}

const ids = (rows: readonly { runId: string }[]) => rows.map((row) => row.runId);
const entryId = (entry: FeedEntry) => (entry.kind === 'run' ? entry.row.runId : entry.row.backfillId);

/** The ROOTS feed of the history: the backfill in place of its two runs. */
const ROOTS = ['run-10', 'run-09', 'run-08', 'run-07', 'run-06', 'run-05', 'bf1', 'run-02', 'run-01'];
const tag = (key: string, value: string) => ({ key, value });

describe('RunIndex', () => {
  it('lists runs newest first, a page at a time, continuing after the run named by the cursor', () => {
    const { index, tables } = history();
    const first = index.page(tables, {}, undefined, 4);
    expect(ids(first.items)).toEqual(['run-10', 'run-09', 'run-08', 'run-07']);
    expect(first.hasMore).toBe(true);
    const second = index.page(tables, {}, 'run-07', 4);
    expect(ids(second.items)).toEqual(['run-06', 'run-05', 'run-04', 'run-03']);
    const last = index.page(tables, {}, 'run-03', 4);
    expect(ids(last.items)).toEqual(['run-02', 'run-01']);
    expect(last.hasMore).toBe(false);
    expect(() => index.page(tables, {}, 'run-unknown', 4)).toThrow(/does not exist/);
  });

  it('filters by the derived tags of schedule, sensor, backfill, partition, lane and code location', () => {
    const { index, tables } = history();
    const list = (tags: { key: string; value: string }[]) =>
      ids(index.page(tables, { tags }, undefined, 100).items);
    expect(list([tag(RunTag.scheduleName, 'every_15_seconds')])).toEqual(['run-09', 'run-05', 'run-01']);
    expect(list([tag(RunTag.sensorName, 'inbox_files')])).toEqual(['run-02']);
    expect(list([tag(RunTag.backfill, 'bf1')])).toEqual(['run-04', 'run-03']);
    // A backfill chunk over 03..04 is a run of 2026-11-03 too.
    expect(list([tag(RunTag.partition, '2026-11-03')])).toEqual(['run-06', 'run-04']);
    expect(list([tag(RunTag.partitionRangeStart, '2026-11-03')])).toEqual(['run-04']);
    expect(list([tag(RunTag.lane, 'manual')])).toEqual(['run-10', 'run-07', 'run-06']);
    expect(list([tag(RunTag.codeLocation, 'sales')])).toHaveLength(10);
    // Values of one key are alternatives; different keys must all match.
    expect(list([tag('team', 'red'), tag('team', 'blue')])).toEqual(['run-10', 'run-07', 'run-06']);
    expect(list([tag('team', 'red'), tag(RunTag.partition, '2026-11-03')])).toEqual(['run-06']);
    expect(list([tag('team', 'green')])).toEqual([]);
  });

  it('finds a run by its Servo run key through the run-key index', () => {
    const { index, tables } = history();
    tables.runKeyIndex.set('key-run-05', { runKey: 'key-run-05', runId: 'run-05' } as never);
    const page = index.page(tables, { tags: [tag(RunTag.runKey, 'key-run-05')] }, undefined, 10);
    expect(ids(page.items)).toEqual(['run-05']);
  });

  it('filters by status, run ids, creation and update time, and refuses other jobs and modes', () => {
    const { index, tables } = history();
    const list = (filter: Parameters<RunIndex['page']>[1]) =>
      ids(index.page(tables, filter, undefined, 100).items);
    expect(list({ statuses: ['QUEUED', 'STARTED'] })).toEqual(['run-09', 'run-08', 'run-07']);
    expect(list({ runIds: ['run-02', 'run-09', 'nope'] })).toEqual(['run-09', 'run-02']);
    expect(list({ createdAfter: T0 + 3 * SECOND, createdBefore: T0 + 6 * SECOND })).toEqual([
      'run-05',
      'run-04',
    ]);
    tables.runs.set('run-01', { ...tables.runs.get('run-01')!, rowVersion: '01M7V41XMR2GD0CKM7R6666TMJ' });
    expect(list({ updatedAfter: Date.parse('2026-11-20T00:00:14Z') })).toEqual(['run-01']);
    expect(list({ jobName: '__ASSET_JOB', mode: 'default' })).toHaveLength(10);
    expect(list({ jobName: 'etl' })).toEqual([]);
    expect(list({ mode: 'debug' })).toEqual([]);
    expect(list({ snapshotId: 'abc' })).toEqual([]);
  });

  it('follows new runs, status changes and deletions through the change feed', () => {
    const { index, tables, changed } = history();
    expect(index.count(tables, { statuses: ['QUEUED'] })).toBe(2);
    tables.runs.set('run-09', { ...tables.runs.get('run-09')!, status: 'STARTED' });
    tables.runs.set('run-11', runRow('run-11', T0 + 11 * SECOND, { status: 'QUEUED' }));
    tables.runs.delete('run-08');
    changed('runs', 'run-09', 'run-11', 'run-08');
    expect(ids(index.page(tables, { statuses: ['QUEUED'] }, undefined, 10).items)).toEqual(['run-11']);
    expect(ids(index.page(tables, { statuses: ['STARTED'] }, undefined, 10).items)).toEqual([
      'run-09',
      'run-07',
    ]);
    expect(index.count(tables, {})).toBe(10);
    expect(index.runsCountOf(tables, 'sales:nightly_revenue')).toBe(0);
    expect(index.tagValues(tables, [RunTag.scheduleName], undefined, 10)).toEqual([
      { key: RunTag.scheduleName, values: ['every_15_seconds'] },
    ]);
  });

  it('rebuilds itself when the projections were replaced behind the change feed', () => {
    const { index, tables } = history();
    tables.runs.set('run-11', runRow('run-11', T0 + 11 * SECOND));
    expect(ids(index.page(tables, {}, undefined, 1).items)).toEqual(['run-11']);
  });

  it("lists a schedule's or sensor's runs and counts them", () => {
    const { index, tables } = history();
    expect(ids(index.runsOf(tables, 'sales:every_15_seconds', 2))).toEqual(['run-09', 'run-05']);
    expect(index.runsCountOf(tables, 'sales:every_15_seconds')).toBe(3);
    expect(index.runsCountOf(tables, 'sales:inbox_files')).toBe(1);
  });

  it('feeds backfills beside the runs no backfill started, or every run, or backfills alone', () => {
    const { index, tables } = history();
    const feed = (view: 'ROOTS' | 'RUNS' | 'BACKFILLS', filter = {}) =>
      index.feed(tables, view, filter, undefined, 100).items.map(entryId);
    expect(feed('ROOTS')).toEqual(ROOTS);
    expect(feed('RUNS')).toHaveLength(10);
    expect(feed('BACKFILLS')).toEqual(['bf1']);
    expect(feed('ROOTS', { statuses: ['SUCCESS'] })).toEqual(['run-10', 'run-06', 'run-05', 'bf1', 'run-01']);
    expect(feed('ROOTS', { tags: [tag(RunTag.backfill, 'bf1')] })).toEqual(['bf1']);
    expect(feed('ROOTS', { runIds: ['run-01'] })).toEqual(['run-01']);
    expect(index.feedCount(tables, 'ROOTS', {})).toBe(9);
    expect(index.feedCount(tables, 'RUNS', { statuses: ['QUEUED'] })).toBe(2);
  });

  it('pages the feed without repeating or skipping an entry, even as new entries arrive', () => {
    const { index, tables, changed } = history();
    const seen: string[] = [];
    let cursor: { at: number; id: string } | undefined;
    for (let pageNumber = 0; pageNumber < 10; pageNumber++) {
      const page = index.feed(tables, 'ROOTS', {}, cursor, 2);
      seen.push(...page.items.map(entryId));
      if (pageNumber === 0) {
        tables.runs.set('run-12', runRow('run-12', T0 + 12 * SECOND));
        changed('runs', 'run-12');
      }
      if (!page.hasMore) break;
      cursor = page.last;
    }
    expect(seen).toEqual(ROOTS);
  });

  it('reads one page of a rare status without reading the rest of a long history', () => {
    const s = source();
    for (let n = 0; n < 20_000; n++) {
      const row = runRow(`run-${n}`, T0 + n * SECOND, { status: n % 1000 === 0 ? 'FAILURE' : 'SUCCESS' });
      s.tables.runs.set(row.runId, row);
    }
    const index = new RunIndex(s.source);
    const runs = s.tables.runs;
    let reads = 0;
    const get = runs.get.bind(runs);
    runs.get = (key: string) => {
      reads += 1;
      return get(key);
    };
    const page = index.page(s.tables, { statuses: ['FAILURE'] }, 'run-15000', 3);
    expect(ids(page.items)).toEqual(['run-14000', 'run-13000', 'run-12000']);
    expect(reads).toBeLessThanOrEqual(4);
  });

  it('derives the tags a run shows from its source, partitions, lane, run key and code location', () => {
    const { tables } = history();
    expect(runTags(tables.runs.get('run-04')!, 'sales')).toEqual({
      [RunTag.backfill]: 'bf1',
      [RunTag.partitionRangeStart]: '2026-11-03',
      [RunTag.partitionRangeEnd]: '2026-11-04',
      [RunTag.lane]: 'backfill',
      [RunTag.runKey]: 'key-run-04',
      [RunTag.codeLocation]: 'sales',
    });
    expect(runTags(tables.runs.get('run-01')!, null)).toMatchObject({
      [RunTag.scheduleName]: 'every_15_seconds',
      [RunTag.partition]: '2026-11-19',
    });
  });
});
