import { dispatchIdFor } from '../model/ids.js';
import { compositeKey } from '../projections/table-def.js';
import { type RunRow, RunStatus, type TaskRow, TaskState } from '../projections/tables/index.js';
import { chunkRunEnded, chunkRunStarted } from './backfills.js';
import type { FoldEnv } from './context.js';
import type { HandlerMap } from './handler.js';
import { copyDispatch, copyPartitionStatus, copyRun, copyRunKeyIndex, copyTask } from './row-copies.js';
import type { ProjectionTables } from './state.js';

const TERMINAL_TASK_STATES: ReadonlySet<string> = new Set([
  TaskState.Succeeded,
  TaskState.Failed,
  TaskState.Skipped,
  TaskState.Canceled,
]);

export function isTerminalTask(state: string): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

const TERMINAL_RUN_STATUSES: ReadonlySet<string> = new Set([
  RunStatus.Success,
  RunStatus.Failure,
  RunStatus.Canceled,
]);

export function isTerminalRun(status: string): boolean {
  return TERMINAL_RUN_STATUSES.has(status);
}

/** Longest wait between retries, whatever the asset's base backoff. */
export const MAX_RETRY_BACKOFF_MS = 60 * 60 * 1000;

/** Exponential backoff: base × 2^(attempt−1), capped at one hour. */
export function retryBackoffMs(baseSeconds: number, attempt: number): number {
  return Math.min(baseSeconds * 1000 * 2 ** Math.min(attempt - 1, 20), MAX_RETRY_BACKOFF_MS);
}

function taskKeyOf(runId: string, taskKey: string): string {
  return compositeKey(runId, taskKey);
}

function partitionsOf(task: TaskRow): readonly string[] {
  return task.partitionKeys === null || task.partitionKeys.length === 0 ? [''] : task.partitionKeys;
}

type AttemptOutcome = 'SUCCEEDED' | 'FAILED' | 'CANCELED';

/** Records an attempt outcome (and, on success, a materialization) for each partition of a task. */
function recordPartitionOutcomes(
  tables: ProjectionTables,
  run: RunRow,
  task: TaskRow,
  outcomeOf: (partitionKey: string) => AttemptOutcome,
  settled: boolean,
  metadata: Record<string, unknown> | null,
  env: FoldEnv,
): void {
  for (const partitionKey of partitionsOf(task)) {
    const key = compositeKey(task.assetKey, partitionKey);
    const row = tables.partitionStatus.get(key) ?? {
      assetKey: task.assetKey,
      partitionKey,
      lastMaterializationRunId: null,
      lastMaterializationAt: null,
      lastMaterializationCodeVersion: null,
      lastMaterializationMetadata: null,
      lastAttemptRunId: null,
      lastAttemptAt: null,
      lastAttemptOutcome: null,
      inFlightRunId: null,
      rowVersion: env.eventId,
    };
    const outcome = outcomeOf(partitionKey);
    const next = copyPartitionStatus(row);
    // A failed attempt never hides an earlier materialization.
    if (outcome === 'SUCCEEDED') {
      next.lastMaterializationRunId = run.runId;
      next.lastMaterializationAt = env.at;
      next.lastMaterializationCodeVersion = task.codeVersion ?? run.codeVersion;
      next.lastMaterializationMetadata = metadata;
    }
    next.lastAttemptRunId = run.runId;
    next.lastAttemptAt = env.at;
    next.lastAttemptOutcome = outcome;
    if (settled && row.inFlightRunId === run.runId) next.inFlightRunId = null;
    next.rowVersion = env.eventId;
    tables.partitionStatus.set(key, next);
  }
}

/** A task that will not run any more gives up its in-flight mark on its partitions. */
function clearInFlight(tables: ProjectionTables, run: RunRow, task: TaskRow, env: FoldEnv): void {
  for (const partitionKey of partitionsOf(task)) {
    const key = compositeKey(task.assetKey, partitionKey);
    const row = tables.partitionStatus.get(key);
    if (row !== undefined && row.inFlightRunId === run.runId) {
      const next = copyPartitionStatus(row);
      next.inFlightRunId = null;
      next.rowVersion = env.eventId;
      tables.partitionStatus.set(key, next);
    }
  }
}

