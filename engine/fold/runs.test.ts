import { describe, expect, it } from 'vitest';
import { ulidTime } from '../model/ulid.js';
import { compositeKey } from '../projections/table-def.js';
import { EventFactory, testFoldConfig } from '../testing/event-factory.js';
import { taskAttempt, taskDefinition } from '../testing/payloads.js';
import { RunDriver } from '../testing/run-driver.js';
import { Folder } from './fold.js';
import { retryBackoffMs } from './runs.js';
import { createProjectionState } from './state.js';

function setup() {
  const f = new EventFactory();
  const folder = new Folder(testFoldConfig());
  const state = createProjectionState();
  return { f, state, runs: new RunDriver(f, folder, state) };
}

const day = '2026-01-01';
const raw = taskDefinition('raw', [day]);
const clean = taskDefinition('clean', [day], [raw.taskKey]);
const report = taskDefinition('report', [day], [clean.taskKey]);

describe('run and task fold', () => {
  it('runs a three-task chain to SUCCESS, readying each task when its upstream succeeds', () => {
    const { state, runs } = setup();
    const runId = runs.start('chain', [raw, clean, report]);
    const task = (key: string) => state.tables.tasks.get(compositeKey(runId, key))!;
    expect([task(raw.taskKey).state, task(clean.taskKey).state, task(report.taskKey).state]).toEqual([
      'READY',
      'BLOCKED',
      'BLOCKED',
    ]);
    expect(state.tables.runs.get(runId)?.status).toBe('STARTING');
    runs.run(runId, raw.taskKey, 'SUCCEEDED');
    expect(task(clean.taskKey).state).toBe('READY');
    expect(task(report.taskKey).state).toBe('BLOCKED');
    runs.run(runId, clean.taskKey, 'SUCCEEDED');
    runs.run(runId, report.taskKey, 'SUCCEEDED');
    expect(state.tables.runs.get(runId)).toMatchObject({ status: 'SUCCESS', tasksSucceeded: 3 });
    const status = state.tables.partitionStatus.get(compositeKey('report', day));
    expect(status).toMatchObject({
      lastMaterializationRunId: runId,
      lastAttemptOutcome: 'SUCCEEDED',
      inFlightRunId: null,
    });
  });

  it('DM-33: a failed retry never hides an earlier materialization', () => {
    const { state, runs } = setup();
    const first = runs.start('first', [raw]);
    runs.run(first, raw.taskKey, 'SUCCEEDED');
    const second = runs.start('second', [taskDefinition('raw', [day], [], { maxAttempts: 1 })]);
    runs.run(second, raw.taskKey, 'FAILED', {
      error: { message: 'boom', category: 'USER_CODE', retryable: true },
    });
    expect(state.tables.partitionStatus.get(compositeKey('raw', day))).toMatchObject({
      lastMaterializationRunId: first,
      lastAttemptRunId: second,
      lastAttemptOutcome: 'FAILED',
    });
  });

  it('DM-34: a duplicate finish does not count twice', () => {
    const { state, runs } = setup();
    const runId = runs.start('dup', [raw, clean]);
    runs.run(runId, raw.taskKey, 'SUCCEEDED');
    // task.finished is deduplicated by state: the copy is rejected because the attempt has ended.
    expect(runs.finish(runId, raw.taskKey, 1, 'SUCCEEDED', {})).toBe('not-applied');
    expect(
      runs.make(
        'task.finished.v1',
        { ...strip(taskAttempt(runId, raw.taskKey, 1)), workerId: 'w2', outcome: 'SUCCEEDED' },
        'other-key',
      ),
    ).toBe('not-applied');
    expect(state.tables.runs.get(runId)?.tasksSucceeded).toBe(1);
    expect(state.tables.tasks.get(compositeKey(runId, clean.taskKey))?.depsSatisfied).toEqual([raw.taskKey]);
  });

  it('DM-35: a superseded attempt can neither start nor finish the task', () => {
    const { state, runs } = setup();
    const runId = runs.start('stale', [raw]);
    runs.startTask(runId, raw.taskKey, 1);
    runs.finish(runId, raw.taskKey, 1, 'FAILED', {
      error: { message: 'x', category: 'INFRASTRUCTURE', retryable: true },
    });
    runs.startTask(runId, raw.taskKey, 2);
    expect(runs.finish(runId, raw.taskKey, 1, 'SUCCEEDED', {})).not.toBe('applied');
    const { dispatchId: _, ...old } = taskAttempt(runId, raw.taskKey, 1);
    expect(runs.make('task.started.v1', { ...old, workerId: 'late' }, 'late-start')).toBe('not-applied');
    expect(state.tables.tasks.get(compositeKey(runId, raw.taskKey))).toMatchObject({
      state: 'RUNNING',
      attempt: 2,
      endedAt: null,
    });
  });

  it('DM-36: a retryable failure waits for a backoff from the server time of the event; a non-retryable one is final', () => {
    const { f, state, runs } = setup();
    const runId = runs.start('retry', [raw]);
    runs.startTask(runId, raw.taskKey, 1);
    runs.finish(runId, raw.taskKey, 1, 'FAILED', {
      error: { message: 'flaky', category: 'INFRASTRUCTURE', retryable: true },
    });
    const task = state.tables.tasks.get(compositeKey(runId, raw.taskKey))!;
    expect(task.state).toBe('RETRY_WAIT');
    expect(task.retryNotBefore).toBe(ulidTime(task.rowVersion) + 30_000);
    expect(state.tables.runs.get(runId)?.status).toBe('STARTED');
    f.advance(60_000);
    runs.startTask(runId, raw.taskKey, 2);
    runs.finish(runId, raw.taskKey, 2, 'FAILED', {
      error: { message: 'bad config', category: 'USER_CODE', retryable: false },
    });
    expect(state.tables.tasks.get(compositeKey(runId, raw.taskKey))?.state).toBe('FAILED');
    expect(state.tables.runs.get(runId)).toMatchObject({ status: 'FAILURE', tasksFailed: 1 });
    expect(retryBackoffMs(30, 3)).toBe(120_000);
    expect(retryBackoffMs(30, 30)).toBe(3_600_000);
  });

  it('DM-37: a terminal failure skips downstream tasks transitively; a cancellation cancels them', () => {
    const { state, runs } = setup();
    const failed = runs.start('fails', [taskDefinition('raw', [day], [], { maxAttempts: 1 }), clean, report]);
    runs.run(failed, raw.taskKey, 'FAILED');
    expect(state.tables.tasks.get(compositeKey(failed, report.taskKey))?.state).toBe('SKIPPED');
    expect(state.tables.runs.get(failed)).toMatchObject({
      status: 'FAILURE',
      tasksFailed: 1,
      tasksSkipped: 2,
    });
    expect(state.tables.partitionStatus.get(compositeKey('report', day))?.inFlightRunId).toBeNull();
    const canceled = runs.start('cancels', [raw, clean, report]);
    runs.run(canceled, raw.taskKey, 'CANCELED');
    expect(state.tables.runs.get(canceled)).toMatchObject({ status: 'CANCELED', tasksCanceled: 3 });
  });

  it('DM-38: cancel ends queued work at once, lets a running task finish, then ends CANCELED', () => {
    const { state, runs } = setup();
    const other = taskDefinition('other', [day]);
    const runId = runs.start('cancel', [raw, clean, other]);
    runs.startTask(runId, raw.taskKey, 1);
    runs.make('run.cancel-requested.v1', { runId, force: false, requestedBy: 'ops' });
    expect(state.tables.runs.get(runId)?.status).toBe('CANCELING');
    expect(state.tables.tasks.get(compositeKey(runId, other.taskKey))?.state).toBe('CANCELED');
    expect(state.tables.tasks.get(compositeKey(runId, raw.taskKey))?.state).toBe('RUNNING');
    runs.finish(runId, raw.taskKey, 1, 'SUCCEEDED');
    expect(state.tables.runs.get(runId)?.status).toBe('CANCELED');
    expect(state.tables.partitionStatus.get(compositeKey('raw', day))?.lastMaterializationRunId).toBe(runId);
  });

  it('forced termination ends running tasks now and ignores what they report later', () => {
    const { state, runs } = setup();
    const runId = runs.start('force', [raw]);
    runs.startTask(runId, raw.taskKey, 1);
    runs.make('run.cancel-requested.v1', { runId, force: true, requestedBy: 'ops' });
    expect(state.tables.runs.get(runId)?.status).toBe('CANCELED');
    expect(runs.finish(runId, raw.taskKey, 1, 'SUCCEEDED')).toBe('not-applied');
    expect(state.tables.partitionStatus.get(compositeKey('raw', day))?.lastAttemptOutcome).toBe('CANCELED');
  });

  it('a run canceled before its plan ends CANCELED with no tasks, and a dispatch after cancel is refused', () => {
    const { state, runs } = setup();
    const runId = runs.start('queued', [raw]);
    runs.make('run.cancel-requested.v1', { runId, force: false, requestedBy: 'ops' });
    expect(state.tables.runs.get(runId)?.status).toBe('CANCELED');
    const { dispatchId, ...ref } = taskAttempt(runId, raw.taskKey, 1);
    expect(runs.make('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'q' })).toBe('not-applied');
  });

  it('DM-40: the outbox row is created by the request, acknowledged, and removed when the attempt starts', () => {
    const { state, runs } = setup();
    const runId = runs.start('outbox', [raw]);
    const ref = taskAttempt(runId, raw.taskKey, 1);
    const { dispatchId, ...task } = ref;
    expect(runs.make('task.dispatch-enqueued.v1', { ...task, dispatchId, externalId: 'ext-early' })).toBe(
      'not-applied',
    );
    runs.dispatch(runId, raw.taskKey, 1);
    expect(runs.make('task.dispatch-enqueued.v1', { ...task, dispatchId, externalId: 'ext-1' })).toBe(
      'applied',
    );
    expect(state.tables.dispatchOutbox.get(dispatchId)).toMatchObject({
      status: 'ENQUEUED',
      externalId: 'ext-1',
    });
    runs.make('task.started.v1', { ...task, workerId: 'w' });
    expect(state.tables.dispatchOutbox.has(dispatchId)).toBe(false);
  });

  it('applies heartbeats of the current attempt once per sequence number', () => {
    const { state, runs } = setup();
    const runId = runs.start('hb', [raw]);
    const { dispatchId: _, ...task } = runs.startTask(runId, raw.taskKey, 1);
    expect(runs.make('task.heartbeat.v1', { ...task, workerId: 'w', sequence: 1 })).toBe('applied');
    expect(runs.make('task.heartbeat.v1', { ...task, workerId: 'w', sequence: 1 }, 'again')).toBe(
      'not-applied',
    );
    expect(runs.make('task.heartbeat.v1', { ...task, workerId: 'w', sequence: 2 })).toBe('applied');
    expect(state.tables.tasks.get(compositeKey(runId, raw.taskKey))?.heartbeatSequence).toBe(2);
  });

  it('attributes per-partition outcomes of a single-run task', () => {
    const { state, runs } = setup();
    const task = taskDefinition('raw', ['2026-01-01', '2026-01-02']);
    const runId = runs.start('single', [task]);
    runs.run(runId, task.taskKey, 'SUCCEEDED', { partitionOutcomes: { '2026-01-02': 'FAILED' } });
    expect(
      state.tables.partitionStatus.get(compositeKey('raw', '2026-01-01'))?.lastMaterializationRunId,
    ).toBe(runId);
    expect(state.tables.partitionStatus.get(compositeKey('raw', '2026-01-02'))).toMatchObject({
      lastMaterializationRunId: null,
      lastAttemptOutcome: 'FAILED',
    });
  });

  it('DM-41: a timer fired before its request was folded is recorded once', () => {
    const { f, state, runs } = setup();
    const timer = {
      timerId: 't1',
      kind: 'schedule_tick' as const,
      subjectId: 'etl:daily',
      fireAt: new Date(f.now).toISOString(),
    };
    expect(runs.make('timer.fired.v1', timer)).toBe('applied');
    expect(runs.make('timer.requested.v1', timer)).toBe('not-applied');
    expect(runs.make('timer.fired.v1', timer, 'again')).toBe('not-applied');
    expect(state.tables.timers.get('t1')?.state).toBe('FIRED');
  });
});

function strip<T extends { dispatchId: string }>(ref: T): Omit<T, 'dispatchId'> {
  const { dispatchId: _, ...rest } = ref;
  return rest;
}

describe('run fold edge cases', () => {
  it('DM-39/60: a plan for a run that was never triggered is not applied; a plan needs at least one task', () => {
    const { runs } = setup();
    expect(runs.make('run.plan-created.v1', { runId: 'run_missing', tasks: [raw] })).toBe('not-applied');
    expect(() => runs.make('run.plan-created.v1', { runId: 'run_missing', tasks: [] })).not.toThrow();
  });
});

describe('racing controllers', () => {
  it('CA-59: two dispatchers deciding the same ready task produce one outbox row', () => {
    const { state, runs } = setup();
    const runId = runs.start('race', [raw]);
    const { dispatchId, ...ref } = taskAttempt(runId, raw.taskKey, 1);
    expect(runs.make('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'q' })).toBe('applied');
    // The second instance's identical decision, appended as a separate segment.
    expect(runs.make('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'q' })).toBe('not-applied');
    expect(state.tables.dispatchOutbox.size).toBe(1);
  });
});
