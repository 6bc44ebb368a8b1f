import { triggerRunDrafts } from '../controllers/run-planner.js';
import type { EventDraft } from '../model/catalog.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import type { Reactor } from './automation.js';
import { RowIndex } from './row-index.js';

/** Bounds of one segment of triggered runs: each run is its own decision, several share a write. */
const MAX_RUNS_PER_SEGMENT = 50;
const MAX_TASKS_PER_SEGMENT = 5000;

/**
 * Turns pending run requests (`RunRequested` folded into the run-key index, not yet triggered)
 * into runs: `RunTriggered` + `PlanCreated` (or `PlanFailed`), oldest request first. Idempotent:
 * a run key is triggered once (`run:{runKey}`), so two processes doing this at once create one run.
 */
export function createRunRequestReactor(projections: ProjectionStore): Reactor {
  const pending = new RowIndex(projections, 'runKeyIndex', (row) => row.status === 'PENDING');
  return {
    name: 'run-requests',
    async react(ctx) {
      await ctx.sync();
      if (pending.size === 0) return false;
      const tables = ctx.tables();
      const requests = [...pending.rows()].sort(
        (a, b) => a.requestedAt - b.requestedAt || (a.runKey < b.runKey ? -1 : a.runKey > b.runKey ? 1 : 0),
      );
      if (requests.length === 0) return false;
      const now = ctx.clock.now();
      let batch: EventDraft[] = [];
      let batchRuns = 0;
      let batchTasks = 0;
      let runs = 0;
      for (const request of requests) {
        if (tables.runs.has(request.runId)) continue;
        const drafts = triggerRunDrafts(request, (key) => tables.assetDefinitions.get(key), now);
        const tasks = drafts[1]?.type === 'run.plan-created.v1' ? drafts[1].payload.tasks.length : 0;
        if (
          batchRuns > 0 &&
          (batchRuns >= MAX_RUNS_PER_SEGMENT || batchTasks + tasks > MAX_TASKS_PER_SEGMENT)
        ) {
          await ctx.append(batch);
          batch = [];
          batchRuns = 0;
          batchTasks = 0;
        }
        batch.push(...drafts);
        batchRuns += 1;
        batchTasks += tasks;
        runs += 1;
      }
      if (batch.length > 0) await ctx.append(batch);
      return runs > 0;
    },
  };
}