/**
 * Moves a task to a terminal state and counts it on the run (which the caller writes back). The
 * worker and error are changed when given (an error of `null` clears it).
 */
function endTask(
  tables: ProjectionTables,
  run: RunRow,
  task: TaskRow,
  state: TaskState,
  env: FoldEnv,
  reported: { workerId?: string; error?: TaskRow['error'] } = {},
): TaskRow {
  const ended = copyTask(task);
  if (reported.workerId !== undefined) ended.workerId = reported.workerId;
  if (reported.error !== undefined) ended.error = reported.error;
  ended.state = state;
  ended.endedAt = env.at;
  ended.rowVersion = env.eventId;
  tables.tasks.set(taskKeyOf(run.runId, task.taskKey), ended);
  if (state === TaskState.Succeeded) run.tasksSucceeded += 1;
  else if (state === TaskState.Failed) run.tasksFailed += 1;
  else if (state === TaskState.Skipped) run.tasksSkipped += 1;
  else if (state === TaskState.Canceled) run.tasksCanceled += 1;
  if (task.attempt > 0) {
    tables.dispatchOutbox.delete(dispatchIdFor(run.runId, task.taskKey, task.attempt));
  }
  return ended;
}

/** Skips (or cancels) every not-yet-terminal task downstream of `from`, transitively. */
function propagate(
  tables: ProjectionTables,
  run: RunRow,
  from: TaskRow,
  state: TaskState,
  env: FoldEnv,
): void {
  const queue = [...from.dependents];
  for (let index = 0; index < queue.length; index++) {
    const task = tables.tasks.get(taskKeyOf(run.runId, queue[index]!));
    if (task === undefined || isTerminalTask(task.state)) continue;
    endTask(tables, run, task, state, env);
    clearInFlight(tables, run, task, env);
    queue.push(...task.dependents);
  }
}

/** Marks downstream tasks whose every dependency has succeeded as READY. */
function satisfyDependents(tables: ProjectionTables, run: RunRow, from: TaskRow, env: FoldEnv): void {
  for (const dependentKey of from.dependents) {
    const key = taskKeyOf(run.runId, dependentKey);
    const task = tables.tasks.get(key);
    if (task === undefined || task.state !== TaskState.Blocked) continue;
    if (task.depsSatisfied.includes(from.taskKey)) continue;
    const next = copyTask(task);
    next.depsSatisfied = [...task.depsSatisfied, from.taskKey];
    const ready = next.depsSatisfied.length >= task.dependsOn.length;
    next.state = ready ? TaskState.Ready : TaskState.Blocked;
    next.readyAt = ready ? env.at : null;
    next.rowVersion = env.eventId;
    tables.tasks.set(key, next);
  }
}

/** Partitions of a run that did not materialize: tasks that did not succeed, and failed partitions of single-run tasks. */
function failedPartitionsOf(tables: ProjectionTables, run: RunRow): string[] {
  const failed = new Set<string>();
  for (const taskKey of run.taskKeys) {
    const task = tables.tasks.get(taskKeyOf(run.runId, taskKey));
    if (task === undefined) continue;
    for (const partitionKey of task.partitionKeys ?? []) {
      if (task.state !== TaskState.Succeeded) {
        failed.add(partitionKey);
        continue;
      }
      const status = tables.partitionStatus.get(compositeKey(task.assetKey, partitionKey));
      if (status?.lastAttemptRunId === run.runId && status.lastAttemptOutcome !== 'SUCCEEDED') {
        failed.add(partitionKey);
      }
    }
  }
  return [...failed].sort();
}

