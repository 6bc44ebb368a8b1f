import { ErrorCode, invalidInput, isServoError, notFound, ServoError } from '../errors.js';
import { activeChunks } from '../fold/backfills.js';
import { isTerminalRun } from '../fold/runs.js';
import type { ProjectionTables } from '../fold/state.js';
import { canonicalJson } from '../model/canonical-json.js';
import { draft, type EventDraft } from '../model/catalog.js';
import type { PartitionSelector, PartitionsDefinition } from '../model/common.js';
import type { BackfillState } from '../model/events/backfills.js';
import { requestFingerprint } from '../model/fingerprint.js';
import { backfillChunkId, backfillChunkRunKey } from '../model/ids.js';
import { type PartitionSpace, type ResolvedSelection, resolveSelector } from '../model/partitions/index.js';
import type { BackfillChunkRow, BackfillRow } from '../projections/tables/index.js';
import { ChunkState } from '../projections/tables/index.js';
import { partitionSpaceOf } from '../queries/partitions.js';

/**
 * Backfill decisions, pure: which chunks to plan next, when a backfill can no longer be planned,
 * which runs a cancel terminates and which partitions a retry covers. Partitions are never listed
 * whole: chunk k is `slice(k × chunkSize, chunkSize)` of the lazily resolved selection, so planning
 * a million-partition backfill holds one chunk's keys at a time.
 */

/** Tag every backfill run carries, as in Dagster. */
export const BACKFILL_TAG = 'dagster/backfill';

/**
 * Upper bound on the UTF-8 size of one chunk's keys. A chunk's keys travel in its plan, its run
 * request, its run and its tasks, each one event of at most 2 MiB; a chunk over this bound fails the
 * backfill with a reason instead of failing every append.
 */
export const MAX_CHUNK_KEY_BYTES = 1024 * 1024;

/** Who system-made backfill transitions name. */
export const PLANNER_ACTOR = 'system:backfill-planner';

/** The selection a backfill plans from, or why it can no longer be resolved. */
export type BackfillSelection = ResolvedSelection | { readonly unresolvable: string };

/** What resolving a backfill's selection reads: asset definitions, dynamic partitions, the time. */
export interface SelectionInputs {
  tables: ProjectionTables;
  /** Epoch ms: time-window spaces hold the windows complete at `now`. */
  now: number;
}

/**
 * The one partitions definition a backfill's assets share, and its space. Throws `NOT_FOUND` for an
 * undefined asset and `INVALID_INPUT` for an unpartitioned one or for assets partitioned differently.
 */
export function backfillSpace(
  assetSelection: readonly string[],
  { tables, now }: SelectionInputs,
): { definition: PartitionsDefinition; space: PartitionSpace } {
  let first: { assetKey: string; definition: PartitionsDefinition; canonical: string } | undefined;
  const differing: string[] = [];
  for (const assetKey of assetSelection) {
    const asset = tables.assetDefinitions.get(assetKey);
    if (asset === undefined) {
      throw notFound(`asset ${assetKey} is not defined by any code location`, { assetKey });
    }
    if (asset.partitions === null) {
      throw invalidInput(
        `asset ${assetKey} is not partitioned; a backfill selects partitions of its assets`,
        {
          assetKey,
        },
      );
    }
    const canonical = canonicalJson(asset.partitions);
    if (first === undefined) first = { assetKey, definition: asset.partitions, canonical };
    else if (canonical !== first.canonical) differing.push(assetKey);
  }
  if (first === undefined) throw invalidInput('a backfill selects at least one asset');
  if (differing.length > 0) {
    throw invalidInput(
      `the assets of a backfill must share one partitions definition: ${differing.join(', ')} ` +
        `${differing.length === 1 ? 'is' : 'are'} partitioned differently from ${first.assetKey}`,
      { assetKey: first.assetKey, differing },
    );
  }
  const label =
    assetSelection.length === 1 ? `asset ${first.assetKey}` : `assets ${assetSelection.join(', ')}`;
  return { definition: first.definition, space: partitionSpaceOf(tables, first.definition, now, label) };
}

/** Resolves a backfill's selector against its assets' space; throws typed errors. */
export function resolveBackfillSelection(
  assetSelection: readonly string[],
  selector: PartitionSelector,
  inputs: SelectionInputs,
): ResolvedSelection {
  return resolveSelector(backfillSpace(assetSelection, inputs).space, selector);
}

