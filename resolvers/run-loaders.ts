import type DataLoader from 'dataloader';
import { compositeKey } from '../engine/projections/table-def.js';
import type { RunRow, TaskRow } from '../engine/projections/tables/index.js';
import { type QueuePlace, queuePlaces } from '../engine/queries/queue.js';
import { RunIndex } from '../engine/queries/runs.js';
import type { ApiContext, ApiWorkspace } from './context.js';
import { batchLoader } from './loaders.js';
import { registerRequestCache } from './request-caches.js';

/**
 * The run history's read model (engine/queries/runs.ts), one per workspace, built on first use and
 * kept current by the workspace's change feed for as long as the workspace is served.
 */
const indexes = new WeakMap<ApiWorkspace, RunIndex>();

export function runIndexOf(workspace: ApiWorkspace): RunIndex {
  let index = indexes.get(workspace);
  if (index === undefined) {
    index = new RunIndex({
      tables: () => workspace.automation.tables(),
      subscribe: (listener) => workspace.subscribe(listener),
    });
    indexes.set(workspace, index);
  }
  return index;
}

/** Lookups a page of runs needs for each run, batched: one projection read per kind and batch. */
export interface RunLoaders {
  /** A run's tasks, in plan order. */
  tasks: DataLoader<string, TaskRow[], string>;
  /** The code location a run belongs to. */
  codeLocation: DataLoader<string, string | null, string>;
  /** A queued run's place in the admission queue (undefined when not queued). */
  queuePlace: DataLoader<string, QueuePlace | undefined, string>;
  /** The newest runs of a schedule or sensor. */
  instigatorRuns: DataLoader<{ instigatorId: string; limit: number }, RunRow[], string>;
  instigatorRunsCount: DataLoader<string, number, string>;
}

const perRequest = new WeakMap<ApiContext, RunLoaders>();
registerRequestCache((context) => perRequest.delete(context));

/** The run loaders of one request (created with it, on first use). */
export function runLoaders(context: ApiContext): RunLoaders {
  let loaders = perRequest.get(context);
  if (loaders !== undefined) return loaders;
  const index = () => runIndexOf(context.workspace);
  loaders = {
    tasks: batchLoader(context.reads, (tables, runIds: readonly string[]) =>
      runIds.map((runId) => {
        const run = tables.runs.get(runId);
        if (run === undefined) return [];
        return run.taskKeys.flatMap((taskKey) => {
          const task = tables.tasks.get(compositeKey(runId, taskKey));
          return task === undefined ? [] : [task];
        });
      }),
    ),
    codeLocation: batchLoader(context.reads, (tables, runIds: readonly string[]) =>
      runIds.map((runId) => index().codeLocationOf(tables, runId)),
    ),
    queuePlace: batchLoader(context.reads, (tables, runIds: readonly string[]) => {
      const automation = context.workspace.automation;
      const places = queuePlaces(tables, automation.admission, context.now().getTime(), runIds);
      return runIds.map((runId) => places.get(runId));
    }),
    instigatorRuns: batchLoader(
      context.reads,
      (tables, keys: readonly { instigatorId: string; limit: number }[]) =>
        keys.map(({ instigatorId, limit }) => index().runsOf(tables, instigatorId, limit)),
      (key) => `${key.instigatorId}\u0000${key.limit}`,
    ),
    instigatorRunsCount: batchLoader(context.reads, (tables, instigatorIds: readonly string[]) =>
      instigatorIds.map((instigatorId) => index().runsCountOf(tables, instigatorId)),
    ),
  };
  perRequest.set(context, loaders);
  return loaders;
}