/** Writes the run back, ending it when every task is terminal (the run completion rule). */
function saveRun(tables: ProjectionTables, run: RunRow, env: FoldEnv): void {
  const done = run.tasksSucceeded + run.tasksFailed + run.tasksSkipped + run.tasksCanceled;
  const wasTerminal = isTerminalRun(tables.runs.get(run.runId)?.status ?? '');
  if (!wasTerminal && run.taskKeys.length > 0 && done >= run.tasksTotal) {
    run.status =
      run.cancelRequested || run.tasksCanceled > 0
        ? RunStatus.Canceled
        : run.tasksFailed > 0 || run.tasksSkipped > 0
          ? RunStatus.Failure
          : RunStatus.Success;
    run.endedAt = env.at;
  } else if (!wasTerminal && run.cancelRequested && !isTerminalRun(run.status)) {
    run.status = RunStatus.Canceling;
  }
  run.rowVersion = env.eventId;
  tables.runs.set(run.runId, run);
  if (!wasTerminal && isTerminalRun(run.status)) {
    env.retain('terminalRun', run.runId);
    chunkRunEnded(tables, run, failedPartitionsOf(tables, run), env);
  }
}

/** Run requests, runs, tasks, dispatch and partition status. */
export const runHandlers: HandlerMap = {
  'run.requested.v1'(t, e, env) {
    const p = e.payload;
    // Requests made by a stale sensor evaluation are dropped with it, as are requests an evaluation
    // did not make (a losing duplicate evaluation of a non-deterministic sensor).
    if (p.source.kind === 'sensor') {
      const evaluation = t.sensorEvals.get(p.source.evalId);
      if (evaluation !== undefined && (evaluation.stale || !evaluation.runKeys.includes(p.runKey)))
        return false;
    }
    // A chunk's run request stands or falls with the chunk plan in the same segment.
    if (p.source.kind === 'backfill' && t.backfillChunks.get(p.source.chunkId)?.runKey !== p.runKey)
      return false;
    const existing = t.runKeyIndex.get(p.runKey);
    if (existing !== undefined) {
      if (existing.requestFingerprint !== p.requestFingerprint) {
        const conflictKey = compositeKey(p.runKey, env.eventId);
        env.retain('conflict', conflictKey);
        t.runKeyConflicts.set(conflictKey, {
          runKey: p.runKey,
          conflictingEventId: env.eventId,
          existingFingerprint: existing.requestFingerprint,
          conflictingFingerprint: p.requestFingerprint,
          source: p.source,
          detectedAt: env.at,
        });
      }
      // The first request wins; an equal one from any source is the same request.
      return true;
    }
    t.runKeyIndex.set(p.runKey, {
      runKey: p.runKey,
      runId: env.runId(p.runKey),
      requestFingerprint: p.requestFingerprint,
      status: 'PENDING',
      source: p.source,
      sourceKind: p.source.kind,
      lane: p.lane,
      priority: p.priority,
      assetSelection: p.assetSelection,
      partitionKeys: p.partitionKeys ?? null,
      singleRun: p.singleRun,
      tags: p.tags,
      codeVersion: p.codeVersion ?? null,
      requestedAt: env.at,
      triggeredAt: null,
      rowVersion: env.eventId,
    });
    return true;
  },

  'run.triggered.v1'(t, e, env) {
    const p = e.payload;
    const index = t.runKeyIndex.get(p.runKey);
    // Once triggered, a run key stays TRIGGERED (run keys never expire): a copy of this event is
    // rejected here even after its run has expired or been deleted.
    if (index === undefined || index.status !== 'PENDING' || index.runId !== p.runId) return false;
    if (t.runs.has(p.runId)) return false;
    const triggered = copyRunKeyIndex(index);
    triggered.status = 'TRIGGERED';
    triggered.triggeredAt = env.at;
    triggered.rowVersion = env.eventId;
    t.runKeyIndex.set(p.runKey, triggered);
    t.runs.set(p.runId, {
      runId: p.runId,
      runKey: p.runKey,
      status: RunStatus.Queued,
      lane: p.lane,
      priority: p.priority,
      source: p.source,
      sourceKind: p.source.kind,
      assetSelection: p.assetSelection,
      partitionKeys: p.partitionKeys ?? null,
      tags: p.tags,
      codeVersion: p.codeVersion ?? null,
      taskKeys: [],
      tasksTotal: 0,
      tasksSucceeded: 0,
      tasksFailed: 0,
      tasksSkipped: 0,
      tasksCanceled: 0,
      pools: [],
      cancelRequested: false,
      forceCancel: false,
      backfillId: p.source.kind === 'backfill' ? p.source.backfillId : null,
      chunkId: p.source.kind === 'backfill' ? p.source.chunkId : null,
      failureReason: null,
      createdAt: env.at,
      admittedAt: null,
      startedAt: null,
      endedAt: null,
      rowVersion: env.eventId,
    });
    return true;
  },

  'run.plan-created.v1'(t, e, env) {
    const p = e.payload;
    const existing = t.runs.get(p.runId);
    if (existing === undefined || existing.taskKeys.length > 0 || isTerminalRun(existing.status))
      return false;
    const run = copyRun(existing);
    const dependents = new Map<string, string[]>();
    for (const task of p.tasks) {
      for (const upstream of task.dependsOn) {
        const list = dependents.get(upstream);
        if (list === undefined) dependents.set(upstream, [task.taskKey]);
        else list.push(task.taskKey);
      }
    }
    for (const task of p.tasks) {
      const row: TaskRow = {
        runId: run.runId,
        taskKey: task.taskKey,
        assetKey: task.assetKey,
        partitionKeys: task.partitionKeys ?? null,
        dependsOn: task.dependsOn,
        dependents: dependents.get(task.taskKey) ?? [],
        depsSatisfied: [],
        state: task.dependsOn.length === 0 ? TaskState.Ready : TaskState.Blocked,
        attempt: 0,
        attemptId: null,
        maxAttempts: task.maxAttempts,
        retryBackoffSeconds: task.retryBackoffSeconds,
        heartbeatTimeoutSeconds: task.heartbeatTimeoutSeconds,
        pool: task.pool ?? null,
        codeVersion: task.codeVersion ?? null,
        readyAt: task.dependsOn.length === 0 ? env.at : null,
        retryNotBefore: null,
        startedAt: null,
        lastHeartbeatAt: null,
        heartbeatSequence: null,
        endedAt: null,
        workerId: null,
        error: null,
        rowVersion: env.eventId,
      };
      t.tasks.set(taskKeyOf(run.runId, task.taskKey), row);
      for (const partitionKey of partitionsOf(row)) {
        const key = compositeKey(row.assetKey, partitionKey);
        const status = t.partitionStatus.get(key);
        t.partitionStatus.set(key, {
          assetKey: row.assetKey,
          partitionKey,
          lastMaterializationRunId: status?.lastMaterializationRunId ?? null,
          lastMaterializationAt: status?.lastMaterializationAt ?? null,
          lastMaterializationCodeVersion: status?.lastMaterializationCodeVersion ?? null,
          lastMaterializationMetadata: status?.lastMaterializationMetadata ?? null,
          lastAttemptRunId: status?.lastAttemptRunId ?? null,
          lastAttemptAt: status?.lastAttemptAt ?? null,
          lastAttemptOutcome: status?.lastAttemptOutcome ?? null,
          inFlightRunId: run.runId,
          rowVersion: env.eventId,
        });
      }
    }
    run.taskKeys = p.tasks.map((task) => task.taskKey);
    run.tasksTotal = p.tasks.length;
    saveRun(t, run, env);
    return true;
  },

  'run.plan-failed.v1'(t, e, env) {
    const existing = t.runs.get(e.payload.runId);
    if (existing === undefined || existing.taskKeys.length > 0 || isTerminalRun(existing.status))
      return false;
    const run = copyRun(existing);
    run.status = RunStatus.Failure;
    run.failureReason = e.payload.reason;
    run.endedAt = env.at;
    run.rowVersion = env.eventId;
    t.runs.set(run.runId, run);
    env.retain('terminalRun', run.runId);
    chunkRunEnded(t, run, t.backfillChunks.get(run.chunkId ?? '')?.partitionKeys ?? [], env);
    return true;
  },

  'run.admitted.v1'(t, e, env) {
    const existing = t.runs.get(e.payload.runId);
    if (existing === undefined || existing.status !== RunStatus.Queued || existing.cancelRequested)
      return false;
    if (existing.taskKeys.length === 0) return false;
    const run = copyRun(existing);
    run.status = RunStatus.Starting;
    run.admittedAt = env.at;
    run.pools = e.payload.pools;
    saveRun(t, run, env);
    chunkRunStarted(t, run, env);
    return true;
  },

  'run.cancel-requested.v1'(t, e, env) {
    const p = e.payload;
    const existing = t.runs.get(p.runId);
    if (existing === undefined || isTerminalRun(existing.status)) return false;
    if (existing.cancelRequested && (existing.forceCancel || !p.force)) return false;
    const run = copyRun(existing);
    run.cancelRequested = true;
    run.forceCancel = existing.forceCancel || p.force;
    for (const taskKey of run.taskKeys) {
      const task = t.tasks.get(taskKeyOf(run.runId, taskKey));
      if (task === undefined || isTerminalTask(task.state)) continue;
      // Cooperative termination lets a running attempt finish (it is told to stop); forced
      // termination ends it now and ignores whatever it reports later.
      if (task.state === TaskState.Running && !p.force) continue;
      if (task.state === TaskState.Running) {
        recordPartitionOutcomes(t, run, task, () => 'CANCELED', true, null, env);
      } else {
        clearInFlight(t, run, task, env);
      }
      endTask(t, run, task, TaskState.Canceled, env);
    }
    if (run.taskKeys.length === 0) {
      run.status = RunStatus.Canceled;
      run.endedAt = env.at;
    }
    saveRun(t, run, env);
    return true;
  },

  'run.deleted.v1'(t, e) {
    const run = t.runs.get(e.payload.runId);
    if (run === undefined || !isTerminalRun(run.status)) return false;
    for (const taskKey of run.taskKeys) t.tasks.delete(taskKeyOf(run.runId, taskKey));
    t.runs.delete(run.runId);
    return true;
  },

  'task.dispatch-requested.v1'(t, e, env) {
    const p = e.payload;
    const run = t.runs.get(p.runId);
    if (run === undefined || run.cancelRequested) return false;
    if (run.status !== RunStatus.Starting && run.status !== RunStatus.Started) return false;
    const key = taskKeyOf(p.runId, p.taskKey);
    const task = t.tasks.get(key);
    if (task === undefined || p.attempt !== task.attempt + 1) return false;
    if (task.state !== TaskState.Ready && task.state !== TaskState.RetryWait) return false;
    const dispatched = copyTask(task);
    dispatched.state = TaskState.Dispatched;
    dispatched.attempt = p.attempt;
    dispatched.attemptId = p.attemptId;
    dispatched.retryNotBefore = null;
    dispatched.heartbeatSequence = null;
    dispatched.rowVersion = env.eventId;
    t.tasks.set(key, dispatched);
    t.dispatchOutbox.set(p.dispatchId, {
      dispatchId: p.dispatchId,
      runId: p.runId,
      taskKey: p.taskKey,
      attempt: p.attempt,
      attemptId: p.attemptId,
      queue: p.queue,
      status: 'PENDING',
      externalId: null,
      createdAt: env.at,
      rowVersion: env.eventId,
    });
    return true;
  },

  'task.dispatch-enqueued.v1'(t, e, env) {
    const row = t.dispatchOutbox.get(e.payload.dispatchId);
    if (row === undefined || row.status !== 'PENDING' || row.attemptId !== e.payload.attemptId) return false;
    const enqueued = copyDispatch(row);
    enqueued.status = 'ENQUEUED';
    enqueued.externalId = e.payload.externalId;
    enqueued.rowVersion = env.eventId;
    t.dispatchOutbox.set(row.dispatchId, enqueued);
    return true;
  },

  'task.started.v1'(t, e, env) {
    const p = e.payload;
    const existing = t.runs.get(p.runId);
    if (existing === undefined || existing.cancelRequested) return false;
    const key = taskKeyOf(p.runId, p.taskKey);
    const task = t.tasks.get(key);
    if (task === undefined || task.state !== TaskState.Dispatched) return false;
    if (task.attempt !== p.attempt || task.attemptId !== p.attemptId) return false;
    const started = copyTask(task);
    started.state = TaskState.Running;
    started.startedAt = env.at;
    started.lastHeartbeatAt = env.at;
    started.workerId = p.workerId;
    started.rowVersion = env.eventId;
    t.tasks.set(key, started);
    t.dispatchOutbox.delete(dispatchIdFor(p.runId, p.taskKey, p.attempt));
    if (existing.status === RunStatus.Starting) {
      const run = copyRun(existing);
      run.status = RunStatus.Started;
      run.startedAt = existing.startedAt ?? env.at;
      saveRun(t, run, env);
    }
    return true;
  },

  'task.heartbeat.v1'(t, e, env) {
    const p = e.payload;
    const key = taskKeyOf(p.runId, p.taskKey);
    const task = t.tasks.get(key);
    if (task === undefined || task.state !== TaskState.Running) return false;
    if (task.attempt !== p.attempt || task.attemptId !== p.attemptId) return false;
    if (task.heartbeatSequence !== null && p.sequence <= task.heartbeatSequence) return false;
    const beat = copyTask(task);
    beat.lastHeartbeatAt = env.at;
    beat.heartbeatSequence = p.sequence;
    beat.rowVersion = env.eventId;
    t.tasks.set(key, beat);
    return true;
  },

  'task.finished.v1'(t, e, env) {
    const p = e.payload;
    const existing = t.runs.get(p.runId);
    if (existing === undefined) return false;
    const key = taskKeyOf(p.runId, p.taskKey);
    const task = t.tasks.get(key);
    if (task === undefined) return false;
    // Only the current attempt, and only while it is out with a worker, can finish.
    if (task.state !== TaskState.Dispatched && task.state !== TaskState.Running) return false;
    if (task.attempt !== p.attempt || task.attemptId !== p.attemptId) return false;
    const run = copyRun(existing);
    if (run.status === RunStatus.Starting) {
      run.status = RunStatus.Started;
      run.startedAt = run.startedAt ?? env.at;
    }
    const metadata = p.metadata ?? null;
    const error = p.error ?? null;
    if (p.outcome === 'SUCCEEDED') {
      const ended = endTask(t, run, task, TaskState.Succeeded, env, { error: null, workerId: p.workerId });
      const outcomes = p.partitionOutcomes;
      recordPartitionOutcomes(
        t,
        run,
        task,
        (partition) => outcomes?.[partition] ?? 'SUCCEEDED',
        true,
        metadata,
        env,
      );
      satisfyDependents(t, run, ended, env);
    } else if (p.outcome === 'FAILED') {
      const retryable = error?.retryable ?? true;
      if (retryable && task.attempt < task.maxAttempts) {
        const waiting = copyTask(task);
        waiting.state = TaskState.RetryWait;
        // Deadlines come from the server time in the event id, never from a worker's clock.
        waiting.retryNotBefore = env.serverAt + retryBackoffMs(task.retryBackoffSeconds, task.attempt);
        waiting.workerId = p.workerId;
        waiting.error = error;
        waiting.rowVersion = env.eventId;
        t.tasks.set(key, waiting);
        recordPartitionOutcomes(t, run, task, () => 'FAILED', false, null, env);
      } else {
        const ended = endTask(t, run, task, TaskState.Failed, env, { error, workerId: p.workerId });
        recordPartitionOutcomes(t, run, task, () => 'FAILED', true, null, env);
        propagate(t, run, ended, TaskState.Skipped, env);
      }
    } else if (p.outcome === 'SKIPPED') {
      const ended = endTask(t, run, task, TaskState.Skipped, env, { workerId: p.workerId });
      clearInFlight(t, run, task, env);
      propagate(t, run, ended, TaskState.Skipped, env);
    } else {
      const ended = endTask(t, run, task, TaskState.Canceled, env, { error, workerId: p.workerId });
      recordPartitionOutcomes(t, run, task, () => 'CANCELED', true, null, env);
      propagate(t, run, ended, TaskState.Canceled, env);
    }
    saveRun(t, run, env);
    return true;
  },
};