/** As `resolveBackfillSelection`, but an expected failure becomes the reason the backfill stops. */
export function backfillSelection(backfill: BackfillRow, inputs: SelectionInputs): BackfillSelection {
  try {
    return resolveBackfillSelection(backfill.assetSelection, backfill.selector, inputs);
  } catch (error) {
    if (isServoError(error, ErrorCode.InvalidInput) || isServoError(error, ErrorCode.NotFound)) {
      return { unresolvable: error.message };
    }
    throw error;
  }
}

/** UTF-8 size of a list of keys as JSON strings (quotes and commas included). */
export function keyBytes(keys: Iterable<string>): number {
  let bytes = 0;
  for (const key of keys) bytes += Buffer.byteLength(key) + 3;
  return bytes;
}

export interface PlanChunksOptions {
  /** Most chunks this call plans, whatever the free slots: bounds one segment. Default: no bound. */
  maxChunks?: number;
  /** Who a FAILED transition names. Default `system:backfill-planner`. */
  actor?: string;
}

/**
 * The next chunks of a REQUESTED backfill: from chunk `plannedChunks` on, while fewer than
 * `maxConcurrentRuns` chunks are active and chunks remain, a `BackfillChunkPlanned` and its
 * `RunRequested` (run key `backfill:{id}:chunk:{i}`, lane `backfill`, tagged `dagster/backfill`).
 * Chunks come in index order, so several may share a segment: the fold applies them in order and
 * drops any that a concurrent planner, pause or cancel got ahead of, with their run requests.
 *
 * A selection that no longer resolves (an asset was removed or repartitioned, an explicit dynamic
 * key was deleted), that now selects fewer partitions than when the backfill was created, or whose
 * next chunk is too large for an event, makes instead one `BackfillStateChanged` REQUESTED → FAILED
 * with the reason. Chunks already planned run on; resuming retries the planning.
 */
export function planChunks(
  backfill: BackfillRow,
  selection: BackfillSelection,
  active: number,
  now: Date,
  options: PlanChunksOptions = {},
): EventDraft[] {
  if (backfill.state !== 'REQUESTED' || backfill.plannedChunks >= backfill.totalChunks) return [];
  const actor = options.actor ?? PLANNER_ACTOR;
  if ('unresolvable' in selection) return [failedDraft(backfill, selection.unresolvable, actor, now)];
  if (selection.total < backfill.totalPartitions) {
    const reason =
      `the selector now selects ${selection.total} partitions, fewer than the ${backfill.totalPartitions} ` +
      'it selected when the backfill was created (were partitions deleted?)';
    return [failedDraft(backfill, reason, actor, now)];
  }
  const count = Math.min(
    backfill.maxConcurrentRuns - active,
    backfill.totalChunks - backfill.plannedChunks,
    options.maxChunks ?? Number.POSITIVE_INFINITY,
  );
  const drafts: EventDraft[] = [];
  for (let index = backfill.plannedChunks; index < backfill.plannedChunks + count; index++) {
    const offset = index * backfill.chunkSize;
    const keys = selection.slice(offset, Math.min(backfill.chunkSize, backfill.totalPartitions - offset));
    const bytes = keyBytes(keys);
    if (bytes > MAX_CHUNK_KEY_BYTES) {
      const reason = `chunk ${index} holds ${bytes} bytes of partition keys; at most ${MAX_CHUNK_KEY_BYTES} fit in one run (use a smaller chunk size)`;
      // Chunks before it in this call still stand; the failure follows them in the same segment.
      drafts.push(failedDraft(backfill, reason, actor, now));
      return drafts;
    }
    drafts.push(...chunkDrafts(backfill, index, keys, now));
  }
  return drafts;
}

