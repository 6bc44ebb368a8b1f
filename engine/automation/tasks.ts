import { draft, type EventDraft } from '../model/catalog.js';
import { dispatchIdFor, timerIdFor } from '../model/ids.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import { compositeKey } from '../projections/table-def.js';
import { type TaskRow, TaskState } from '../projections/tables/index.js';
import type { Timer } from '../timers/timer-queue.js';
import type { Reactor } from './automation.js';
import type { AutomationContext, TimerDomain } from './context.js';
import { RowIndex } from './row-index.js';

/** Grace beyond a task's heartbeat timeout before it is declared lost. */
export const HEARTBEAT_GRACE_MS = 30_000;

/** How long a run request may wait before the sweep timer triggers it (safety net). */
export const RUN_REQUEST_SWEEP_MS = 10_000;

/** How long a cooperative termination waits for running tasks before it forces them. */
export const TERMINATE_GRACE_MS = 60_000;

export function terminateTimer(runId: string, fireAt: number): Timer {
  return {
    timerId: timerIdFor('run_terminate', runId, fireAt),
    kind: 'run_terminate',
    subjectId: runId,
    fireAt,
  };
}

function taskSubject(task: TaskRow): string {
  return `${task.runId}/${task.taskKey}`;
}

export function retryTimer(task: TaskRow): Timer | undefined {
  if (task.state !== TaskState.RetryWait || task.retryNotBefore === null) return undefined;
  return {
    timerId: timerIdFor('task_retry', taskSubject(task), task.retryNotBefore, task.attempt),
    kind: 'task_retry',
    subjectId: taskSubject(task),
    fireAt: task.retryNotBefore,
    attempt: task.attempt,
  };
}

/** How long a delivered attempt may take to report `started` before it is presumed lost. */
export const START_TIMEOUT_MS = 10 * 60_000;

/**
 * The liveness check of an attempt out with a worker: a running task must heartbeat within its
 * timeout (plus grace); a dispatched one must start within the start timeout, so an attempt whose
 * delivery was lost (a queue gave up, a worker died before starting) is retried, not stuck.
 */
export function heartbeatTimer(task: TaskRow, dispatchedAt?: number): Timer | undefined {
  let fireAt: number;
  if (task.state === TaskState.Running) {
    const last = task.lastHeartbeatAt ?? task.startedAt;
    if (last === null) return undefined;
    fireAt = last + task.heartbeatTimeoutSeconds * 1000 + HEARTBEAT_GRACE_MS;
  } else if (task.state === TaskState.Dispatched && dispatchedAt !== undefined) {
    fireAt = dispatchedAt + START_TIMEOUT_MS;
  } else {
    return undefined;
  }
  return {
    timerId: timerIdFor('heartbeat_check', taskSubject(task), fireAt, task.attempt),
    kind: 'heartbeat_check',
    subjectId: taskSubject(task),
    fireAt,
    attempt: task.attempt,
  };
}

/**
 * Timers of run execution: a retry timer for each task waiting to retry (its handler lets the
 * dispatcher send the next attempt), a heartbeat check for each running task (a task silent past its
 * timeout plus grace is failed as HEARTBEAT_TIMEOUT, which retries it if attempts are left), and a
 * sweep that triggers run requests nobody triggered (distributed mode's safety net).
 */
export function createTaskTimers(
  projections: ProjectionStore,
  runRequests: Reactor,
): { domain: TimerDomain; reactor: Reactor } {
  const waiting = new RowIndex(
    projections,
    'tasks',
    (task) =>
      task.state === TaskState.RetryWait ||
      task.state === TaskState.Running ||
      task.state === TaskState.Dispatched,
  );
  const dispatchedAt = (task: TaskRow) =>
    projections.state.tables.dispatchOutbox.get(dispatchIdFor(task.runId, task.taskKey, task.attempt))
      ?.createdAt;
  const pending = new RowIndex(projections, 'runKeyIndex', (row) => row.status === 'PENDING');
  const canceling = new RowIndex(
    projections,
    'runs',
    (run) => run.status === 'CANCELING' && !run.forceCancel,
  );
  // Tasks changed since the reactor last ran: each may need a retry or heartbeat timer.
  const changed = new Set<string>();
  projections.subscribe((changes) => {
    for (const key of changes.tables.get('tasks') ?? []) changed.add(key);
  });
  const reactor: Reactor = {
    name: 'task-timers',
    async react(context) {
      if (changed.size === 0) return false;
      const timers: Timer[] = [];
      for (const key of changed) {
        const task = context.tables().tasks.get(key);
        const timer =
          task === undefined ? undefined : (retryTimer(task) ?? heartbeatTimer(task, dispatchedAt(task)));
        if (timer !== undefined) timers.push(timer);
      }
      changed.clear();
      await context.schedule(timers);
      return false;
    },
  };
  const domain: TimerDomain = {
    kinds: ['task_retry', 'heartbeat_check', 'run_request_sweep', 'dispatch_retry', 'run_terminate'],

    async handle(context, timer) {
      await context.sync();
      if (timer.kind === 'run_request_sweep') {
        await runRequests.react(context);
        return;
      }
      if (timer.kind === 'task_retry' || timer.kind === 'dispatch_retry') {
        // The dispatcher sends due retries and redeliveries when it runs; waking it is all these do.
        context.kick();
        return;
      }
      if (timer.kind === 'run_terminate') {
        await forceTermination(context, timer);
        return;
      }
      await checkHeartbeat(context, timer);
    },

    desiredTimers(context) {
      const timers: Timer[] = [];
      for (const task of waiting.rows()) {
        const timer =
          task.state === TaskState.RetryWait ? retryTimer(task) : heartbeatTimer(task, dispatchedAt(task));
        if (timer !== undefined) timers.push(timer);
      }
      for (const run of canceling.rows()) {
        timers.push(terminateTimer(run.runId, context.clock.now().getTime() + TERMINATE_GRACE_MS));
      }
      if (pending.size > 0) {
        const now = context.clock.now().getTime();
        const fireAt = Math.ceil((now + RUN_REQUEST_SWEEP_MS) / RUN_REQUEST_SWEEP_MS) * RUN_REQUEST_SWEEP_MS;
        timers.push({
          timerId: timerIdFor('run_request_sweep', 'pending', fireAt),
          kind: 'run_request_sweep',
          subjectId: 'pending',
          fireAt,
        });
      }
      return timers;
    },
  };
  return { domain, reactor };
}

