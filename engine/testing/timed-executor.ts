import type { Reactor } from '../automation/automation.js';
import type { AutomationContext, TimerDomain } from '../automation/context.js';
import { RowIndex } from '../automation/row-index.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { attemptIdFor, dispatchIdFor, timerIdFor } from '../model/ids.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import { compositeKey } from '../projections/table-def.js';
import { RunStatus, type TaskRow, TaskState } from '../projections/tables/index.js';
import type { Timer } from '../timers/timer-queue.js';
import type { TaskOutcomeChooser } from './fast-executor.js';

/** The worker id the timed executor reports; its running tasks are the ones it finishes. */
export const TIMED_WORKER_ID = 'timed-executor';

/**
 * The timer kind of "this task attempt is done". The executor plays the workers, which never go
 * silent, so it takes the heartbeat-check kind: do not register it next to createTaskTimers'
 * domain, which handles that kind too.
 */
const FINISH_KIND = 'heartbeat_check';

/** Events per segment it appends. */
const MAX_EVENTS_PER_SEGMENT = 4000;

export interface TimedExecutorOptions {
  /** Virtual time a task attempt runs, in ms. Default: one minute for every task. */
  durationOf?: (task: TaskRow) => number;
  /** Outcome of each attempt. Default: SUCCEEDED. A failure is reported as not retryable. */
  outcomeOf?: TaskOutcomeChooser;
}

export interface TimedExecutor {
  /** Dispatches and starts every READY task of an admitted run, and sets its finish timer. */
  readonly reactor: Reactor;
  /** Finishes attempts whose time is up (register it with the harness's domains). */
  readonly domain: TimerDomain;
  close(): void;
}

function finishTimer(task: TaskRow, fireAt: number): Timer {
  const subjectId = `${task.runId}/${task.taskKey}`;
  return {
    timerId: timerIdFor(FINISH_KIND, subjectId, fireAt, task.attempt),
    kind: FINISH_KIND,
    subjectId,
    fireAt,
    attempt: task.attempt,
  };
}

/**
 * A test executor standing in for dispatch and workers, with time: unlike the fast executor it
 * admits nothing (the admission reactor does), and each task it starts finishes only after its
 * duration has passed on the harness clock, so an admitted run holds its slots for a while. A
 * dispatched task is started in the same segment; its finish is a timer on the harness's timer
 * queue, so `advance` stops at every finish in due order and the finish happens at exactly
 * `startedAt + duration`. After a restart, anti-entropy recreates the finish timers of the tasks
 * it had started.
 */
export function createTimedExecutor(
  projections: ProjectionStore,
  options: TimedExecutorOptions = {},
): TimedExecutor {
  const durationOf = options.durationOf ?? (() => 60_000);
  const outcomeOf = options.outcomeOf ?? (() => 'SUCCEEDED');
  const admitted = new RowIndex(
    projections,
    'runs',
    (run) => (run.status === RunStatus.Starting || run.status === RunStatus.Started) && !run.cancelRequested,
  );
  const running = new RowIndex(
    projections,
    'tasks',
    (task) => task.state === TaskState.Running && task.workerId === TIMED_WORKER_ID,
  );

  const reactor: Reactor = {
    name: 'timed-executor',
    async react(ctx) {
      const tables = ctx.tables();
      const now = ctx.clock.now();
      const at = now.getTime();
      let drafts: EventDraft[] = [];
      let started: TaskRow[] = [];
      const flush = async () => {
        await ctx.append(drafts);
        await ctx.schedule(started.map((task) => finishTimer(task, at + durationOf(task))));
        drafts = [];
        started = [];
      };
      let did = false;
      for (const run of admitted.rows()) {
        for (const taskKey of run.taskKeys) {
          const task = tables.tasks.get(compositeKey(run.runId, taskKey));
          if (task?.state !== TaskState.Ready) continue;
          const attempt = task.attempt + 1;
          const dispatchId = dispatchIdFor(task.runId, task.taskKey, attempt);
          const ref = {
            runId: task.runId,
            taskKey: task.taskKey,
            attempt,
            attemptId: attemptIdFor(dispatchId),
          };
          drafts.push(draft('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'test' }, now));
          drafts.push(draft('task.started.v1', { ...ref, workerId: TIMED_WORKER_ID }, now));
          started.push({ ...task, attempt });
          did = true;
          if (drafts.length >= MAX_EVENTS_PER_SEGMENT) await flush();
        }
      }
      if (drafts.length > 0) await flush();
      return did;
    },
  };

  const finish = async (ctx: AutomationContext, timers: Timer[]) => {
    await ctx.sync();
    const tables = ctx.tables();
    const now = ctx.clock.now();
    const drafts: EventDraft[] = [];
    for (const timer of timers) {
      const slash = timer.subjectId.indexOf('/');
      const key = compositeKey(timer.subjectId.slice(0, slash), timer.subjectId.slice(slash + 1));
      const task = tables.tasks.get(key);
      if (task?.state !== TaskState.Running || task.attempt !== timer.attempt || task.attemptId === null)
        continue;
      const outcome = outcomeOf(task);
      const ref = {
        runId: task.runId,
        taskKey: task.taskKey,
        attempt: task.attempt,
        attemptId: task.attemptId,
      };
      drafts.push(
        draft(
          'task.finished.v1',
          {
            ...ref,
            workerId: TIMED_WORKER_ID,
            outcome,
            ...(outcome === 'FAILED'
              ? {
                  error: {
                    message: 'failed by the timed executor',
                    category: 'USER_CODE' as const,
                    retryable: false,
                  },
                }
              : {}),
          },
          now,
        ),
      );
    }
    for (let from = 0; from < drafts.length; from += MAX_EVENTS_PER_SEGMENT) {
      await ctx.append(drafts.slice(from, from + MAX_EVENTS_PER_SEGMENT));
    }
  };

  const domain: TimerDomain = {
    kinds: [FINISH_KIND],
    handle: (ctx, timer) => finish(ctx, [timer]),
    handleBatch: finish,
    desiredTimers() {
      const timers: Timer[] = [];
      for (const task of running.rows()) {
        if (task.startedAt !== null) timers.push(finishTimer(task, task.startedAt + durationOf(task)));
      }
      return timers;
    },
  };

  return {
    reactor,
    domain,
    close() {
      admitted.close();
      running.close();
    },
  };
}
