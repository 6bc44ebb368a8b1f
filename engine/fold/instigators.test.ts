import { describe, expect, it } from 'vitest';
import type { PayloadOf } from '../model/catalog.js';
import { EventFactory, testFoldConfig } from '../testing/event-factory.js';
import { runRequest, scheduleDefinition, sensorDefinition, testRunId } from '../testing/payloads.js';
import { Folder } from './fold.js';
import { createProjectionState } from './state.js';

function setup() {
  const f = new EventFactory();
  const folder = new Folder(testFoldConfig());
  const state = createProjectionState();
  const fold = (...events: ReturnType<EventFactory['make']>[]) =>
    events.map((event) => folder.fold(state, event));
  return { f, folder, state, fold };
}

const dueAt = '2026-01-01T00:00:00.000Z';

function tick(overrides: Partial<PayloadOf<'schedule.ticked.v1'>> = {}): PayloadOf<'schedule.ticked.v1'> {
  return {
    scheduleId: 'etl:daily',
    tickId: 'etl:daily:1767225600',
    scheduledFor: dueAt,
    trigger: 'cron',
    status: 'SUCCESS',
    runKeys: ['sched:etl:daily:1767225600'],
    definitionVersion: 'v1',
    ...overrides,
  };
}

function pollEval(
  overrides: Partial<PayloadOf<'sensor.evaluated.v1'>> = {},
): PayloadOf<'sensor.evaluated.v1'> {
  return {
    sensorId: 'etl:files',
    evalId: 'etl:files:poll:1767225600',
    trigger: { kind: 'poll', dueAt },
    cursorBefore: null,
    cursorAfter: 'c1',
    expectedStateVersion: 0,
    status: 'SUCCESS',
    runKeys: [],
    ...overrides,
  };
}

describe('schedule tick fold', () => {
  it('DM-9: a duplicate tick with a new event id and key does not create a second tick row', () => {
    const { f, state, fold } = setup();
    fold(f.make('schedule.definition-upserted.v1', scheduleDefinition()));
    const first = f.advance(1).make('schedule.ticked.v1', tick());
    const again = f.advance(1).make('schedule.ticked.v1', tick(), { idempotencyKey: 'other-key' });
    expect(fold(first, again)).toEqual(['applied', 'not-applied']);
    expect(state.tables.scheduleTicks.size).toBe(1);
    expect(state.tables.scheduleTicks.get('etl:daily:1767225600')?.rowVersion).toBe(first.eventId);
    expect(state.tables.scheduleState.get('etl:daily')?.ticksRecorded).toBe(1);
  });

  it('DM-10: skipped and failed ticks record history and advance the high-water mark without a run', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('schedule.definition-upserted.v1', scheduleDefinition()),
      f
        .advance(1)
        .make('schedule.ticked.v1', tick({ status: 'SKIPPED', skipReason: 'overlap', runKeys: [] })),
    );
    const row = state.tables.scheduleState.get('etl:daily');
    expect(row?.lastScheduledFor).toBe(Date.parse(dueAt));
    expect(row?.lastTickStatus).toBe('SKIPPED');
    expect(row?.lastRunKey).toBeNull();
    expect(state.tables.scheduleTicks.get('etl:daily:1767225600')?.runIds).toEqual([]);
  });

  it('DM-11/46: a tick links to its run id through the run key, whatever was folded first', () => {
    const { f, state, fold } = setup();
    const runKey = 'sched:etl:daily:1767225600';
    fold(
      f.make(
        'run.requested.v1',
        runRequest(runKey, { kind: 'schedule', scheduleId: 'etl:daily', tickId: 'etl:daily:1767225600' }),
      ),
      f.advance(1).make('schedule.ticked.v1', tick()),
    );
    expect(state.tables.scheduleTicks.get('etl:daily:1767225600')?.runIds).toEqual([testRunId(runKey)]);
    expect(state.tables.runKeyIndex.get(runKey)?.runId).toBe(testRunId(runKey));
  });

  it('DM-12: manual ticks never move the catch-up high-water mark; cron ticks only move it forward', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('schedule.definition-upserted.v1', scheduleDefinition()),
      f.advance(1).make('schedule.ticked.v1', tick()),
      f.advance(1).make(
        'schedule.ticked.v1',
        tick({
          tickId: 'etl:daily:manual:r1',
          trigger: 'manual',
          scheduledFor: '2026-03-01T00:00:00.000Z',
          runKeys: ['sched:etl:daily:manual:r1'],
        }),
      ),
      f.advance(1).make(
        'schedule.ticked.v1',
        tick({
          tickId: 'etl:daily:1767139200',
          scheduledFor: '2025-12-31T00:00:00.000Z',
          runKeys: [],
          status: 'SKIPPED',
          skipReason: 'late',
        }),
      ),
    );
    expect(state.tables.scheduleState.get('etl:daily')?.lastScheduledFor).toBe(Date.parse(dueAt));
    expect(state.tables.scheduleState.get('etl:daily')?.lastRunKey).toBe('sched:etl:daily:manual:r1');
  });

  it('records the dropped due times of a catch-up skip tick and advances to the newest', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('schedule.definition-upserted.v1', scheduleDefinition()),
      f.advance(1).make(
        'schedule.ticked.v1',
        tick({
          tickId: 'etl:daily:1767225600',
          trigger: 'catchup-skip',
          status: 'SKIPPED',
          skipReason: 'catch-up limit: dropped 3 due times',
          runKeys: [],
          dropped: { count: 3, firstDueFor: '2025-12-29T00:00:00.000Z', lastDueFor: dueAt },
        }),
      ),
    );
    const row = state.tables.scheduleTicks.get('etl:daily:1767225600');
    expect(row?.droppedCount).toBe(3);
    expect(state.tables.scheduleState.get('etl:daily')?.lastScheduledFor).toBe(Date.parse(dueAt));
  });
});

