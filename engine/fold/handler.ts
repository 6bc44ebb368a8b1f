import type { Envelope, EventTypeName } from '../model/catalog.js';
import type { FoldEnv } from './context.js';
import type { ProjectionTables } from './state.js';

/**
 * A fold handler applies one event to the tables and reports whether it changed state. Only events
 * that changed state record their idempotency key, so a stale or rejected event never poisons its
 * key. Handlers are pure: no I/O, no clock, no randomness; time comes from the event.
 */
export type Handler<T extends EventTypeName> = (
  tables: ProjectionTables,
  event: Envelope<T>,
  env: FoldEnv,
) => boolean;

export type HandlerMap = { [T in EventTypeName]?: Handler<T> };

export function iso(ms: string): number {
  return Date.parse(ms);
}