/** A cooperative termination that did not finish within its grace period is forced. */
async function forceTermination(context: AutomationContext, timer: Timer): Promise<void> {
  const run = context.tables().runs.get(timer.subjectId);
  if (run === undefined || run.status !== 'CANCELING' || run.forceCancel) return;
  const at = context.clock.now();
  await context.append([
    draft(
      'timer.fired.v1',
      {
        timerId: timer.timerId,
        kind: 'run_terminate',
        subjectId: timer.subjectId,
        fireAt: new Date(timer.fireAt).toISOString(),
      },
      at,
    ),
    draft(
      'run.cancel-requested.v1',
      {
        runId: run.runId,
        force: true,
        requestedBy: 'servo:terminate',
        reason: `running tasks did not stop within ${TERMINATE_GRACE_MS / 1000} s`,
      },
      at,
    ),
  ]);
}

/** Fails a task whose worker stopped heartbeating; reschedules the check when it is alive. */
async function checkHeartbeat(context: AutomationContext, timer: Timer): Promise<void> {
  const [runId, ...rest] = timer.subjectId.split('/');
  const taskKey = rest.join('/');
  const task = context.tables().tasks.get(compositeKey(runId ?? '', taskKey));
  if (task === undefined || task.attempt !== timer.attempt || task.attemptId === null) return;
  if (task.state !== TaskState.Running && task.state !== TaskState.Dispatched) return;
  const outbox = context.tables().dispatchOutbox.get(dispatchIdFor(task.runId, task.taskKey, task.attempt));
  const next = heartbeatTimer(task, outbox?.createdAt);
  const now = context.clock.now().getTime();
  if (next !== undefined && next.fireAt > now) {
    // It heartbeated since this check was set: check again at its new deadline.
    await context.schedule([next]);
    return;
  }
  const at = new Date(now);
  const silentFor = Math.round(
    (now - (task.lastHeartbeatAt ?? task.startedAt ?? outbox?.createdAt ?? now)) / 1000,
  );
  const message =
    task.state === TaskState.Dispatched
      ? `not started ${silentFor} s after it was dispatched: the delivery or the worker is presumed lost`
      : `no heartbeat for ${silentFor} s (timeout ${task.heartbeatTimeoutSeconds} s): the worker is presumed lost`;
  const drafts: EventDraft[] = [
    draft(
      'timer.fired.v1',
      {
        timerId: timer.timerId,
        kind: 'heartbeat_check',
        subjectId: timer.subjectId,
        fireAt: new Date(timer.fireAt).toISOString(),
        attempt: task.attempt,
      },
      at,
    ),
    draft(
      'task.finished.v1',
      {
        runId: task.runId,
        taskKey: task.taskKey,
        attempt: task.attempt,
        attemptId: task.attemptId,
        workerId: 'servo:heartbeat-check',
        outcome: 'FAILED',
        error: {
          message,
          category: task.state === TaskState.Dispatched ? 'INFRASTRUCTURE' : 'HEARTBEAT_TIMEOUT',
          retryable: true,
        },
      },
      at,
    ),
  ];
  await context.append(drafts);
  const retry = context.tables().tasks.get(compositeKey(task.runId, task.taskKey));
  const retryAt = retry === undefined ? undefined : retryTimer(retry);
  if (retryAt !== undefined) await context.schedule([retryAt]);
}
