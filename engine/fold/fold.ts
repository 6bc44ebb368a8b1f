import { type Envelope, EVENT_TYPES, type EventTypeName, type LedgerEvent } from '../model/catalog.js';
import { ulidTime } from '../model/ulid.js';
import { backfillHandlers } from './backfills.js';
import { createFoldEnv, type FoldConfig, type FoldEnv } from './context.js';
import { definitionHandlers } from './definitions.js';
import { type Handler, type HandlerMap, iso } from './handler.js';
import { instigatorHandlers } from './instigators.js';
import { RETENTION_SWEEP_INTERVAL_MS } from './retention.js';
import { runHandlers } from './runs.js';
import type { ProjectionState } from './state.js';
import { timerHandlers } from './timers.js';

const HANDLERS: HandlerMap = {
  ...definitionHandlers,
  ...instigatorHandlers,
  ...runHandlers,
  ...backfillHandlers,
  ...timerHandlers,
};

/** What the fold does with events of one type: its handler, and whether it records their keys. */
interface TypeRule {
  handler: Handler<EventTypeName>;
  /** The type's `dedupe.by` is `key`: look the key up first, record it when the event applied. */
  keyed: boolean;
}

/** One lookup per event: `type` strings come fresh from `JSON.parse`, so each lookup hashes one. */
const RULES = new Map<string, TypeRule>(
  (Object.keys(HANDLERS) as EventTypeName[]).map((type) => [
    type,
    { handler: HANDLERS[type] as Handler<EventTypeName>, keyed: EVENT_TYPES[type].dedupe.by === 'key' },
  ]),
);

export type FoldOutcome = 'applied' | 'duplicate' | 'not-applied' | 'unknown-type';

/**
 * Folds ledger events, in event-id order, onto a projection state. Pure and deterministic: the
 * same events onto the same state give the same rows in any process, whatever the batch sizes.
 *
 * `lastEventId` is the fold frontier (the last event folded); it is persisted with the projections
 * as their watermark, and retention sweeps run each time the ledger's own time crosses an hour.
 */
export class Folder {
  private readonly env: FoldEnv;
  private frontier: string | undefined;
  /** Hour (of server time) of the frontier, cached; undefined when it must be derived again. */
  private lastHour: number | undefined;
  /** Events of types this build does not know, folded as no-ops (version skew with newer writers). */
  unknownEvents = 0;

  constructor(config: FoldConfig, lastEventId?: string) {
    this.env = createFoldEnv(config);
    this.frontier = lastEventId;
  }

  /** The last event folded (the fold frontier). Setting it (after loading a snapshot) resets caches. */
  get lastEventId(): string | undefined {
    return this.frontier;
  }

  set lastEventId(eventId: string | undefined) {
    this.frontier = eventId;
    this.lastHour = undefined;
  }

  get config(): FoldConfig {
    return this.env.config;
  }

  fold(state: ProjectionState, event: LedgerEvent): FoldOutcome {
    // Queues rebuilt after a load are read from the rows before the first event changes any.
    this.env.retention.settle();
    const serverAt = ulidTime(event.eventId);
    const hour = Math.floor(serverAt / RETENTION_SWEEP_INTERVAL_MS);
    if (this.frontier !== undefined) {
      if (event.eventId <= this.frontier) {
        throw new Error(`events must be folded in event-id order: ${event.eventId} after ${this.frontier}`);
      }
      this.lastHour ??= Math.floor(ulidTime(this.frontier) / RETENTION_SWEEP_INTERVAL_MS);
      if (hour > this.lastHour) this.env.retention.sweep(state.tables, this.env.config.retention, serverAt);
    }
    this.frontier = event.eventId;
    this.lastHour = hour;
    const rule = RULES.get(event.type);
    if (rule === undefined) {
      this.unknownEvents += 1;
      return 'unknown-type';
    }
    const tables = state.tables;
    if (rule.keyed && tables.idempotencyKeys.has(event.idempotencyKey)) return 'duplicate';
    const env = this.env;
    env.eventId = event.eventId;
    env.at = iso(event.occurredAt);
    env.serverAt = serverAt;
    if (!rule.handler(tables, event as Envelope<EventTypeName>, env)) return 'not-applied';
    if (!rule.keyed) return 'applied';
    tables.idempotencyKeys.set(event.idempotencyKey, {
      idempotencyKey: event.idempotencyKey,
      eventId: event.eventId,
      eventType: event.type,
      recordedAt: env.at,
    });
    env.retain('idempotencyKey', event.idempotencyKey);
    return 'applied';
  }

  /** Re-derives the retention queues from the rows of a state loaded from published files. */
  rebuildRetention(state: ProjectionState): void {
    this.env.retention.rebuild(state.tables);
  }

  foldAll(state: ProjectionState, events: Iterable<LedgerEvent>): void {
    for (const event of events) this.fold(state, event);
  }
}
