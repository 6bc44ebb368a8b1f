import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type LedgerEvent } from '../model/catalog.js';
import { nextUlid, ulidTime } from '../model/ulid.js';
import { EventFactory, seededRandom, testFoldConfig } from '../testing/event-factory.js';
import { scheduleDefinition } from '../testing/payloads.js';
import { generateScenario } from '../testing/scenario.js';
import { Folder } from './fold.js';
import { goldenRows } from './golden.js';
import { commitAll, createProjectionState } from './state.js';

describe('fold driver', () => {
  it('DM-6: an event whose idempotency key is already recorded changes nothing', () => {
    const f = new EventFactory();
    const state = createProjectionState();
    const folder = new Folder(testFoldConfig());
    expect(folder.fold(state, f.make('schedule.definition-upserted.v1', scheduleDefinition()))).toBe(
      'applied',
    );
    const before = state.tables.scheduleDefinitions.get('etl:daily');
    const again = f
      .advance(1000)
      .make('schedule.definition-upserted.v1', scheduleDefinition({ cronSchedule: '5 * * * *' }), {
        idempotencyKey: 'sched_def:etl:daily:req-1',
      });
    expect(folder.fold(state, again)).toBe('duplicate');
    expect(state.tables.scheduleDefinitions.get('etl:daily')).toBe(before);
  });

  it('a copy right after each applied event changes nothing: a duplicate by key, or rejected by state', () => {
    // The scenario's events re-stamped so that each is followed by a copy of itself (same payload
    // and key, the next id); the copies must leave every row as the originals alone leave it.
    const random = seededRandom(3);
    let lastId: string | undefined;
    const restamp = (event: LedgerEvent): LedgerEvent => {
      lastId = nextUlid(lastId, ulidTime(event.eventId), random);
      return { ...event, eventId: lastId } as LedgerEvent;
    };
    const pairs = generateScenario({ days: 3, schedules: 2, seed: 5 })
      .flat()
      .map((event) => ({ original: restamp(event), copy: restamp(event) }));
    const alone = createProjectionState();
    const originals = new Folder(testFoldConfig());
    const withCopies = createProjectionState();
    const both = new Folder(testFoldConfig());
    const copyOutcomes = new Map<string, Set<string>>();
    for (const { original, copy } of pairs) {
      const outcome = originals.fold(alone, original);
      expect(both.fold(withCopies, original)).toBe(outcome);
      const copied = both.fold(withCopies, copy);
      if (outcome !== 'applied') continue;
      const outcomes = copyOutcomes.get(copy.type) ?? new Set();
      outcomes.add(copied);
      copyOutcomes.set(copy.type, outcomes);
    }
    expect(goldenRows(withCopies)).toEqual(goldenRows(alone));
    expect(copyOutcomes.size).toBeGreaterThan(15);
    for (const [type, outcomes] of copyOutcomes) {
      const keyed = EVENT_TYPES[type as keyof typeof EVENT_TYPES].dedupe.by === 'key';
      expect([...outcomes], type).toEqual([keyed ? 'duplicate' : 'not-applied']);
    }
    // Only types deduplicated by key record keys.
    for (const row of withCopies.tables.idempotencyKeys.values()) {
      expect(EVENT_TYPES[row.eventType as keyof typeof EVENT_TYPES].dedupe.by, row.eventType).toBe('key');
    }
  });

  it('DM-59: an unknown event type folds as a no-op, records no key, and still moves the frontier', () => {
    const f = new EventFactory();
    const state = createProjectionState();
    const folder = new Folder(testFoldConfig());
    const unknown = {
      ...f.make('schedule.definition-upserted.v1', scheduleDefinition()),
      type: 'schedule.renamed.v9',
    };
    expect(folder.fold(state, unknown as unknown as LedgerEvent)).toBe('unknown-type');
    expect(state.tables.idempotencyKeys.size).toBe(0);
    expect(folder.lastEventId).toBe(unknown.eventId);
    expect(folder.unknownEvents).toBe(1);
  });

  it('DM-4: folds strictly in event-id order and ignores producer timestamps for ordering', () => {
    const f = new EventFactory();
    const folder = new Folder(testFoldConfig());
    const state = createProjectionState();
    const first = f.make('schedule.definition-upserted.v1', scheduleDefinition({ requestId: 'a' }), {
      occurredAt: Date.UTC(2030, 0, 1),
    });
    const second = f
      .advance(1)
      .make(
        'schedule.definition-upserted.v1',
        scheduleDefinition({ requestId: 'b', cronSchedule: '1 * * * *' }),
        {
          occurredAt: Date.UTC(2001, 0, 1),
        },
      );
    folder.fold(state, first);
    folder.fold(state, second);
    // The later event id wins although its producer timestamp is decades earlier.
    expect(state.tables.scheduleDefinitions.get('etl:daily')?.cronSchedule).toBe('1 * * * *');
    expect(() => folder.fold(state, first)).toThrow(/event-id order/);
  });

  it('records changed keys for the delta and rolls them back exactly', () => {
    const f = new EventFactory();
    const folder = new Folder(testFoldConfig());
    const state = createProjectionState();
    folder.fold(state, f.make('schedule.definition-upserted.v1', scheduleDefinition()));
    commitAll(state);
    const committed = state.tables.scheduleDefinitions.get('etl:daily');
    folder.fold(
      state,
      f
        .advance(1)
        .make(
          'schedule.definition-upserted.v1',
          scheduleDefinition({ requestId: 'x', cronSchedule: '9 * * * *' }),
        ),
    );
    expect([...state.tables.scheduleDefinitions.changedKeys()]).toEqual(['etl:daily']);
    state.tables.scheduleDefinitions.rollback();
    expect(state.tables.scheduleDefinitions.get('etl:daily')).toBe(committed);
  });
});
