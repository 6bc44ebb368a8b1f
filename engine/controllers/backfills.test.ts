import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { Folder } from '../fold/fold.js';
import { createProjectionState, type ProjectionTables } from '../fold/state.js';
import type { EventDraft, PayloadOf } from '../model/catalog.js';
import type { PartitionSelector, PartitionsDefinition } from '../model/common.js';
import { requestFingerprint } from '../model/fingerprint.js';
import { backfillChunkId, backfillChunkRunKey } from '../model/ids.js';
import { createPartitionSpace, resolveSelector } from '../model/partitions/index.js';
import { type BackfillRow, type RunRow, RunStatus } from '../projections/tables/index.js';
import { EventFactory, testFoldConfig } from '../testing/event-factory.js';
import {
  BACKFILL_TAG,
  backfillSelection,
  backfillSpace,
  failedPartitionsOf,
  PLANNER_ACTOR,
  planChunks,
  terminateDrafts,
} from './backfills.js';

const NOW = Date.UTC(2026, 0, 1);
const at = new Date(NOW);
const daily: PartitionsDefinition = { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' };
const regions = Array.from({ length: 1000 }, (_, i) => `r${String(i).padStart(3, '0')}`);
const dailyByRegion: PartitionsDefinition = {
  kind: 'multi',
  dimensions: [
    { name: 'date', partitions: { kind: 'time', cadence: 'daily', start: '2023-01-01', timezone: 'UTC' } },
    { name: 'region', partitions: { kind: 'static', keys: regions } },
  ],
};

function row(overrides: Partial<BackfillRow> = {}): BackfillRow {
  const totalPartitions = overrides.totalPartitions ?? 10;
  const chunkSize = overrides.chunkSize ?? 2;
  return {
    backfillId: 'bf_1',
    requestId: 'req-1',
    assetSelection: ['raw'],
    selector: { kind: 'range', start: '2025-01-01', end: '2025-01-10' },
    totalPartitions,
    chunkSize,
    maxConcurrentRuns: 3,
    singleRun: false,
    parentBackfillId: null,
    title: null,
    description: null,
    tags: { team: 'data' },
    codeVersion: null,
    requestedBy: 'ops',
    state: 'REQUESTED',
    stateVersion: 1,
    terminateRuns: false,
    totalChunks: Math.ceil(totalPartitions / chunkSize),
    plannedChunks: 0,
    chunksRunning: 0,
    chunksSucceeded: 0,
    chunksFailed: 0,
    chunksCanceled: 0,
    partitionsSucceeded: 0,
    partitionsFailed: 0,
    partitionsCanceled: 0,
    createdAt: NOW,
    endedAt: null,
    rowVersion: '01',
    ...overrides,
  };
}

function selectionOf(definition: PartitionsDefinition, selector: PartitionSelector) {
  return resolveSelector(createPartitionSpace(definition, { now: NOW }), selector);
}

const tenDays = selectionOf(daily, { kind: 'range', start: '2025-01-01', end: '2025-01-10' });

function payloads<T extends EventDraft['type']>(drafts: EventDraft[], type: T) {
  return drafts.filter((d) => d.type === type).map((d) => d.payload as PayloadOf<T>);
}

function tablesWith(assets: Record<string, PartitionsDefinition | null>): ProjectionTables {
  const { tables } = createProjectionState();
  for (const [assetKey, partitions] of Object.entries(assets)) {
    tables.assetDefinitions.set(assetKey, {
      assetKey,
      codeLocation: 'etl',
      codeVersion: null,
      partitions,
      dependsOn: [],
      description: null,
      groupName: null,
      pool: null,
      maxAttempts: null,
      retryBackoffSeconds: null,
      heartbeatTimeoutSeconds: null,
      freshnessSeconds: null,
      tags: null,
      updatedAt: NOW,
      rowVersion: '01',
    });
  }
  return tables;
}

describe('planChunks', () => {
  it('CA-13: plans a chunk as one chunk event and one RunRequested under the same run key, with the chunk keys and a backfill source', () => {
    const drafts = planChunks(row({ maxConcurrentRuns: 1 }), tenDays, 0, at);
    expect(drafts.map((d) => d.type)).toEqual(['backfill.chunk-planned.v1', 'run.requested.v1']);
    const [chunk] = payloads(drafts, 'backfill.chunk-planned.v1');
    const [request] = payloads(drafts, 'run.requested.v1');
    const runKey = backfillChunkRunKey('bf_1', 0);
    expect(chunk).toEqual({
      backfillId: 'bf_1',
      chunkId: backfillChunkId('bf_1', 0),
      chunkIndex: 0,
      partitionKeys: ['2025-01-01', '2025-01-02'],
      runKey,
    });
    expect(request).toMatchObject({
      runKey,
      assetSelection: ['raw'],
      partitionKeys: ['2025-01-01', '2025-01-02'],
      source: { kind: 'backfill', backfillId: 'bf_1', chunkId: 'bf_1:0' },
      lane: 'backfill',
      singleRun: false,
      tags: { team: 'data', [BACKFILL_TAG]: 'bf_1' },
      requestFingerprint: requestFingerprint({
        assetSelection: ['raw'],
        partitionKeys: ['2025-01-01', '2025-01-02'],
        singleRun: false,
      }),
    });
    expect(drafts[0]?.idempotencyKey).toBe('backfill_chunk:bf_1:0');
  });

  it('plans from plannedChunks while fewer than maxConcurrentRuns are active, never past the last chunk', () => {
    const drafts = planChunks(
      row({ totalPartitions: 9, plannedChunks: 3, maxConcurrentRuns: 4 }),
      tenDays,
      1,
      at,
    );
    const chunks = payloads(drafts, 'backfill.chunk-planned.v1');
    expect(chunks.map((c) => [c.chunkIndex, c.partitionKeys])).toEqual([
      [3, ['2025-01-07', '2025-01-08']],
      [4, ['2025-01-09']],
    ]);
  });

  it('plans nothing when no slot is free, when the backfill is not REQUESTED, or when every chunk is planned', () => {
    expect(planChunks(row(), tenDays, 3, at)).toEqual([]);
    expect(planChunks(row({ state: 'PAUSED' }), tenDays, 0, at)).toEqual([]);
    expect(planChunks(row({ state: 'CANCELING' }), tenDays, 0, at)).toEqual([]);
    expect(planChunks(row({ plannedChunks: 5 }), tenDays, 0, at)).toEqual([]);
  });

  it('plans at most maxChunks in one call', () => {
    const drafts = planChunks(row({ maxConcurrentRuns: 10 }), tenDays, 0, at, { maxChunks: 2 });
    expect(payloads(drafts, 'backfill.chunk-planned.v1').map((c) => c.chunkIndex)).toEqual([0, 1]);
  });

  it('slices chunk k of a 1,000,000-partition selection without listing the others', () => {
    const selection = selectionOf(dailyByRegion, { kind: 'range', start: '2023-01-01', end: '2025-09-26' });
    expect(selection.total).toBe(1_000_000);
    const big = row({
      totalPartitions: 1_000_000,
      chunkSize: 1000,
      plannedChunks: 777,
      maxConcurrentRuns: 1,
    });
    const [chunk] = payloads(planChunks(big, selection, 0, at), 'backfill.chunk-planned.v1');
    expect(chunk?.chunkIndex).toBe(777);
    expect(chunk?.partitionKeys).toHaveLength(1000);
    // Chunk 777 is day 777 (2025-02-16), every region in order.
    expect(chunk?.partitionKeys[0]).toBe('2025-02-16|r000');
    expect(chunk?.partitionKeys[999]).toBe('2025-02-16|r999');
  });

  it('fails the backfill with the reason when its selection can no longer be resolved', () => {
    const drafts = planChunks(row({ stateVersion: 4 }), { unresolvable: "'c' is not a partition" }, 0, at);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]?.type).toBe('backfill.state-changed.v1');
    expect(drafts[0]?.payload).toEqual({
      backfillId: 'bf_1',
      fromState: 'REQUESTED',
      toState: 'FAILED',
      stateVersion: 5,
      changedBy: PLANNER_ACTOR,
      reason: "'c' is not a partition",
    });
  });

  it('fails the backfill when its selection now holds fewer partitions than when it was created', () => {
    const [failed] = planChunks(row({ totalPartitions: 12 }), tenDays, 0, at);
    expect(failed?.payload).toMatchObject({
      toState: 'FAILED',
      reason: expect.stringContaining('selects 10 partitions, fewer than the 12'),
    });
  });

  it('fails the backfill rather than plan a chunk too large for an event, keeping the chunks before it', () => {
    // Chunk 0 holds short keys; chunk 1 holds 1,050 keys of 1,000 characters (over 1 MiB).
    const short = Array.from({ length: 1050 }, (_, i) => `s${i}`);
    const long = Array.from({ length: 1050 }, (_, i) => `${String(i).padStart(4, '0')}${'k'.repeat(996)}`);
    const selection = selectionOf({ kind: 'static', keys: [...short, ...long] }, { kind: 'all' });
    const big = row({ totalPartitions: 2100, chunkSize: 1050, maxConcurrentRuns: 2 });
    const drafts = planChunks(big, selection, 0, at);
    expect(drafts.map((d) => d.type)).toEqual([
      'backfill.chunk-planned.v1',
      'run.requested.v1',
      'backfill.state-changed.v1',
    ]);
    expect(drafts[2]?.payload).toMatchObject({
      toState: 'FAILED',
      stateVersion: 2,
      reason: expect.stringMatching(
        /^chunk 1 holds \d+ bytes of partition keys; at most 1048576 fit in one run/,
      ),
    });
  });

  it('several chunks in one segment fold in order; a repeated plan is rejected with its run request', () => {
    const f = new EventFactory(NOW);
    const folder = new Folder(testFoldConfig());
    const state = createProjectionState();
    const fold = (drafts: EventDraft[]) =>
      drafts.map((d) => folder.fold(state, f.advance(1).make(d.type, d.payload)));
    fold([
      {
        type: 'backfill.created.v1',
        payload: {
          backfillId: 'bf_1',
          requestId: 'req-1',
          assetSelection: ['raw'],
          selector: { kind: 'range', start: '2025-01-01', end: '2025-01-10' },
          totalPartitions: 10,
          chunkSize: 2,
          maxConcurrentRuns: 3,
          singleRun: false,
          tags: {},
          requestedBy: 'ops',
        },
        occurredAt: at.toISOString(),
        idempotencyKey: 'backfill_create:req-1',
      },
    ]);
    const first = planChunks(row(), tenDays, 0, at);
    expect(fold(first)).toEqual(Array(6).fill('applied'));
    expect(state.tables.backfills.get('bf_1')?.plannedChunks).toBe(3);
    // A second planner that read the same state makes the same decision: nothing changes.
    expect(fold(first).filter((outcome) => outcome === 'applied')).toEqual([]);
    expect(state.tables.backfills.get('bf_1')?.plannedChunks).toBe(3);
    expect(state.tables.runKeyIndex.size).toBe(3);
  });
});

