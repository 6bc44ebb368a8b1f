import { z } from 'zod';
import type { AutomationContext } from '../automation/context.js';
import { TERMINATE_GRACE_MS, terminateTimer } from '../automation/tasks.js';
import { invalidInput, notFound } from '../errors.js';
import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { AssetKey, Lane, Name, PartitionKey, Tags } from '../model/common.js';
import { requestFingerprint } from '../model/fingerprint.js';
import { nextUlid } from '../model/ulid.js';
import type { RunRow } from '../projections/tables/index.js';
import { partitionSpaceOf } from '../queries/partitions.js';

export const RunRequestInput = z.object({
  assetSelection: z.array(AssetKey).min(1, 'select at least one asset').max(10_000),
  partitionKeys: z.array(PartitionKey).max(10_000).optional(),
  /** Instead of `partitionKeys`: every partition from `start` to `end` (inclusive) of the selection. */
  partitionRange: z.object({ start: PartitionKey, end: PartitionKey }).optional(),
  /** Idempotency: the same run key never requests a second run. Defaults to a fresh one. */
  runKey: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\x21-\x7e]+$/)
    .optional(),
  tags: Tags.optional(),
  lane: Lane.optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
});
export type RunRequestInput = z.input<typeof RunRequestInput>;

let lastId: string | undefined;

/**
 * Requests a run of assets (and partitions) by hand: validated against the asset definitions, then
 * recorded as a `RunRequested` in the manual lane under its run key. Returns the run id, which is
 * derived from the run key, so it is known before the run exists; `conflicting` when the run key
 * was already used for other work (the conflict is recorded, and the run id is the first request's).
 */
