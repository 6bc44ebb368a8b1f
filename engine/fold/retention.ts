import { compositeKey } from '../projections/table-def.js';
import { TaskState } from '../projections/tables/index.js';
import type { RetentionPolicy } from './context.js';
import { isTerminalRun } from './runs.js';
import type { ProjectionTables } from './state.js';

const DAY_MS = 86_400_000;

/** Retention sweeps run when the ledger's own time crosses a UTC hour boundary. */
export const RETENTION_SWEEP_INTERVAL_MS = 3_600_000;

/**
 * Expires rows older than the policy allows, measured against `now` = the server time of the event
 * being folded (never a wall clock), so every process that folds the same ledger expires the same
 * rows at the same point. Run keys are never expired: a run key stays deduplicated for as long as
 * the ledger exists, even after its run row has been expired.
 */
export function sweepRetention(tables: ProjectionTables, policy: RetentionPolicy, now: number): void {
  expire(
    tables.scheduleTicks.rows,
    policy.tickDays,
    now,
    (row) => row.recordedAt,
    (key) => tables.scheduleTicks.delete(key),
  );
  expire(
    tables.sensorEvals.rows,
    policy.sensorEvalDays,
    now,
    (row) => row.evaluatedAt,
    (key) => tables.sensorEvals.delete(key),
  );
  expire(
    tables.runKeyConflicts.rows,
    policy.conflictDays,
    now,
    (row) => row.detectedAt,
    (key) => tables.runKeyConflicts.delete(key),
  );
  expire(
    tables.idempotencyKeys.rows,
    policy.idempotencyKeyDays,
    now,
    (row) => row.recordedAt,
    (key) => tables.idempotencyKeys.delete(key),
  );
  expire(
    tables.timers.rows,
    policy.firedTimerDays,
    now,
    (row) => (row.state === 'FIRED' ? (row.firedAt ?? row.fireAt) : Number.POSITIVE_INFINITY),
    (key) => tables.timers.delete(key),
  );
  if (policy.terminalRunDays > 0) {
    const cutoff = now - policy.terminalRunDays * DAY_MS;
    const expired: string[] = [];
    for (const run of tables.runs.rows.values()) {
      if (isTerminalRun(run.status) && (run.endedAt ?? run.createdAt) < cutoff) expired.push(run.runId);
    }
    for (const runId of expired) {
      const run = tables.runs.get(runId);
      if (run === undefined) continue;
      for (const taskKey of run.taskKeys) {
        const task = tables.tasks.get(compositeKey(runId, taskKey));
        if (task !== undefined && task.state !== TaskState.Running)
          tables.tasks.delete(compositeKey(runId, taskKey));
      }
      tables.runs.delete(runId);
    }
  }
}

function expire<R>(
  rows: ReadonlyMap<string, R>,
  days: number,
  now: number,
  timeOf: (row: R) => number,
  remove: (key: string) => void,
): void {
  if (days <= 0) return;
  const cutoff = now - days * DAY_MS;
  const expired: string[] = [];
  for (const [key, row] of rows) if (timeOf(row) < cutoff) expired.push(key);
  for (const key of expired) remove(key);
}
