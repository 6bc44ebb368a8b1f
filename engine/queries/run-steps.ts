import { isUlid, ulidTime } from '../model/ulid.js';
import { type TaskRow, TaskState } from '../projections/tables/index.js';

/**
 * A run's tasks as Dagster's step statistics: one step per task (an asset, for its partitions),
 * with its status and attempts. A task row keeps its latest attempt's times only, so earlier
 * attempts of a retried task are listed with unknown (null) times: their number is known, their
 * times are not.
 */

export type StepStatus = 'SKIPPED' | 'SUCCESS' | 'FAILURE' | 'IN_PROGRESS';

/** One attempt, in epoch ms; null when not known or not happened yet. */
export interface StepAttempt {
  startedAt: number | null;
  endedAt: number | null;
}

export interface StepStats {
  runId: string;
  stepKey: string;
  /** Null until the step's first attempt starts. */
  status: StepStatus | null;
  /** When its latest attempt started. */
  startedAt: number | null;
  endedAt: number | null;
  attempts: StepAttempt[];
}

function stepStatus(task: TaskRow): StepStatus | null {
  switch (task.state) {
    case TaskState.Succeeded:
      return 'SUCCESS';
    case TaskState.Failed:
      return 'FAILURE';
    case TaskState.Skipped:
      return 'SKIPPED';
    case TaskState.Canceled:
      // Terminated while it ran, or before it ever did.
      return task.startedAt === null ? 'SKIPPED' : 'FAILURE';
    case TaskState.Running:
    case TaskState.RetryWait:
      return 'IN_PROGRESS';
    case TaskState.Dispatched:
      return task.attempt > 1 ? 'IN_PROGRESS' : null;
    default:
      return null;
  }
}

/** Attempts that began: a dispatched attempt has not yet, a canceled task may never have. */
function attemptsMade(task: TaskRow): number {
  if (task.state === TaskState.Dispatched) return task.attempt - 1;
  if (task.state === TaskState.Canceled && task.startedAt === null) return 0;
  return task.attempt;
}

export function stepStatsOf(task: TaskRow): StepStats {
  const made = attemptsMade(task);
  const attempts: StepAttempt[] = [];
  for (let attempt = 1; attempt < made; attempt++) attempts.push({ startedAt: null, endedAt: null });
  if (made > 0) {
    // A failed attempt waiting for its retry ended when the task last changed.
    const endedAt =
      task.state === TaskState.RetryWait && isUlid(task.rowVersion)
        ? ulidTime(task.rowVersion)
        : task.endedAt;
    attempts.push({
      startedAt: task.startedAt,
      endedAt: task.state === TaskState.Dispatched ? null : endedAt,
    });
  }
  return {
    runId: task.runId,
    stepKey: task.taskKey,
    status: stepStatus(task),
    startedAt: task.startedAt,
    endedAt: task.endedAt,
    attempts,
  };
}
