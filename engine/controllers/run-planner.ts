import { canonicalJson } from '../model/canonical-json.js';
import { draft, type EventDraft } from '../model/catalog.js';
import type { TaskDefinition } from '../model/events/runs.js';
import { taskKeyFor } from '../model/ids.js';
import type { AssetDefinitionRow, RunKeyIndexRow } from '../projections/tables/index.js';

/** Task settings used when an asset definition does not set them. */
export const TASK_DEFAULTS = {
  maxAttempts: 3,
  retryBackoffSeconds: 30,
  heartbeatTimeoutSeconds: 300,
} as const;

/** Most tasks one run may have (its plan is one event, bounded in size). */
export const MAX_TASKS_PER_RUN = 4000;

export type AssetLookup = (assetKey: string) => AssetDefinitionRow | undefined;

export type PlanResult = { ok: true; tasks: TaskDefinition[] } | { ok: false; reason: string };

/**
 * Plans the tasks of a requested run from the asset graph: one task per asset × partition (one per
 * asset covering every partition in single-run mode, one per asset for unpartitioned assets), and
 * dependencies from each asset's upstream assets within the selection:
 * - upstream and downstream partitioned the same way → partition p depends on the upstream's
 *   partition p;
 * - otherwise (different partitionings, or either side unpartitioned) → every task of the asset
 *   depends on every task of the upstream asset in the run.
 * Pure; fails with a reason naming the problem (unknown asset, partitions missing, cycle).
 */
export function planRun(request: RunKeyIndexRow, assetOf: AssetLookup): PlanResult {
  const selection = [...new Set(request.assetSelection)];
  const definitions = new Map<string, AssetDefinitionRow>();
  for (const assetKey of selection) {
    const definition = assetOf(assetKey);
    if (definition === undefined)
      return { ok: false, reason: `asset ${assetKey} is not defined by any code location` };
    definitions.set(assetKey, definition);
  }
  const partitionKeys = request.partitionKeys ?? [];
  for (const [assetKey, definition] of definitions) {
    if (definition.partitions !== null && partitionKeys.length === 0) {
      return { ok: false, reason: `asset ${assetKey} is partitioned but the run request names no partition` };
    }
  }
  const partitionedAssets = [...definitions.values()].filter(
    (definition) => definition.partitions !== null,
  ).length;
  const taskCount =
    definitions.size - partitionedAssets + partitionedAssets * (request.singleRun ? 1 : partitionKeys.length);
  if (taskCount > MAX_TASKS_PER_RUN) {
    return {
      ok: false,
      reason: `the run would have ${taskCount} tasks; at most ${MAX_TASKS_PER_RUN} are allowed (request fewer partitions per run, or single-run)`,
    };
  }
  const order = topologicalOrder(selection, definitions);
  if (order === undefined)
    return { ok: false, reason: `the assets ${selection.join(', ')} depend on each other in a cycle` };

  const tasksOf = new Map<string, TaskDefinition[]>();
  const taskByPartition = new Map<string, Map<string, TaskDefinition>>();
  const tasks: TaskDefinition[] = [];
  for (const assetKey of order) {
    const definition = definitions.get(assetKey)!;
    const groups: (string[] | undefined)[] =
      definition.partitions === null
        ? [undefined]
        : request.singleRun
          ? [partitionKeys]
          : partitionKeys.map((key) => [key]);
    const own: TaskDefinition[] = [];
    for (const keys of groups) {
      const dependsOn: string[] = [];
      for (const upstreamKey of definition.dependsOn) {
        const upstreamTasks = tasksOf.get(upstreamKey);
        if (upstreamTasks === undefined) continue;
        const upstream = definitions.get(upstreamKey)!;
        if (
          alignedPartitions(definition, upstream) &&
          keys !== undefined &&
          keys.length === 1 &&
          !request.singleRun
        ) {
          const match = taskByPartition.get(upstreamKey)?.get(keys[0]!);
          if (match !== undefined) dependsOn.push(match.taskKey);
        } else {
          for (const task of upstreamTasks) dependsOn.push(task.taskKey);
        }
      }
      const task: TaskDefinition = {
        taskKey: taskKeyFor(assetKey, keys),
        assetKey,
        ...(keys === undefined ? {} : { partitionKeys: keys }),
        dependsOn,
        maxAttempts: definition.maxAttempts ?? TASK_DEFAULTS.maxAttempts,
        retryBackoffSeconds: definition.retryBackoffSeconds ?? TASK_DEFAULTS.retryBackoffSeconds,
        heartbeatTimeoutSeconds: definition.heartbeatTimeoutSeconds ?? TASK_DEFAULTS.heartbeatTimeoutSeconds,
        ...(definition.pool === null ? {} : { pool: definition.pool }),
        ...(definition.codeVersion === null ? {} : { codeVersion: definition.codeVersion }),
      };
      own.push(task);
      tasks.push(task);
    }
    tasksOf.set(assetKey, own);
    taskByPartition.set(
      assetKey,
      new Map(
        own.flatMap((task) =>
          task.partitionKeys?.length === 1 ? [[task.partitionKeys[0]!, task] as const] : [],
        ),
      ),
    );
  }
  return { ok: true, tasks };
}

function alignedPartitions(a: AssetDefinitionRow, b: AssetDefinitionRow): boolean {
  return (
    a.partitions !== null &&
    b.partitions !== null &&
    canonicalJson(a.partitions) === canonicalJson(b.partitions)
  );
}

/** Assets in dependency order (upstream first), or undefined when the selection has a cycle. */
function topologicalOrder(
  selection: string[],
  definitions: Map<string, AssetDefinitionRow>,
): string[] | undefined {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (assetKey: string): boolean => {
    const mark = state.get(assetKey);
    if (mark === 'done') return true;
    if (mark === 'visiting') return false;
    state.set(assetKey, 'visiting');
    for (const upstream of definitions.get(assetKey)?.dependsOn ?? []) {
      if (definitions.has(upstream) && !visit(upstream)) return false;
    }
    state.set(assetKey, 'done');
    order.push(assetKey);
    return true;
  };
  for (const assetKey of [...selection].sort()) if (!visit(assetKey)) return undefined;
  return order;
}

/**
 * The decision that turns a pending run request into a run: `RunTriggered` and its plan, or the
 * run ending FAILURE when it cannot be planned.
 */
export function triggerRunDrafts(request: RunKeyIndexRow, assetOf: AssetLookup, at: Date): EventDraft[] {
  const triggered = draft(
    'run.triggered.v1',
    {
      runId: request.runId,
      runKey: request.runKey,
      source: request.source,
      lane: request.lane as 'manual' | 'schedule' | 'sensor' | 'backfill',
      priority: request.priority,
      assetSelection: request.assetSelection,
      ...(request.partitionKeys === null ? {} : { partitionKeys: request.partitionKeys }),
      tags: request.tags,
      ...(request.codeVersion === null ? {} : { codeVersion: request.codeVersion }),
    },
    at,
  );
  const plan = planRun(request, assetOf);
  if (!plan.ok)
    return [triggered, draft('run.plan-failed.v1', { runId: request.runId, reason: plan.reason }, at)];
  return [triggered, draft('run.plan-created.v1', { runId: request.runId, tasks: plan.tasks }, at)];
}
