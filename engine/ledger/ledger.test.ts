import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ErrorCode, isServoError, ServoError } from '../errors.js';
import { draft, type LedgerEvent } from '../model/catalog.js';
import { ulidTime } from '../model/ulid.js';
import { createMemoryObjectStore } from '../storage/memory-object-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { EventFactory, seededRandom, TEST_SCOPE } from '../testing/event-factory.js';
import { scheduleDefinition } from '../testing/payloads.js';
import { Ledger, MAX_FUTURE_SKEW_MS, segmentKey } from './ledger.js';

const start = Date.UTC(2026, 0, 1);

function ledgerOn(store: ObjectStore, clock = new ManualClock(start), seed = 1): Ledger {
  return new Ledger({ store, scope: TEST_SCOPE, clock, random: seededRandom(seed) });
}

const def = (requestId: string) =>
  draft('schedule.definition-upserted.v1', scheduleDefinition({ requestId }), new Date(start));

async function expectError(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(isServoError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

async function readAll(ledger: Ledger): Promise<LedgerEvent[]> {
  const events: LedgerEvent[] = [];
  for await (const segment of ledger.readAfter(0)) events.push(...segment.events);
  return events;
}

describe('ledger', () => {
  it('writes each decision as one numbered segment and stamps scope and increasing ids', async () => {
    const store = createMemoryObjectStore();
    const ledger = ledgerOn(store);
    const first = await ledger.append([def('a'), def('b')]);
    const second = await ledger.append([def('c')]);
    expect([first.seq, second.seq]).toEqual([1, 2]);
    const events = await readAll(ledger);
    expect(events.map((event) => event.payload)).toHaveLength(3);
    expect(events.every((event) => event.tenantId === 'acme' && event.workspaceId === 'prod')).toBe(true);
    const ids = events.map((event) => event.eventId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
  });

  it('keeps event ids increasing across writers whose clocks disagree', async () => {
    const store = createMemoryObjectStore();
    const ahead = ledgerOn(store, new ManualClock(start + 60_000), 1);
    const behind = ledgerOn(store, new ManualClock(start), 2);
    await ahead.append([def('a')]);
    await behind.append([def('b')]);
    await ahead.append([def('c')]);
    const ids = (await readAll(ledgerOn(store))).map((event) => event.eventId);
    expect([...ids].sort()).toEqual(ids);
    expect(ulidTime(ids[1]!)).toBeGreaterThanOrEqual(start + 60_000);
  });

  it('lets exactly one of many concurrent writers win each sequence number, losing nothing', async () => {
    const store = createMemoryObjectStore();
    const writers = Array.from({ length: 8 }, (_, index) =>
      ledgerOn(store, new ManualClock(start), index + 1),
    );
    await Promise.all(
      writers.flatMap((writer, w) => [0, 1, 2].map((n) => writer.append([def(`${w}-${n}`)]))),
    );
    const events = await readAll(ledgerOn(store));
    expect(events).toHaveLength(24);
    const ids = events.map((event) => event.eventId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(events.map((event) => event.idempotencyKey)).size).toBe(24);
  });

  it('DM-1: a write retried after a lost acknowledgement finds its own bytes and succeeds once', async () => {
    const store = createMemoryObjectStore();
    let first = true;
    // Models a storage client that retried a create whose first attempt had in fact succeeded.
    const retrying: ObjectStore = {
      get: (key) => store.get(key),
      head: (key) => store.head(key),
      list: (options) => store.list(options),
      delete: (key, options) => store.delete(key, options),
      async put(key, body, options) {
        const result = await store.put(key, body, options);
        if (first) {
          first = false;
          throw new ServoError(ErrorCode.PreconditionFailed, 'object exists (retried request)');
        }
        return result;
      },
    };
    const segment = await ledgerOn(retrying).append([def('a')]);
    expect(segment.seq).toBe(1);
    expect(await readAll(ledgerOn(store))).toHaveLength(1);
  });

  it('DM-2: appending an id that is not after the stored ones fails and never overwrites', async () => {
    const store = createMemoryObjectStore();
    const ledger = ledgerOn(store);
    const f = new EventFactory(start);
    const event = f.make('schedule.definition-upserted.v1', scheduleDefinition());
    await ledger.appendEvents([event]);
    const before = await store.get(segmentKey(TEST_SCOPE, 1));
    await expectError(
      ledger.appendEvents([{ ...event, idempotencyKey: 'different' }]),
      ErrorCode.InvalidInput,
    );
    expect((await store.get(segmentKey(TEST_SCOPE, 1)))?.body).toEqual(before?.body);
    expect(await store.get(segmentKey(TEST_SCOPE, 2))).toBeUndefined();
  });

  it('DM-3: rejects event ids more than five minutes in the future and writes nothing', async () => {
    const store = createMemoryObjectStore();
    const ledger = ledgerOn(store);
    const future = new EventFactory(start + MAX_FUTURE_SKEW_MS + 1000).make(
      'schedule.definition-upserted.v1',
      scheduleDefinition(),
    );
    await expectError(ledger.appendEvents([future]), ErrorCode.EventFromFuture);
    const nearFuture = new EventFactory(start + MAX_FUTURE_SKEW_MS - 1000).make(
      'schedule.definition-upserted.v1',
      scheduleDefinition(),
    );
    await ledger.appendEvents([nearFuture]);
    expect((await store.list({ prefix: 'tenants/' })).objects).toHaveLength(1);
  });

  it('refuses to mint ids when the ledger head is far ahead of this clock', async () => {
    const store = createMemoryObjectStore();
    await ledgerOn(store, new ManualClock(start + 3_600_000)).append([def('future')]);
    await expectError(
      ledgerOn(store, new ManualClock(start)).append([def('now')]),
      ErrorCode.EventFromFuture,
    );
  });

  it('DM-5: rejects events of another tenant or workspace', async () => {
    const store = createMemoryObjectStore();
    const event = new EventFactory(start).make('schedule.definition-upserted.v1', scheduleDefinition());
    await expectError(
      ledgerOn(store).appendEvents([{ ...event, workspaceId: 'other' }]),
      ErrorCode.ScopeMismatch,
    );
  });

  it('bad input: malformed events, unknown types and oversize payloads are typed errors and append nothing', async () => {
    const store = createMemoryObjectStore();
    const ledger = ledgerOn(store);
    await expectError(
      ledger.append([{ ...def('a'), payload: { scheduleId: 42 } } as never]),
      ErrorCode.InvalidInput,
    );
    await expectError(
      ledger.append([{ ...def('a'), type: 'schedule.vanished.v1' } as never]),
      ErrorCode.UnknownEventType,
    );
    await expectError(
      ledger.append([def('ok'), { ...def('b'), occurredAt: 'not a time' }]),
      ErrorCode.InvalidInput,
    );
    await expectError(ledger.append([]), ErrorCode.InvalidInput);
    const huge = draft(
      'push.message-quarantined.v1',
      {
        quarantineId: 'q',
        reason: 'x'.repeat(4000),
        receivedAt: new Date(start).toISOString(),
        sizeBytes: 1,
        bodyBase64: 'A'.repeat(1_400_000),
      },
      new Date(start),
    );
    const many = Array.from({ length: 30 }, (_, index) => ({ ...huge, idempotencyKey: `q${index}` }));
    await expectError(ledger.append(many), ErrorCode.PayloadTooLarge);
    expect((await store.list({ prefix: 'tenants/' })).objects).toHaveLength(0);
    // The ledger still works afterwards.
    await ledger.append([def('after')]);
    expect((await readAll(ledger)).length).toBe(1);
  });

  it('reads after a watermark in order and finds the head from a stale hint', async () => {
    const store = createMemoryObjectStore();
    const writer = ledgerOn(store);
    for (let index = 0; index < 5; index++) await writer.append([def(String(index))]);
    const reader = ledgerOn(store);
    const seqs: number[] = [];
    for await (const segment of reader.readAfter(2)) seqs.push(segment.seq);
    expect(seqs).toEqual([3, 4, 5]);
    reader.observe({ seq: 2, lastEventId: undefined });
    expect((await reader.discoverHead()).seq).toBe(5);
  });
});