export async function requestRun(
  ctx: AutomationContext,
  input: RunRequestInput,
  actor: string,
): Promise<{ runId: string; runKey: string; conflicting: boolean }> {
  const parsed = RunRequestInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidInput(`invalid run request: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const value = parsed.data;
  if (value.partitionKeys !== undefined && value.partitionRange !== undefined) {
    throw invalidInput('name the partitions to run either as keys or as a range, not both');
  }
  await ctx.sync();
  const tables = ctx.tables();
  const now = ctx.clock.now().getTime();
  if (value.partitionRange !== undefined) {
    value.partitionKeys = partitionsInRange(tables, value.assetSelection, value.partitionRange, now);
  }
  for (const assetKey of value.assetSelection) {
    const asset = tables.assetDefinitions.get(assetKey);
    if (asset === undefined)
      throw notFound(`asset ${assetKey} is not defined by any code location`, { assetKey });
    if (asset.partitions === null) continue;
    if (value.partitionKeys === undefined || value.partitionKeys.length === 0) {
      throw invalidInput(`asset ${assetKey} is partitioned: name the partitions to run`);
    }
    const space = partitionSpaceOf(tables, asset.partitions, now, assetKey);
    for (const key of value.partitionKeys) space.indexOf(key);
  }
  lastId = nextUlid(lastId, now);
  const runKey = value.runKey ?? `manual:${lastId}`;
  const fingerprint = requestFingerprint({
    assetSelection: value.assetSelection,
    partitionKeys: value.partitionKeys,
  });
  await ctx.append([
    draft(
      'run.requested.v1',
      {
        runKey,
        requestFingerprint: fingerprint,
        assetSelection: value.assetSelection,
        ...(value.partitionKeys === undefined ? {} : { partitionKeys: value.partitionKeys }),
        source: { kind: 'manual', requestedBy: actor, requestId: lastId },
        lane: value.lane ?? 'manual',
        priority: value.priority ?? 0,
        tags: { ...(value.tags ?? {}), 'servo/requested_by': actor },
        singleRun: false,
      },
      new Date(now),
    ),
  ]);
  const conflicting = ctx.tables().runKeyIndex.get(runKey)?.requestFingerprint !== fingerprint;
  return { runId: ctx.workspace.runIdFor(runKey), runKey, conflicting };
}

/** Most partitions one run request may name. */
const MAX_RUN_PARTITIONS = 10_000;

/** The keys from `start` to `end` of the first partitioned asset of a selection, in order. */
function partitionsInRange(
  tables: ProjectionTables,
  assetSelection: readonly string[],
  range: { start: string; end: string },
  now: number,
): string[] {
  for (const assetKey of assetSelection) {
    const partitions = tables.assetDefinitions.get(assetKey)?.partitions;
    if (partitions === null || partitions === undefined) continue;
    const space = partitionSpaceOf(tables, partitions, now, assetKey);
    const from = space.indexOf(range.start);
    const to = space.indexOf(range.end);
    if (to < from) throw invalidInput(`the partition range ${range.start}..${range.end} is empty`);
    if (to - from + 1 > MAX_RUN_PARTITIONS) {
      throw invalidInput(
        `the partition range ${range.start}..${range.end} has ${to - from + 1} partitions; a run may have ${MAX_RUN_PARTITIONS} (launch a backfill instead)`,
      );
    }
    return [...space.keys(from, to + 1)];
  }
  throw invalidInput('a partition range needs a partitioned asset in the selection');
}

/**
 * Terminates runs: queued work is canceled at once; running tasks are asked to stop (cooperative),
 * or failed now (`force`). Already finished runs are skipped. Returns what happened to each run.
 */
export async function terminateRuns(
  ctx: AutomationContext,
  runIds: readonly string[],
  options: { force: boolean; reason?: string },
  actor: string,
): Promise<{ runId: string; outcome: 'terminating' | 'already-finished' | 'not-found' }[]> {
  await ctx.sync();
  const tables = ctx.tables();
  const drafts: EventDraft[] = [];
  const results: { runId: string; outcome: 'terminating' | 'already-finished' | 'not-found' }[] = [];
  const now = ctx.clock.now();
  for (const runId of runIds) {
    const run: RunRow | undefined = tables.runs.get(runId);
    if (run === undefined) results.push({ runId, outcome: 'not-found' });
    else if (isTerminalRun(run.status)) results.push({ runId, outcome: 'already-finished' });
    else {
      drafts.push(
        draft(
          'run.cancel-requested.v1',
          {
            runId,
            force: options.force,
            requestedBy: actor,
            ...(options.reason === undefined ? {} : { reason: options.reason }),
          },
          now,
        ),
      );
      results.push({ runId, outcome: 'terminating' });
    }
  }
  if (drafts.length > 0) await ctx.append(drafts);
  if (!options.force) {
    // Running tasks get a grace period to stop cooperatively; then they are forced.
    const fireAt = now.getTime() + TERMINATE_GRACE_MS;
    await ctx.schedule(
      results
        .filter((result) => result.outcome === 'terminating')
        .map((result) => terminateTimer(result.runId, fireAt)),
    );
  }
  return results;
}

/** Deletes finished runs from the run history. Unknown runs are skipped; running ones are refused. */
export async function deleteRun(ctx: AutomationContext, runId: string, actor: string): Promise<void> {
  await ctx.sync();
  const run = ctx.tables().runs.get(runId);
  if (run === undefined) throw notFound(`run ${runId} does not exist`, { runId });
  if (!isTerminalRun(run.status))
    throw invalidInput(`run ${runId} is ${run.status}; terminate it before deleting it`);
  await ctx.append([draft('run.deleted.v1', { runId, deletedBy: actor }, ctx.clock.now())]);
}

/** Adds keys to or deletes keys from a dynamic partitions definition. */
export async function changeDynamicPartitions(
  ctx: AutomationContext,
  input: { partitionsDefName: string; added?: string[]; deleted?: string[]; requestId?: string },
  actor: string,
): Promise<void> {
  const name = Name.safeParse(input.partitionsDefName);
  if (!name.success)
    throw invalidInput(`invalid partitions definition name ${JSON.stringify(input.partitionsDefName)}`);
  for (const key of [...(input.added ?? []), ...(input.deleted ?? [])]) {
    if (!PartitionKey.safeParse(key).success)
      throw invalidInput(`invalid partition key ${JSON.stringify(key)}`);
  }
  await ctx.sync();
  const usedBy = [...ctx.tables().assetDefinitions.values()].some((asset) => {
    const partitions = asset.partitions;
    if (partitions === null) return false;
    if (partitions.kind === 'dynamic') return partitions.name === input.partitionsDefName;
    return (
      partitions.kind === 'multi' &&
      partitions.dimensions.some(
        (dimension) =>
          dimension.partitions.kind === 'dynamic' && dimension.partitions.name === input.partitionsDefName,
      )
    );
  });
  if (!usedBy)
    throw notFound(`no asset uses a dynamic partitions definition named ${input.partitionsDefName}`);
  lastId = nextUlid(lastId, ctx.clock.now().getTime());
  await ctx.append([
    draft(
      'partitions.dynamic-changed.v1',
      {
        partitionsDefName: input.partitionsDefName,
        added: input.added ?? [],
        deleted: input.deleted ?? [],
        requestId: input.requestId ?? lastId,
        changedBy: actor,
      },
      ctx.clock.now(),
    ),
  ]);
}