describe('sensor evaluation fold', () => {
  it('DM-15: a poll evaluation with the current version advances the cursor and the version', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('sensor.definition-upserted.v1', sensorDefinition()),
      f.advance(1).make('sensor.evaluated.v1', pollEval()),
    );
    const row = state.tables.sensorState.get('etl:files');
    expect(row?.cursor).toBe('c1');
    expect(row?.stateVersion).toBe(1);
  });

  it('DM-14: a stale poll evaluation changes neither cursor nor version and its run requests are dropped without a conflict', () => {
    const { f, state, fold } = setup();
    const source = { kind: 'sensor' as const, sensorId: 'etl:files', evalId: 'etl:files:poll:1767225660' };
    fold(
      f.make('sensor.definition-upserted.v1', sensorDefinition()),
      f.advance(1).make('sensor.evaluated.v1', pollEval()),
      f.advance(1).make(
        'sensor.evaluated.v1',
        pollEval({
          evalId: 'etl:files:poll:1767225660',
          trigger: { kind: 'poll', dueAt: '2026-01-01T00:01:00.000Z' },
          cursorAfter: 'stale',
          expectedStateVersion: 0,
          runKeys: ['sensor:stale'],
        }),
      ),
    );
    const results = fold(f.advance(1).make('run.requested.v1', runRequest('sensor:stale', source)));
    expect(results).toEqual(['not-applied']);
    expect(state.tables.sensorState.get('etl:files')).toMatchObject({ cursor: 'c1', stateVersion: 1 });
    expect(state.tables.sensorEvals.get('etl:files:poll:1767225660')).toMatchObject({
      stale: true,
      status: 'SKIPPED',
    });
    expect(state.tables.runKeyIndex.size).toBe(0);
    expect(state.tables.runKeyConflicts.size).toBe(0);
  });

  it('DM-16: an evaluation error keeps the cursor the controller passed back and counts failures', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('sensor.definition-upserted.v1', sensorDefinition()),
      f.advance(1).make('sensor.evaluated.v1', pollEval()),
      f.advance(1).make(
        'sensor.evaluated.v1',
        pollEval({
          evalId: 'e2',
          trigger: { kind: 'poll', dueAt: '2026-01-01T00:01:00.000Z' },
          cursorBefore: 'c1',
          cursorAfter: 'c1',
          expectedStateVersion: 1,
          status: 'FAILURE',
          error: { message: 'boom' },
        }),
      ),
    );
    expect(state.tables.sensorState.get('etl:files')).toMatchObject({
      cursor: 'c1',
      stateVersion: 2,
      lastEvalStatus: 'FAILURE',
      consecutiveFailures: 1,
    });
  });

  it('DM-17: a push message delivered twice yields one evaluation, one version bump and one run-key entry', () => {
    const { f, state, fold } = setup();
    fold(f.make('sensor.definition-upserted.v1', sensorDefinition({ kind: 'push' })));
    const evaluation = (n: number) =>
      f.advance(1).make(
        'sensor.evaluated.v1',
        {
          sensorId: 'etl:files',
          evalId: 'etl:files:msg:m1',
          trigger: { kind: 'push', messageId: 'm1' },
          cursorBefore: null,
          cursorAfter: null,
          status: 'SUCCESS',
          runKeys: ['sensor:m1'],
        },
        n === 2 ? { idempotencyKey: 'redelivery' } : {},
      );
    const request = () =>
      f
        .advance(1)
        .make(
          'run.requested.v1',
          runRequest('sensor:m1', { kind: 'sensor', sensorId: 'etl:files', evalId: 'etl:files:msg:m1' }),
        );
    fold(evaluation(1), request(), evaluation(2), request());
    expect(state.tables.sensorEvals.size).toBe(1);
    expect(state.tables.sensorState.get('etl:files')?.stateVersion).toBe(1);
    expect(state.tables.runKeyIndex.size).toBe(1);
  });

  it('DM-19: a stale evaluation of a sensor with no state row leaves a version-0 row', () => {
    const { f, state, fold } = setup();
    fold(f.make('sensor.evaluated.v1', pollEval({ expectedStateVersion: 4 })));
    expect(state.tables.sensorState.get('etl:files')).toMatchObject({ stateVersion: 0, cursor: null });
  });

  it('DM-20: a poll evaluation with no cursor after clears the cursor', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('sensor.definition-upserted.v1', sensorDefinition()),
      f.advance(1).make('sensor.evaluated.v1', pollEval()),
      f.advance(1).make(
        'sensor.evaluated.v1',
        pollEval({
          evalId: 'e2',
          cursorBefore: 'c1',
          cursorAfter: null,
          expectedStateVersion: 1,
          trigger: { kind: 'poll', dueAt: '2026-01-01T00:05:00.000Z' },
        }),
      ),
    );
    expect(state.tables.sensorState.get('etl:files')?.cursor).toBeNull();
  });

  it('a cursor reset bumps the state version so evaluations computed before it are stale', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('sensor.definition-upserted.v1', sensorDefinition()),
      f.advance(1).make('sensor.evaluated.v1', pollEval()),
      f.advance(1).make('sensor.cursor-set.v1', {
        sensorId: 'etl:files',
        cursor: null,
        changedBy: 'ops',
        requestId: 'reset-1',
      }),
      f.advance(1).make(
        'sensor.evaluated.v1',
        pollEval({
          evalId: 'e-late',
          cursorBefore: 'c1',
          cursorAfter: 'c2',
          expectedStateVersion: 1,
          trigger: { kind: 'poll', dueAt: '2026-01-01T00:02:00.000Z' },
        }),
      ),
    );
    expect(state.tables.sensorState.get('etl:files')).toMatchObject({ cursor: null, stateVersion: 2 });
    expect(state.tables.sensorEvals.get('e-late')?.stale).toBe(true);
  });
});

