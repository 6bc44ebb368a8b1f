import type { Envelope, EventTypeName, LedgerEvent } from '../model/catalog.js';
import { ulidTime } from '../model/ulid.js';
import { backfillHandlers } from './backfills.js';
import { createFoldEnv, type FoldConfig, type FoldEnv } from './context.js';
import { definitionHandlers } from './definitions.js';
import type { Handler, HandlerMap } from './handler.js';
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
  lastEventId: string | undefined;
  /** Events of types this build does not know, folded as no-ops (version skew with newer writers). */
  unknownEvents = 0;

  constructor(config: FoldConfig, lastEventId?: string) {
    this.env = createFoldEnv(config);
    this.lastEventId = lastEventId;
  }

  get config(): FoldConfig {
    return this.env.config;
  }

  fold(state: ProjectionState, event: LedgerEvent): FoldOutcome {
    const serverAt = ulidTime(event.eventId);
    if (this.lastEventId !== undefined) {
      if (event.eventId <= this.lastEventId) {
        throw new Error(
          `events must be folded in event-id order: ${event.eventId} after ${this.lastEventId}`,
        );
      }
      const previousHour = Math.floor(ulidTime(this.lastEventId) / RETENTION_SWEEP_INTERVAL_MS);
      if (Math.floor(serverAt / RETENTION_SWEEP_INTERVAL_MS) > previousHour) {
        this.env.retention.sweep(state.tables, this.env.config.retention, serverAt);
      }
    }
    this.lastEventId = event.eventId;
    const tables = state.tables;
    if (tables.idempotencyKeys.has(event.idempotencyKey)) return 'duplicate';
    const handler = HANDLERS[event.type] as Handler<EventTypeName> | undefined;
    if (handler === undefined) {
      this.unknownEvents += 1;
      return 'unknown-type';
    }
    const env = this.env;
    env.eventId = event.eventId;
    env.at = Date.parse(event.occurredAt);
    env.serverAt = serverAt;
    if (!handler(tables, event as Envelope<EventTypeName>, env)) return 'not-applied';
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