describe('selection, cancel and retry helpers', () => {
  it('finds the one partitions definition of the assets, naming what is wrong otherwise', () => {
    const tables = tablesWith({
      raw: daily,
      clean: daily,
      plain: null,
      weekly: { ...daily, cadence: 'weekly' },
    });
    expect(backfillSpace(['raw', 'clean'], { tables, now: NOW }).space.count()).toBe(365);
    expect(() => backfillSpace(['ghost'], { tables, now: NOW })).toThrow(
      expect.objectContaining({
        code: ErrorCode.NotFound,
        message: 'asset ghost is not defined by any code location',
      }),
    );
    expect(() => backfillSpace(['raw', 'plain'], { tables, now: NOW })).toThrow(
      /asset plain is not partitioned/,
    );
    expect(() => backfillSpace(['raw', 'weekly', 'clean'], { tables, now: NOW })).toThrow(
      'the assets of a backfill must share one partitions definition: weekly is partitioned differently from raw',
    );
  });

  it('reports an asset removed since creation as an unresolvable selection', () => {
    const tables = tablesWith({});
    expect(backfillSelection(row(), { tables, now: NOW })).toEqual({
      unresolvable: 'asset raw is not defined by any code location',
    });
  });

  it('asks every run of an active chunk to stop, once', () => {
    const tables = tablesWith({ raw: daily });
    const backfill = row({ plannedChunks: 3, chunksSucceeded: 1 });
    const states = ['SUCCEEDED', 'RUNNING', 'RUNNING'] as const;
    const statuses = [RunStatus.Success, RunStatus.Started, RunStatus.Started];
    states.forEach((state, index) => {
      const runId = `run_${index}`;
      tables.backfillChunks.set(backfillChunkId('bf_1', index), {
        chunkId: backfillChunkId('bf_1', index),
        backfillId: 'bf_1',
        chunkIndex: index,
        partitionKeys: ['k'],
        runKey: backfillChunkRunKey('bf_1', index),
        runId,
        state,
        failedPartitions: [],
        plannedAt: NOW,
        endedAt: null,
        rowVersion: '01',
      });
      tables.runs.set(runId, { runId, status: statuses[index], cancelRequested: index === 2 } as RunRow);
    });
    const drafts = terminateDrafts(tables, backfill, 'ops', at);
    expect(drafts.map((d) => d.payload)).toEqual([
      { runId: 'run_1', force: false, requestedBy: 'ops', reason: 'backfill bf_1 was canceled' },
    ]);
  });

  it('CA-19: lists the failed partitions of the failed chunks once each, in partition-space order', () => {
    const tables = tablesWith({ raw: daily });
    const backfill = row({ plannedChunks: 3 });
    const chunks = [
      { state: 'FAILED' as const, failedPartitions: ['2025-01-09', '2025-01-03'] },
      { state: 'SUCCEEDED' as const, failedPartitions: [] },
      { state: 'FAILED' as const, failedPartitions: ['2025-01-03', '2025-01-01'] },
    ];
    chunks.forEach((chunk, index) => {
      tables.backfillChunks.set(backfillChunkId('bf_1', index), {
        chunkId: backfillChunkId('bf_1', index),
        backfillId: 'bf_1',
        chunkIndex: index,
        partitionKeys: [],
        runKey: backfillChunkRunKey('bf_1', index),
        runId: `run_${index}`,
        plannedAt: NOW,
        endedAt: NOW,
        rowVersion: '01',
        ...chunk,
      });
    });
    expect(failedPartitionsOf(tables, backfill, { tables, now: NOW }, 10)).toEqual([
      '2025-01-01',
      '2025-01-03',
      '2025-01-09',
    ]);
    expect(() => failedPartitionsOf(tables, backfill, { tables, now: NOW }, 2)).toThrow(
      'backfill bf_1 has more than 2 failed partitions; a retry lists at most 2',
    );
  });
});