describe('run-key index fold', () => {
  it('DM-22: a new run key creates one entry with the HMAC run id; the same request under another key adds nothing', () => {
    const { f, state, fold } = setup();
    const source = { kind: 'manual' as const, requestedBy: 'ops', requestId: 'r1' };
    fold(
      f.make('run.requested.v1', runRequest('k1', source)),
      f.advance(1).make('run.requested.v1', runRequest('k1', source), { idempotencyKey: 'forced-other-key' }),
    );
    expect(state.tables.runKeyIndex.size).toBe(1);
    expect(state.tables.runKeyIndex.get('k1')?.runId).toBe(testRunId('k1'));
    expect(state.tables.runKeyConflicts.size).toBe(0);
  });

  it('DM-23/24: equivalent requests from every source collapse; a different fingerprint is one conflict per event', () => {
    const { f, state, fold } = setup();
    const key = 'daily:2026-01-01';
    fold(
      f.make('run.requested.v1', runRequest(key, { kind: 'schedule', scheduleId: 's', tickId: 't' })),
      f.advance(1).make('run.requested.v1', runRequest(key, { kind: 'sensor', sensorId: 'x', evalId: 'e' })),
      f
        .advance(1)
        .make('run.requested.v1', runRequest(key, { kind: 'backfill', backfillId: 'b', chunkId: 'c' }, {})),
      f
        .advance(1)
        .make('run.requested.v1', runRequest(key, { kind: 'manual', requestedBy: 'ops', requestId: 'r' })),
    );
    expect(state.tables.runKeyIndex.size).toBe(1);
    expect(state.tables.runKeyConflicts.size).toBe(0);
    const conflicting = f
      .advance(1)
      .make(
        'run.requested.v1',
        runRequest(
          key,
          { kind: 'manual', requestedBy: 'ops', requestId: 'r2' },
          { assetSelection: ['other'] },
        ),
      );
    fold(conflicting);
    const original = state.tables.runKeyIndex.get(key)!;
    expect(original.assetSelection).toEqual(['raw/orders']);
    const conflicts = [...state.tables.runKeyConflicts.values()];
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      runKey: key,
      conflictingEventId: conflicting.eventId,
      existingFingerprint: original.requestFingerprint,
    });
    // A redelivery of the same conflicting event is deduplicated by its key.
    fold(f.advance(1).make('run.requested.v1', conflicting.payload as PayloadOf<'run.requested.v1'>));
    expect(state.tables.runKeyConflicts.size).toBe(1);
  });

  it('DM-25: a sensor request whose evaluation row is missing is not dropped', () => {
    const { f, state, fold } = setup();
    fold(f.make('run.requested.v1', runRequest('k', { kind: 'sensor', sensorId: 's', evalId: 'missing' })));
    expect(state.tables.runKeyIndex.has('k')).toBe(true);
  });
});

describe('stale evaluations', () => {
  it('DM-18: a stale poll evaluation keeps its evaluation id, so a redelivery of it stays dropped', () => {
    const { f, state, fold } = setup();
    fold(
      f.make('sensor.definition-upserted.v1', sensorDefinition()),
      f.advance(1).make('sensor.evaluated.v1', pollEval()),
    );
    const stale = pollEval({
      evalId: 'late',
      expectedStateVersion: 0,
      trigger: { kind: 'poll', dueAt: '2026-01-01T00:05:00.000Z' },
    });
    expect(fold(f.advance(1).make('sensor.evaluated.v1', stale))).toEqual(['applied']);
    expect(
      fold(
        f
          .advance(1)
          .make('sensor.evaluated.v1', { ...stale, expectedStateVersion: 1 }, { idempotencyKey: 'retry' }),
      ),
    ).toEqual(['not-applied']);
    expect(state.tables.sensorState.get('etl:files')?.stateVersion).toBe(1);
  });
});
