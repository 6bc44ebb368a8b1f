import { describe, expect, it } from 'vitest';
import type { PayloadOf } from '../model/catalog.js';
import { backfillChunkId, backfillChunkRunKey } from '../model/ids.js';
import { EventFactory, testFoldConfig } from '../testing/event-factory.js';
import { runRequest, taskDefinition, testRunId } from '../testing/payloads.js';
import { RunDriver } from '../testing/run-driver.js';
import { Folder } from './fold.js';
import { createProjectionState } from './state.js';

function setup() {
  const f = new EventFactory();
  const folder = new Folder(testFoldConfig());
  const state = createProjectionState();
  return { f, state, runs: new RunDriver(f, folder, state) };
}

function created(
  overrides: Partial<PayloadOf<'backfill.created.v1'>> = {},
): PayloadOf<'backfill.created.v1'> {
  return {
    backfillId: 'bf_1',
    requestId: 'req-1',
    assetSelection: ['raw'],
    selector: { kind: 'explicit', keys: ['a', 'b', 'c'] },
    totalPartitions: 3,
    chunkSize: 2,
    maxConcurrentRuns: 2,
    singleRun: false,
    tags: {},
    requestedBy: 'ops',
    ...overrides,
  };
}

/** Plans chunk `index` with its run request, as the planner does in one segment. */
function planChunk(runs: RunDriver, index: number, keys: string[], backfillId = 'bf_1'): string[] {
  const runKey = backfillChunkRunKey(backfillId, index);
  const chunkId = backfillChunkId(backfillId, index);
  return [
    runs.make('backfill.chunk-planned.v1', {
      backfillId,
      chunkId,
      chunkIndex: index,
      partitionKeys: keys,
      runKey,
    }),
    runs.make(
      'run.requested.v1',
      runRequest(
        runKey,
        { kind: 'backfill', backfillId, chunkId },
        { assetSelection: ['raw'], partitionKeys: keys, lane: 'backfill' },
      ),
    ),
  ];
}

/** Triggers, plans and admits the chunk's run, then runs each partition task to `outcome`. */
function runChunk(
  runs: RunDriver,
  index: number,
  keys: string[],
  outcome: 'SUCCEEDED' | 'FAILED',
  backfillId = 'bf_1',
): string {
  const runKey = backfillChunkRunKey(backfillId, index);
  const runId = testRunId(runKey);
  const source = { kind: 'backfill' as const, backfillId, chunkId: backfillChunkId(backfillId, index) };
  runs.make('run.triggered.v1', {
    runId,
    runKey,
    source,
    lane: 'backfill',
    priority: 0,
    assetSelection: ['raw'],
    partitionKeys: keys,
    tags: {},
  });
  const tasks = keys.map((key) => taskDefinition('raw', [key], [], { maxAttempts: 1 }));
  runs.make('run.plan-created.v1', { runId, tasks });
  runs.make('run.admitted.v1', { runId, pools: [] });
  for (const task of tasks) runs.run(runId, task.taskKey, outcome);
  return runId;
}

