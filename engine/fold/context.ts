import { runIdDeriver } from '../model/ids.js';
import { type RetainedKind, RetentionIndex } from './retention.js';

/** How long rows of each kind are kept, measured against the ledger's own time (event ids). */
export interface RetentionPolicy {
  /** Schedule ticks. Default 90 days. */
  tickDays: number;
  /** Sensor evaluations. Default 30 days. */
  sensorEvalDays: number;
  /** Run-key conflicts. Default 365 days. */
  conflictDays: number;
  /** Idempotency keys. Default 30 days. */
  idempotencyKeyDays: number;
  /** Terminal runs and their tasks. Default 90 days; 0 keeps them for ever. */
  terminalRunDays: number;
  /** Fired timers. Default 7 days. */
  firedTimerDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  tickDays: 90,
  sensorEvalDays: 30,
  conflictDays: 365,
  idempotencyKeyDays: 30,
  terminalRunDays: 90,
  firedTimerDays: 7,
};

/**
 * Everything the fold needs besides state and events. It must be identical in every process that
 * folds the same ledger, or their projections diverge.
 */
export interface FoldConfig {
  tenantId: string;
  workspaceId: string;
  /** Per-tenant secret for run ids (never empty). */
  secret: Uint8Array;
  retention: RetentionPolicy;
}

/** Per-event inputs handed to every fold handler. */
export interface FoldEnv {
  readonly config: FoldConfig;
  /** Event id of the event being folded (written to `rowVersion`). */
  eventId: string;
  /** The event's `occurredAt` as epoch milliseconds (business time for row timestamps). */
  at: number;
  /** Server time of the event: the millisecond inside its ULID (deadlines are computed from it). */
  serverAt: number;
  readonly retention: RetentionIndex;
  runId(runKey: string): string;
  /** Marks a row as eligible for expiry from now (server time) under the retention policy. */
  retain(kind: RetainedKind, key: string): void;
}

export function createFoldEnv(config: FoldConfig): FoldEnv {
  const cache = new Map<string, string>();
  const derive = runIdDeriver(config.secret, config.tenantId, config.workspaceId);
  return {
    config,
    eventId: '',
    at: 0,
    serverAt: 0,
    retention: new RetentionIndex(),
    retain(kind: RetainedKind, key: string): void {
      this.retention.track(kind, key, this.serverAt);
    },
    runId(runKey: string): string {
      let id = cache.get(runKey);
      if (id === undefined) {
        id = derive(runKey);
        if (cache.size > 100_000) cache.clear();
        cache.set(runKey, id);
      }
      return id;
    },
  };
}
