import type { Reactor } from '../automation/automation.js';
import { RowIndex } from '../automation/row-index.js';
import type { PayloadOf } from '../model/catalog.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { attemptIdFor, dispatchIdFor } from '../model/ids.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import { RunStatus, type TaskRow, TaskState } from '../projections/tables/index.js';

export type TaskOutcomeChooser = (task: TaskRow) => PayloadOf<'task.finished.v1'>['outcome'];

/**
 * A test executor standing in for admission, dispatch and workers: it admits every queued run,
 * dispatches every ready task and finishes it at once (outcome chosen per task), in large segments.
 * It lets automation tests drive thousands of runs to completion quickly; it is not how production
 * runs execute (see the dispatcher and the code-location protocol).
 */
export function createFastExecutor(
  projections: ProjectionStore,
  outcomeOf: TaskOutcomeChooser = () => 'SUCCEEDED',
  maxEventsPerSegment = 4000,
  /** Which steps it takes: admitting queued runs, and dispatching + finishing ready tasks. */
  steps: { admit?: boolean; dispatch?: boolean } = {},
): Reactor {
  const queued = new RowIndex(
    projections,
    'runs',
    (run) => run.status === RunStatus.Queued && run.taskKeys.length > 0,
  );
  const ready = new RowIndex(
    projections,
    'tasks',
    (task) => task.state === TaskState.Ready || task.state === TaskState.RetryWait,
  );
  return {
    name: 'fast-executor',
    async react(ctx) {
      const now = ctx.clock.now();
      let drafts: EventDraft[] = [];
      let did = false;
      const flush = async () => {
        if (drafts.length === 0) return;
        await ctx.append(drafts);
        drafts = [];
        did = true;
      };
      if (steps.admit !== false) {
        for (const run of queued.rows()) {
          drafts.push(draft('run.admitted.v1', { runId: run.runId, pools: [] }, now));
          if (drafts.length >= maxEventsPerSegment) await flush();
        }
        await flush();
      }
      if (steps.dispatch === false) return did;
      const tables = ctx.tables();
      for (const task of ready.rows()) {
        const run = tables.runs.get(task.runId);
        if (
          run === undefined ||
          (run.status !== RunStatus.Starting && run.status !== RunStatus.Started) ||
          run.cancelRequested
        )
          continue;
        if (task.state === TaskState.RetryWait && (task.retryNotBefore ?? 0) > now.getTime()) continue;
        const attempt = task.attempt + 1;
        const dispatchId = dispatchIdFor(task.runId, task.taskKey, attempt);
        const ref = {
          runId: task.runId,
          taskKey: task.taskKey,
          attempt,
          attemptId: attemptIdFor(dispatchId),
        };
        drafts.push(draft('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'test' }, now));
        const outcome = outcomeOf(task);
        drafts.push(
          draft(
            'task.finished.v1',
            {
              ...ref,
              workerId: 'fast-executor',
              outcome,
              ...(outcome === 'FAILED'
                ? {
                    error: {
                      message: 'failed by the test executor',
                      category: 'USER_CODE' as const,
                      retryable: false,
                    },
                  }
                : {}),
            },
            now,
          ),
        );
        if (drafts.length >= maxEventsPerSegment) await flush();
      }
      await flush();
      return did;
    },
  };
}