/** The plan of chunk `index` and its run request. */
export function chunkDrafts(backfill: BackfillRow, index: number, keys: string[], now: Date): EventDraft[] {
  const runKey = backfillChunkRunKey(backfill.backfillId, index);
  const chunkId = backfillChunkId(backfill.backfillId, index);
  const content = {
    assetSelection: backfill.assetSelection,
    partitionKeys: keys,
    singleRun: backfill.singleRun,
  };
  return [
    draft(
      'backfill.chunk-planned.v1',
      { backfillId: backfill.backfillId, chunkId, chunkIndex: index, partitionKeys: keys, runKey },
      now,
    ),
    draft(
      'run.requested.v1',
      {
        runKey,
        requestFingerprint: requestFingerprint(content),
        assetSelection: backfill.assetSelection,
        partitionKeys: keys,
        source: { kind: 'backfill', backfillId: backfill.backfillId, chunkId },
        lane: 'backfill',
        priority: 0,
        tags: { ...backfill.tags, [BACKFILL_TAG]: backfill.backfillId },
        ...(backfill.codeVersion === null ? {} : { codeVersion: backfill.codeVersion }),
        singleRun: backfill.singleRun,
      },
      now,
    ),
  ];
}

function failedDraft(backfill: BackfillRow, reason: string, actor: string, now: Date): EventDraft {
  return transitionDraft(backfill, 'FAILED', actor, now, { reason: reason.slice(0, 4096) });
}

/** A `BackfillStateChanged` from the backfill's current state and version to `to`. */
export function transitionDraft(
  backfill: BackfillRow,
  to: BackfillState,
  actor: string,
  now: Date,
  extra: { terminateRuns?: boolean; reason?: string } = {},
): EventDraft {
  return draft(
    'backfill.state-changed.v1',
    {
      backfillId: backfill.backfillId,
      fromState: backfill.state as BackfillState,
      toState: to,
      stateVersion: backfill.stateVersion + 1,
      changedBy: actor,
      ...extra,
    },
    now,
  );
}

/** Planned chunks of a backfill, in index order, looked up by id (never a table scan). */
export function* chunksOf(
  tables: ProjectionTables,
  backfill: BackfillRow,
  from = 0,
): Generator<BackfillChunkRow> {
  for (let index = from; index < backfill.plannedChunks; index++) {
    const chunk = tables.backfillChunks.get(backfillChunkId(backfill.backfillId, index));
    if (chunk !== undefined) yield chunk;
  }
}

/**
 * Cooperative cancel requests for every run of the backfill's chunks that exists, has not ended and
 * was not asked to stop yet. Chunks whose run is not triggered yet are caught when it is.
 */
export function terminateDrafts(
  tables: ProjectionTables,
  backfill: BackfillRow,
  actor: string,
  now: Date,
): EventDraft[] {
  const drafts: EventDraft[] = [];
  if (activeChunks(backfill) === 0) return drafts;
  for (const chunk of chunksOf(tables, backfill)) {
    if (chunk.state !== ChunkState.Planned && chunk.state !== ChunkState.Running) continue;
    const run = tables.runs.get(chunk.runId);
    if (run === undefined || isTerminalRun(run.status) || run.cancelRequested) continue;
    drafts.push(
      draft(
        'run.cancel-requested.v1',
        {
          runId: run.runId,
          force: false,
          requestedBy: actor,
          reason: `backfill ${backfill.backfillId} was canceled`,
        },
        now,
      ),
    );
  }
  return drafts;
}

/**
 * The failed partitions of a backfill (the `failedPartitions` of its FAILED chunks), each once, in
 * the order of its assets' partition space. Throws `INVALID_INPUT` naming a key that is no longer a
 * partition of that space.
 */
export function failedPartitionsOf(
  tables: ProjectionTables,
  backfill: BackfillRow,
  inputs: SelectionInputs,
  limit: number,
): string[] {
  const { space } = backfillSpace(backfill.assetSelection, inputs);
  const positions = new Map<string, number>();
  for (const chunk of chunksOf(tables, backfill)) {
    if (chunk.state !== ChunkState.Failed) continue;
    for (const key of chunk.failedPartitions) {
      if (positions.has(key)) continue;
      if (positions.size >= limit) {
        throw new ServoError(
          ErrorCode.InvalidInput,
          `backfill ${backfill.backfillId} has more than ${limit} failed partitions; a retry lists at most ${limit}`,
          { details: { backfillId: backfill.backfillId, limit } },
        );
      }
      positions.set(key, space.indexOf(key));
    }
  }
  return [...positions.entries()].sort((a, b) => a[1] - b[1]).map(([key]) => key);
}