describe('backfill fold', () => {
  it('DM-26: creating a backfill makes it REQUESTED at version 1; a second create with the same id is ignored', () => {
    const { state, runs } = setup();
    expect(runs.make('backfill.created.v1', created())).toBe('applied');
    expect(state.tables.backfills.get('bf_1')).toMatchObject({
      state: 'REQUESTED',
      stateVersion: 1,
      totalChunks: 2,
    });
    expect(runs.make('backfill.created.v1', created({ requestId: 'other' }))).toBe('not-applied');
    expect(runs.make('backfill.created.v1', created())).toBe('duplicate');
  });

  it('DM-27/28: chunks are planned in order and a chunk run request stands or falls with its plan', () => {
    const { state, runs } = setup();
    runs.make('backfill.created.v1', created());
    expect(planChunk(runs, 1, ['c'])).toEqual(['not-applied', 'not-applied']);
    expect(planChunk(runs, 0, ['a', 'b'])).toEqual(['applied', 'applied']);
    expect(state.tables.backfills.get('bf_1')?.plannedChunks).toBe(1);
    expect(state.tables.backfillChunks.get('bf_1:0')).toMatchObject({
      state: 'PLANNED',
      runId: testRunId(backfillChunkRunKey('bf_1', 0)),
    });
  });

  it('follows its chunks: runs succeed, chunk states and counters follow, and the backfill completes', () => {
    const { state, runs } = setup();
    runs.make('backfill.created.v1', created());
    planChunk(runs, 0, ['a', 'b']);
    planChunk(runs, 1, ['c']);
    runChunk(runs, 0, ['a', 'b'], 'SUCCEEDED');
    expect(state.tables.backfillChunks.get('bf_1:0')?.state).toBe('SUCCEEDED');
    expect(state.tables.backfills.get('bf_1')).toMatchObject({
      state: 'REQUESTED',
      chunksSucceeded: 1,
      partitionsSucceeded: 2,
    });
    runChunk(runs, 1, ['c'], 'SUCCEEDED');
    expect(state.tables.backfills.get('bf_1')).toMatchObject({
      state: 'COMPLETED_SUCCESS',
      stateVersion: 2,
      chunksSucceeded: 2,
      partitionsSucceeded: 3,
      chunksRunning: 0,
    });
  });

  it('attributes failed partitions to their chunk and completes as COMPLETED_FAILED', () => {
    const { state, runs } = setup();
    runs.make('backfill.created.v1', created());
    planChunk(runs, 0, ['a', 'b']);
    planChunk(runs, 1, ['c']);
    runChunk(runs, 0, ['a', 'b'], 'FAILED');
    runChunk(runs, 1, ['c'], 'SUCCEEDED');
    expect(state.tables.backfillChunks.get('bf_1:0')).toMatchObject({
      state: 'FAILED',
      failedPartitions: ['a', 'b'],
    });
    expect(state.tables.backfills.get('bf_1')).toMatchObject({
      state: 'COMPLETED_FAILED',
      partitionsFailed: 2,
      partitionsSucceeded: 1,
    });
  });

  it('DM-29: a transition from the wrong state or version is rejected and its key stays free', () => {
    const { state, runs } = setup();
    runs.make('backfill.created.v1', created());
    const pause = {
      backfillId: 'bf_1',
      fromState: 'REQUESTED' as const,
      toState: 'PAUSED' as const,
      changedBy: 'ops',
    };
    expect(runs.make('backfill.state-changed.v1', { ...pause, stateVersion: 3 })).toBe('not-applied');
    expect(runs.make('backfill.state-changed.v1', { ...pause, fromState: 'PAUSED', stateVersion: 2 })).toBe(
      'not-applied',
    );
    expect(
      runs.make('backfill.state-changed.v1', { ...pause, toState: 'COMPLETED_SUCCESS', stateVersion: 2 }),
    ).toBe('not-applied');
    expect(state.tables.idempotencyKeys.has('backfill_state:bf_1:2:PAUSED')).toBe(false);
    expect(runs.make('backfill.state-changed.v1', { ...pause, stateVersion: 2 })).toBe('applied');
    expect(state.tables.backfills.get('bf_1')).toMatchObject({ state: 'PAUSED', stateVersion: 2 });
  });

  it('DM-30: pause, resume and cancel each add exactly one version; a canceled backfill never changes again', () => {
    const { state, runs } = setup();
    runs.make('backfill.created.v1', created());
    const change = (fromState: string, toState: string, stateVersion: number) =>
      runs.make('backfill.state-changed.v1', {
        backfillId: 'bf_1',
        fromState,
        toState,
        stateVersion,
        changedBy: 'ops',
      } as PayloadOf<'backfill.state-changed.v1'>);
    expect(change('REQUESTED', 'PAUSED', 2)).toBe('applied');
    expect(change('PAUSED', 'REQUESTED', 3)).toBe('applied');
    expect(change('REQUESTED', 'CANCELING', 4)).toBe('applied');
    // Nothing active: CANCELING settles to CANCELED at once, one more version.
    expect(state.tables.backfills.get('bf_1')).toMatchObject({ state: 'CANCELED', stateVersion: 5 });
    expect(change('CANCELED', 'REQUESTED', 6)).toBe('not-applied');
    expect(planChunk(runs, 0, ['a', 'b'])).toEqual(['not-applied', 'not-applied']);
  });

  it('stays CANCELING while a chunk run is active, then CANCELED when it ends', () => {
    const { state, runs } = setup();
    runs.make('backfill.created.v1', created());
    planChunk(runs, 0, ['a', 'b']);
    const runId = testRunId(backfillChunkRunKey('bf_1', 0));
    const source = { kind: 'backfill' as const, backfillId: 'bf_1', chunkId: 'bf_1:0' };
    runs.make('run.triggered.v1', {
      runId,
      runKey: backfillChunkRunKey('bf_1', 0),
      source,
      lane: 'backfill',
      priority: 0,
      assetSelection: ['raw'],
      tags: {},
    });
    runs.make('run.plan-created.v1', {
      runId,
      tasks: [taskDefinition('raw', ['a']), taskDefinition('raw', ['b'])],
    });
    runs.make('run.admitted.v1', { runId, pools: [] });
    expect(state.tables.backfills.get('bf_1')?.chunksRunning).toBe(1);
    runs.make('backfill.state-changed.v1', {
      backfillId: 'bf_1',
      fromState: 'REQUESTED',
      toState: 'CANCELING',
      stateVersion: 2,
      changedBy: 'ops',
      terminateRuns: true,
    });
    expect(state.tables.backfills.get('bf_1')).toMatchObject({ state: 'CANCELING', terminateRuns: true });
    runs.make('run.cancel-requested.v1', { runId, force: false, requestedBy: 'backfill' });
    expect(state.tables.backfillChunks.get('bf_1:0')?.state).toBe('CANCELED');
    expect(state.tables.backfills.get('bf_1')).toMatchObject({
      state: 'CANCELED',
      chunksCanceled: 1,
      chunksRunning: 0,
      partitionsCanceled: 2,
    });
  });

  it('completes on resume when every chunk ended while it was paused', () => {
    const { state, runs } = setup();
    runs.make(
      'backfill.created.v1',
      created({ selector: { kind: 'explicit', keys: ['a'] }, totalPartitions: 1 }),
    );
    planChunk(runs, 0, ['a']);
    runs.make('backfill.state-changed.v1', {
      backfillId: 'bf_1',
      fromState: 'REQUESTED',
      toState: 'PAUSED',
      stateVersion: 2,
      changedBy: 'ops',
    });
    runChunk(runs, 0, ['a'], 'SUCCEEDED');
    expect(state.tables.backfills.get('bf_1')?.state).toBe('PAUSED');
    runs.make('backfill.state-changed.v1', {
      backfillId: 'bf_1',
      fromState: 'PAUSED',
      toState: 'REQUESTED',
      stateVersion: 3,
      changedBy: 'ops',
    });
    expect(state.tables.backfills.get('bf_1')).toMatchObject({ state: 'COMPLETED_SUCCESS', stateVersion: 4 });
  });

  it('an empty selection completes at once', () => {
    const { state, runs } = setup();
    runs.make('backfill.created.v1', created({ totalPartitions: 0 }));
    expect(state.tables.backfills.get('bf_1')?.state).toBe('COMPLETED_SUCCESS');
  });
});
