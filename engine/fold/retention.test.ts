import { describe, expect, it } from 'vitest';
import { EventFactory, testFoldConfig } from '../testing/event-factory.js';
import { runRequest, taskDefinition, testRunId } from '../testing/payloads.js';
import { RunDriver } from '../testing/run-driver.js';
import { Folder } from './fold.js';
import { createProjectionState } from './state.js';

const DAY = 86_400_000;

function setup(
  retention = {
    tickDays: 90,
    sensorEvalDays: 30,
    conflictDays: 365,
    idempotencyKeyDays: 30,
    terminalRunDays: 10,
    firedTimerDays: 7,
  },
) {
  const f = new EventFactory(Date.UTC(2026, 0, 1));
  const folder = new Folder(testFoldConfig({ retention }));
  const state = createProjectionState();
  return { f, state, folder, runs: new RunDriver(f, folder, state) };
}

/** Adds dynamic partition `requestId` to `customers`, under the idempotency key of that request. */
function addCustomer(runs: RunDriver, requestId: string): void {
  runs.make('partitions.dynamic-changed.v1', {
    partitionsDefName: 'customers',
    added: [requestId],
    deleted: [],
    requestId,
    changedBy: 'ops',
  });
}

describe('retention', () => {
  it('DM-52/53: a terminal run expires with its tasks after the window, but its run key stays deduplicated', () => {
    const { f, state, runs } = setup();
    const runId = runs.start('old-run', [taskDefinition('raw', ['2026-01-01'])]);
    runs.run(runId, 'raw[2026-01-01]', 'SUCCEEDED');
    expect(state.tables.runs.has(runId)).toBe(true);
    f.advance(11 * DAY);
    runs.make('timer.fired.v1', {
      timerId: 'tick',
      kind: 'schedule_tick',
      subjectId: 's',
      fireAt: new Date(f.now).toISOString(),
    });
    expect(state.tables.runs.has(runId)).toBe(false);
    expect(state.tables.tasks.size).toBe(0);
    // The run key is still known: asking for it again adds no run and no conflict.
    expect(state.tables.runKeyIndex.get('old-run')?.runId).toBe(testRunId('old-run'));
    runs.make(
      'run.requested.v1',
      runRequest(
        'old-run',
        { kind: 'manual', requestedBy: 'ops', requestId: 'again' },
        { assetSelection: ['raw'] },
      ),
      'again',
    );
    expect(state.tables.runKeyIndex.size).toBe(1);
    expect(state.tables.runKeyConflicts.size).toBe(0);
  });

  it('DM-54: ages come from server time; a producer timestamp far in the past expires nothing early', () => {
    const { f, state, runs } = setup();
    const runId = runs.start('fresh', [taskDefinition('raw', undefined)]);
    const { dispatchId: _, ...task } = runs.startTask(runId, 'raw', 1);
    // The worker reports finishing "in 2001".
    runs.fold(
      f
        .advance(1)
        .make(
          'task.finished.v1',
          { ...task, workerId: 'w', outcome: 'SUCCEEDED' },
          { occurredAt: Date.UTC(2001, 0, 1) },
        ),
    );
    f.advance(DAY);
    runs.make('timer.fired.v1', {
      timerId: 'tick',
      kind: 'schedule_tick',
      subjectId: 's',
      fireAt: new Date(f.now).toISOString(),
    });
    expect(state.tables.runs.get(runId)?.status).toBe('SUCCESS');
  });

  it('expires idempotency keys after their window, so only then can a key be reused', () => {
    const { f, state, runs } = setup();
    const change = (requestId: string) => addCustomer(runs, requestId);
    change('r1');
    expect(state.tables.idempotencyKeys.has('dynparts:customers:r1')).toBe(true);
    f.advance(31 * DAY);
    change('r2');
    expect(state.tables.idempotencyKeys.has('dynparts:customers:r1')).toBe(false);
    expect(state.tables.idempotencyKeys.has('dynparts:customers:r2')).toBe(true);
  });

  it('keeps a non-terminal run however old it is', () => {
    const { f, state, runs } = setup();
    const runId = runs.start('slow', [taskDefinition('raw', undefined)]);
    runs.startTask(runId, 'raw', 1);
    f.advance(400 * DAY);
    runs.make('timer.requested.v1', {
      timerId: 't',
      kind: 'schedule_tick',
      subjectId: 's',
      fireAt: new Date(f.now).toISOString(),
    });
    expect(state.tables.runs.get(runId)?.status).toBe('STARTED');
  });

  it('rebuilds its queues from loaded rows before the next event folded changes any', () => {
    const { f, state, folder, runs } = setup();
    const change = (requestId: string) => addCustomer(runs, requestId);
    change('r1');
    // As after loading published files: the rows are there, the queues are rebuilt from them.
    const loaded = state.tables.idempotencyKeys.get('dynparts:customers:r1')!;
    state.tables.idempotencyKeys.clear();
    state.tables.idempotencyKeys.load('dynparts:customers:r1', loaded);
    folder.rebuildRetention(state);
    f.advance(31 * DAY);
    change('r2');
    expect(state.tables.idempotencyKeys.has('dynparts:customers:r1')).toBe(false);
    expect(state.tables.idempotencyKeys.has('dynparts:customers:r2')).toBe(true);
  });
});
