import { ulidTime } from '../model/ulid.js';
import { compositeKey } from '../projections/table-def.js';
import { TaskState } from '../projections/tables/index.js';
import type { RetentionPolicy } from './context.js';
import { isTerminalRun } from './runs.js';
import type { ProjectionTables } from './state.js';

const DAY_MS = 86_400_000;

/** Retention sweeps run when the ledger's own time crosses a UTC hour boundary. */
export const RETENTION_SWEEP_INTERVAL_MS = 3_600_000;

export type RetainedKind =
  | 'tick'
  | 'sensorEval'
  | 'conflict'
  | 'idempotencyKey'
  | 'terminalRun'
  | 'firedTimer';

interface Queue {
  times: number[];
  keys: string[];
  head: number;
}

function emptyQueue(): Queue {
  return { times: [], keys: [], head: 0 };
}

function push(queue: Queue, time: number, key: string): void {
  queue.times.push(time);
  queue.keys.push(key);
}

/** Orders a queue by time, stably, unless it already is. */
function sortQueue(queue: Queue): void {
  const { times, keys } = queue;
  let ordered = true;
  for (let index = 1; index < times.length && ordered; index++) ordered = times[index - 1]! <= times[index]!;
  if (ordered) return;
  const order = Array.from(times, (_, index) => index).sort((a, b) => times[a]! - times[b]!);
  queue.times = order.map((index) => times[index]!);
  queue.keys = order.map((index) => keys[index]!);
}

/**
 * Expires rows older than the retention policy. Ages are measured in server time (the time inside
 * event ids, which only moves forward in fold order), never in producer timestamps or a wall clock,
 * so every process folding the same ledger expires the same rows at the same event.
 *
 * Each retained kind keeps a queue of `(time, key)` in the order rows became eligible; because
 * server time is monotonic in fold order the queues are sorted, and a sweep only pops their heads:
 * its cost is the number of rows expired, not the size of the tables. Run keys are never expired:
 * a run key stays deduplicated for as long as the ledger exists, even after its run has expired.
 */
export class RetentionIndex {
  private queues: Record<RetainedKind, Queue> = RetentionIndex.emptyQueues();
  /** Tables to rebuild the queues from before they are next used (see `rebuild`). */
  private pending: ProjectionTables | undefined;

  private static emptyQueues(): Record<RetainedKind, Queue> {
    return {
      tick: emptyQueue(),
      sensorEval: emptyQueue(),
      conflict: emptyQueue(),
      idempotencyKey: emptyQueue(),
      terminalRun: emptyQueue(),
      firedTimer: emptyQueue(),
    };
  }

  /** Records that `key` became eligible for expiry at server time `at`. */
  track(kind: RetainedKind, key: string, at: number): void {
    if (this.pending !== undefined) this.settle();
    const queue = this.queues[kind];
    queue.times.push(at);
    queue.keys.push(key);
  }

  /**
   * Rebuilds the queues from rows (after loading published projections). Rows come in the order
   * they were published, which is nearly always fold order, so each queue is checked and sorted
   * only when it is out of order (stably: rows of the same millisecond keep their order).
   *
   * The rows are read when the queues are next used (`settle`, which the fold calls before each
   * event, before any row changes): a process that loads a million rows and folds nothing for a
   * while does not read them all once more before it serves. The caller changes the tables only by
   * folding until then, so the queues come out as they would have now.
   */
  rebuild(tables: ProjectionTables): void {
    this.queues = RetentionIndex.emptyQueues();
    this.pending = tables;
  }

  /** Builds the queues from the tables `rebuild` was given, if it has not yet. */
  settle(): void {
    const tables = this.pending;
    if (tables === undefined) return;
    const queues = RetentionIndex.emptyQueues();
    // `scan`: a table still holding a base as loaded is read without building its rows.
    tables.scheduleTicks.scan((row, key) => push(queues.tick, ulidTime(row.rowVersion), key));
    tables.sensorEvals.scan((row, key) => push(queues.sensorEval, ulidTime(row.rowVersion), key));
    tables.runKeyConflicts.scan((row, key) => push(queues.conflict, ulidTime(row.conflictingEventId), key));
    tables.idempotencyKeys.scan((row, key) => push(queues.idempotencyKey, ulidTime(row.eventId), key));
    tables.runs.scan((row, key) => {
      if (isTerminalRun(row.status)) push(queues.terminalRun, ulidTime(row.rowVersion), key);
    });
    tables.timers.scan((row, key) => {
      if (row.state === 'FIRED') push(queues.firedTimer, ulidTime(row.rowVersion), key);
    });
    for (const kind of Object.keys(queues) as RetainedKind[]) sortQueue(queues[kind]);
    this.queues = queues;
    this.pending = undefined;
  }

  sweep(tables: ProjectionTables, policy: RetentionPolicy, now: number): void {
    if (this.pending !== undefined) this.settle();
    this.drain('tick', policy.tickDays, now, (key, cutoff) => {
      const row = tables.scheduleTicks.get(key);
      if (row !== undefined && ulidTime(row.rowVersion) < cutoff) tables.scheduleTicks.delete(key);
    });
    this.drain('sensorEval', policy.sensorEvalDays, now, (key, cutoff) => {
      const row = tables.sensorEvals.get(key);
      if (row !== undefined && ulidTime(row.rowVersion) < cutoff) tables.sensorEvals.delete(key);
    });
    this.drain('conflict', policy.conflictDays, now, (key) => {
      tables.runKeyConflicts.delete(key);
    });
    this.drain('idempotencyKey', policy.idempotencyKeyDays, now, (key, cutoff) => {
      const row = tables.idempotencyKeys.get(key);
      if (row !== undefined && ulidTime(row.eventId) < cutoff) tables.idempotencyKeys.delete(key);
    });
    this.drain('firedTimer', policy.firedTimerDays, now, (key, cutoff) => {
      const row = tables.timers.get(key);
      if (row?.state === 'FIRED' && ulidTime(row.rowVersion) < cutoff) tables.timers.delete(key);
    });
    this.drain('terminalRun', policy.terminalRunDays, now, (runId, cutoff) => {
      const run = tables.runs.get(runId);
      if (run === undefined || !isTerminalRun(run.status) || ulidTime(run.rowVersion) >= cutoff) return;
      for (const taskKey of run.taskKeys) {
        const key = compositeKey(runId, taskKey);
        if (tables.tasks.get(key)?.state !== TaskState.Running) tables.tasks.delete(key);
      }
      tables.runs.delete(runId);
    });
  }

  private drain(
    kind: RetainedKind,
    days: number,
    now: number,
    expire: (key: string, cutoff: number) => void,
  ): void {
    if (days <= 0) return;
    const cutoff = now - days * DAY_MS;
    const queue = this.queues[kind];
    while (queue.head < queue.times.length && queue.times[queue.head]! < cutoff) {
      expire(queue.keys[queue.head]!, cutoff);
      queue.head += 1;
    }
    // Drop the consumed prefix once it dominates, so the arrays do not grow for ever.
    if (queue.head > 1024 && queue.head * 2 > queue.times.length) {
      queue.times = queue.times.slice(queue.head);
      queue.keys = queue.keys.slice(queue.head);
      queue.head = 0;
    }
  }
}
