import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { draft, EVENT_TYPES, validateDraft, validateEvent } from './catalog.js';

const at = '2026-01-01T00:00:00.000Z';

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isServoError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error('expected a ServoError');
}

describe('event catalog', () => {
  it('gives every type a stable, versioned name', () => {
    for (const [name, definition] of Object.entries(EVENT_TYPES)) {
      expect(definition.type).toBe(name);
      expect(name).toMatch(/^[a-z]+(\.[a-z-]+)+\.v[0-9]+$/);
      expect(definition.description.length).toBeGreaterThan(10);
    }
  });

  it('derives the default idempotency key from the payload', () => {
    const event = draft(
      'timer.fired.v1',
      { timerId: 't1', kind: 'schedule_tick', subjectId: 'loc:s', fireAt: at },
      at,
    );
    expect(event.idempotencyKey).toBe('timer_fired:t1');
    expect(draft('timer.fired.v1', event.payload, at, { idempotencyKey: 'custom' }).idempotencyKey).toBe(
      'custom',
    );
  });

  it('accepts a valid draft and applies payload defaults', () => {
    const result = validateDraft({
      type: 'run.requested.v1',
      occurredAt: at,
      idempotencyKey: 'k',
      payload: {
        runKey: 'manual:1',
        requestFingerprint: 'a'.repeat(64),
        assetSelection: ['raw/orders'],
        source: { kind: 'manual', requestedBy: 'ops', requestId: 'r1' },
        lane: 'manual',
        tags: {},
      },
    });
    expect(result.type).toBe('run.requested.v1');
    expect((result.payload as { priority: number }).priority).toBe(0);
  });

  it('rejects an unknown type with UNKNOWN_EVENT_TYPE', () => {
    expectCode(
      () => validateDraft({ type: 'schedule.exploded.v1', occurredAt: at, idempotencyKey: 'k', payload: {} }),
      ErrorCode.UnknownEventType,
    );
  });

  it('rejects malformed envelopes and payloads with INVALID_INPUT naming the field', () => {
    expectCode(() => validateDraft('not an object'), ErrorCode.InvalidInput);
    expectCode(
      () =>
        validateDraft({ type: 'timer.fired.v1', occurredAt: 'yesterday', idempotencyKey: 'k', payload: {} }),
      ErrorCode.InvalidInput,
    );
    try {
      validateDraft({
        type: 'timer.fired.v1',
        occurredAt: at,
        idempotencyKey: 'k',
        payload: { timerId: 't', kind: 'not-a-kind', subjectId: 's', fireAt: at },
      });
    } catch (error) {
      expect((error as Error).message).toContain('kind');
    }
  });

  it('rejects ids that are not ULIDs in complete events', () => {
    expectCode(
      () =>
        validateEvent({
          eventId: 'evt_01',
          type: 'timer.fired.v1',
          tenantId: 't',
          workspaceId: 'w',
          idempotencyKey: 'k',
          occurredAt: at,
          payload: { timerId: 't', kind: 'schedule_tick', subjectId: 's', fireAt: at },
          schemaVersion: 1,
        }),
      ErrorCode.InvalidInput,
    );
  });
});

describe('canonical JSON', () => {
  it('sorts keys, drops undefined members and rejects non-finite numbers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 1, y: 2 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"d":{"y":2,"z":1}}',
    );
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
  });
});
