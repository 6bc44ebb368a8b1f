import type { FoldConfig } from '../fold/context.js';
import { DEFAULT_RETENTION } from '../fold/context.js';
import { draft, type EventTypeName, type LedgerEvent, type PayloadOf } from '../model/catalog.js';
import { nextUlid, type RandomSource } from '../model/ulid.js';

/** A reproducible pseudo-random source (mulberry32), for ULIDs in tests and simulations. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TEST_SCOPE = { tenantId: 'acme', workspaceId: 'prod' } as const;

export function testFoldConfig(overrides: Partial<FoldConfig> = {}): FoldConfig {
  return {
    tenantId: TEST_SCOPE.tenantId,
    workspaceId: TEST_SCOPE.workspaceId,
    secret: new TextEncoder().encode('test-secret'),
    retention: DEFAULT_RETENTION,
    ...overrides,
  };
}

/**
 * Mints complete ledger events with increasing ids from a test clock: the way the ledger would
 * stamp them, without storage.
 */
export class EventFactory {
  private lastId: string | undefined;
  now: number;
  private readonly random: RandomSource;

  constructor(start = Date.UTC(2026, 0, 1), seed = 1) {
    this.now = start;
    this.random = seededRandom(seed);
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  make<T extends EventTypeName>(
    type: T,
    payload: PayloadOf<T>,
    options: { idempotencyKey?: string; occurredAt?: number } = {},
  ): LedgerEvent {
    const stamped = draft(type, payload, new Date(options.occurredAt ?? this.now), {
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    });
    this.lastId = nextUlid(this.lastId, this.now, this.random);
    return {
      ...stamped,
      eventId: this.lastId,
      tenantId: TEST_SCOPE.tenantId,
      workspaceId: TEST_SCOPE.workspaceId,
      schemaVersion: 1,
    } as LedgerEvent;
  }
}
