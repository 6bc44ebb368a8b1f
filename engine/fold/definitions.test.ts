import { describe, expect, it } from 'vitest';
import { EventFactory, testFoldConfig } from '../testing/event-factory.js';
import { scheduleDefinition, sensorDefinition } from '../testing/payloads.js';
import { Folder } from './fold.js';
import { createProjectionState } from './state.js';

function setup() {
  return { f: new EventFactory(), folder: new Folder(testFoldConfig()), state: createProjectionState() };
}

describe('definition fold', () => {
  it('DM-7/8: an upsert returning to an earlier configuration applies (keys are per request, not per content)', () => {
    const { f, folder, state } = setup();
    folder.fold(state, f.make('schedule.definition-upserted.v1', scheduleDefinition({ requestId: 'r1' })));
    folder.fold(
      state,
      f
        .advance(1)
        .make(
          'schedule.definition-upserted.v1',
          scheduleDefinition({ requestId: 'r2', defaultStatus: 'STOPPED' }),
        ),
    );
    const third = f
      .advance(1)
      .make('schedule.definition-upserted.v1', scheduleDefinition({ requestId: 'r3' }));
    expect(folder.fold(state, third)).toBe('applied');
    const row = state.tables.scheduleDefinitions.get('etl:daily');
    expect(row?.defaultStatus).toBe('RUNNING');
    expect(row?.rowVersion).toBe(third.eventId);
  });

  it('keeps created time across upserts and creates one state row', () => {
    const { f, folder, state } = setup();
    folder.fold(state, f.make('schedule.definition-upserted.v1', scheduleDefinition({ requestId: 'r1' })));
    const created = state.tables.scheduleDefinitions.get('etl:daily')?.createdAt;
    folder.fold(
      state,
      f.advance(60_000).make('schedule.definition-upserted.v1', scheduleDefinition({ requestId: 'r2' })),
    );
    expect(state.tables.scheduleDefinitions.get('etl:daily')?.createdAt).toBe(created);
    expect(state.tables.scheduleDefinitions.get('etl:daily')?.updatedAt).toBe(created! + 60_000);
    expect(state.tables.scheduleState.size).toBe(1);
  });

  it('keeps the operator status across redeploys of the definition', () => {
    const { f, folder, state } = setup();
    folder.fold(
      state,
      f.make(
        'schedule.definition-upserted.v1',
        scheduleDefinition({ source: 'code', requestId: 'deploy-1' }),
      ),
    );
    folder.fold(
      state,
      f.advance(1).make('schedule.status-changed.v1', {
        scheduleId: 'etl:daily',
        status: 'STOPPED',
        changedBy: 'ops',
        requestId: 'stop',
      }),
    );
    folder.fold(
      state,
      f
        .advance(1)
        .make(
          'schedule.definition-upserted.v1',
          scheduleDefinition({ source: 'code', requestId: 'deploy-2', cronSchedule: '0 1 * * *' }),
        ),
    );
    expect(state.tables.scheduleState.get('etl:daily')?.status).toBe('STOPPED');
    folder.fold(
      state,
      f.advance(1).make('schedule.status-changed.v1', {
        scheduleId: 'etl:daily',
        status: 'DEFAULT',
        changedBy: 'ops',
        requestId: 'reset',
      }),
    );
    expect(state.tables.scheduleState.get('etl:daily')?.status).toBeNull();
  });

  it('ignores status changes for unknown schedules and sensors (key stays free)', () => {
    const { f, folder, state } = setup();
    expect(
      folder.fold(
        state,
        f.make('schedule.status-changed.v1', {
          scheduleId: 'nope:x',
          status: 'STOPPED',
          changedBy: 'ops',
          requestId: 'r',
        }),
      ),
    ).toBe('not-applied');
    expect(
      folder.fold(
        state,
        f.advance(1).make('sensor.status-changed.v1', {
          sensorId: 'nope:x',
          status: 'STOPPED',
          changedBy: 'ops',
          requestId: 'r',
        }),
      ),
    ).toBe('not-applied');
    expect(state.tables.idempotencyKeys.size).toBe(0);
  });

  it('deletes a definition but keeps its history and state', () => {
    const { f, folder, state } = setup();
    folder.fold(state, f.make('sensor.definition-upserted.v1', sensorDefinition()));
    folder.fold(
      state,
      f.advance(1).make('sensor.deleted.v1', { sensorId: 'etl:files', deletedBy: 'ops', requestId: 'd1' }),
    );
    expect(state.tables.sensorDefinitions.has('etl:files')).toBe(false);
    expect(state.tables.sensorState.has('etl:files')).toBe(true);
  });

  it('adds and removes dynamic partitions idempotently', () => {
    const { f, folder, state } = setup();
    folder.fold(
      state,
      f.make('partitions.dynamic-changed.v1', {
        partitionsDefName: 'customers',
        added: ['a', 'b'],
        deleted: [],
        requestId: '1',
        changedBy: 'ops',
      }),
    );
    expect(
      folder.fold(
        state,
        f.advance(1).make('partitions.dynamic-changed.v1', {
          partitionsDefName: 'customers',
          added: ['a'],
          deleted: [],
          requestId: '2',
          changedBy: 'ops',
        }),
      ),
    ).toBe('not-applied');
    folder.fold(
      state,
      f.advance(1).make('partitions.dynamic-changed.v1', {
        partitionsDefName: 'customers',
        added: [],
        deleted: ['a'],
        requestId: '3',
        changedBy: 'ops',
      }),
    );
    expect([...state.tables.dynamicPartitions.values()].map((row) => row.partitionKey)).toEqual(['b']);
  });
});
