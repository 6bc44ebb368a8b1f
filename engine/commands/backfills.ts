import { ulid } from 'ulid';
import { z } from 'zod';
import type { AutomationContext } from '../automation/context.js';
import {
  failedPartitionsOf,
  keyBytes,
  MAX_CHUNK_KEY_BYTES,
  resolveBackfillSelection,
  terminateDrafts,
  transitionDraft,
} from '../controllers/backfills.js';
import { MAX_TASKS_PER_RUN } from '../controllers/run-planner.js';
import { ErrorCode, illegalState, invalidInput, notFound, ServoError } from '../errors.js';
import { activeChunks } from '../fold/backfills.js';
import type { ProjectionTables } from '../fold/state.js';
import { canonicalJson } from '../model/canonical-json.js';
import { draft, type EventDraft, type PayloadOf } from '../model/catalog.js';
import { AssetKey, Id, PartitionSelector, PositiveInt, Tags } from '../model/common.js';
import type { BackfillState } from '../model/events/backfills.js';
import { backfillIdFor } from '../model/ids.js';
import type { BackfillRow } from '../projections/tables/index.js';

/**
 * Operator actions on backfills: launch, pause, resume, cancel and retry-failed. Each validates its
 * input and the current state, then appends one segment; an error appends nothing. Every action is
 * idempotent: launching or retrying with a request id already used returns the backfill it made,
 * and asking for the state a backfill is already in returns it unchanged.
 */

/** Most partitions a single-run backfill may select: its one chunk holds every key. */
export const MAX_SINGLE_RUN_PARTITIONS = 100_000;

/** Most failed partitions one retry lists (its explicit selector is stored in one event). */
export const MAX_RETRY_PARTITIONS = 100_000;

/** Attempts of a state change that lost a race with another writer before giving up. */
const MAX_TRANSITION_ATTEMPTS = 3;

export const LaunchBackfillInput = z.strictObject({
  assetSelection: z.array(AssetKey).min(1, 'select at least one asset').max(10_000),
  selector: PartitionSelector,
  /** Partitions per chunk (one run each). Default: the platform's (25). Not with `singleRun`. */
  chunkSize: PositiveInt.optional(),
  /** Chunk runs in flight at once. Default: the platform's (10). */
  maxConcurrentRuns: PositiveInt.max(10_000).optional(),
  /** One run for the whole selection, with outcomes still attributed per partition. */
  singleRun: z.boolean().optional(),
  title: z.string().max(1024).optional(),
  description: z.string().max(4096).optional(),
  tags: Tags.optional(),
  /** Idempotency token: the same request id never creates a second backfill. Default: a fresh ULID. */
  requestId: Id.optional(),
});
export type LaunchBackfillInput = z.input<typeof LaunchBackfillInput>;

const CancelOptions = z.strictObject({
  /** Also ask the backfill's running runs to stop; otherwise they finish and nothing new starts. */
  terminateRuns: z.boolean().optional(),
});
/** The retry's idempotency token (the child's request id is `retry:{parent}:{requestId}`). */
const RetryOptions = z.strictObject({ requestId: Id.max(256).optional() });

/** Validates and records a new backfill. Returns its id (the existing one for a used request id). */
export async function launchBackfill(ctx: AutomationContext, input: unknown, actor: string): Promise<string> {
  const request = parse(LaunchBackfillInput, input, 'backfill');
  const now = ctx.clock.now();
  const requestId = request.requestId ?? ulid(now.getTime());
  const { tenantId, workspaceId } = ctx.workspace.scope;
  const backfillId = backfillIdFor(tenantId, workspaceId, requestId);
  await ctx.sync();
  const existing = ctx.tables().backfills.get(backfillId);
  if (existing !== undefined) {
    const same =
      canonicalJson(existing.assetSelection) === canonicalJson(request.assetSelection) &&
      canonicalJson(existing.selector) === canonicalJson(request.selector);
    if (!same) {
      throw illegalState(
        `request id ${requestId} was already used for backfill ${backfillId}, which selects other partitions`,
        { backfillId, requestId },
      );
    }
    return backfillId;
  }
  const payload = createdPayload(ctx, request, { backfillId, requestId, actor, now: now.getTime() });
  await ctx.append([draft('backfill.created.v1', payload, now)]);
  return backfillId;
}

/** Stops planning new chunks; running chunks finish. A paused backfill is returned unchanged. */
export async function pauseBackfill(
  ctx: AutomationContext,
  backfillId: unknown,
  actor: string,
): Promise<BackfillRow> {
  return changeState(ctx, backfillId, actor, (row) => {
    if (row.state === 'PAUSED') return undefined;
    if (row.state !== 'REQUESTED') throw refused(row, 'paused', ['REQUESTED']);
    return { to: 'PAUSED', drafts: [] };
  });
}

/**
 * Continues planning where a PAUSED backfill stopped, or retries the planning of a FAILED one (whose
 * selection could not be resolved). A REQUESTED backfill is returned unchanged.
 */
export async function resumeBackfill(
  ctx: AutomationContext,
  backfillId: unknown,
  actor: string,
): Promise<BackfillRow> {
  return changeState(ctx, backfillId, actor, (row) => {
    if (row.state === 'REQUESTED') return undefined;
    if (row.state !== 'PAUSED' && row.state !== 'FAILED') throw refused(row, 'resumed', ['PAUSED', 'FAILED']);
    return { to: 'REQUESTED', drafts: [] };
  });
}

/**
 * Cancels a backfill: nothing new is planned, it is CANCELING while chunk runs are active and the
 * fold makes it CANCELED when none is. With `terminateRuns` the active runs are asked to stop in the
 * same segment (runs triggered later are stopped by the planner). Canceling a CANCELING or CANCELED
 * backfill changes nothing, except that `terminateRuns` still stops its active runs.
 */
export async function cancelBackfill(
  ctx: AutomationContext,
  backfillId: unknown,
  options: unknown,
  actor: string,
): Promise<BackfillRow> {
  const { terminateRuns = false } = parse(CancelOptions, options ?? {}, 'cancel options');
  return changeState(ctx, backfillId, actor, (row, tables, now) => {
    const stops = terminateRuns ? terminateDrafts(tables, row, actor, now) : [];
    if (row.state === 'CANCELING' || row.state === 'CANCELED') {
      return stops.length === 0 ? undefined : { drafts: stops };
    }
    if (row.state !== 'REQUESTED' && row.state !== 'PAUSED' && row.state !== 'FAILED') {
      throw refused(row, 'canceled', ['REQUESTED', 'PAUSED', 'FAILED']);
    }
    return { to: 'CANCELING', terminateRuns, drafts: stops };
  });
}

/**
 * Creates a child backfill of exactly the parent's failed partitions (an explicit selector in
 * partition-space order) with the parent's assets, chunking, concurrency and tags. The parent must
 * have ended (COMPLETED_FAILED, CANCELED or FAILED, no chunk still running) with failed partitions.
 * Idempotent by request id: the child's id is derived from `retry:{parent}:{requestId}`.
 */
export async function retryFailedBackfill(
  ctx: AutomationContext,
  backfillId: unknown,
  options: unknown,
  actor: string,
): Promise<string> {
  const parentId = parse(Id, backfillId, 'backfill id');
  const { requestId: given } = parse(RetryOptions, options ?? {}, 'retry options');
  const now = ctx.clock.now();
  const requestId = `retry:${parentId}:${given ?? ulid(now.getTime())}`;
  const { tenantId, workspaceId } = ctx.workspace.scope;
  const childId = backfillIdFor(tenantId, workspaceId, requestId);
  await ctx.sync();
  const tables = ctx.tables();
  const parent = tables.backfills.get(parentId);
  if (parent === undefined) throw notFound(`backfill ${parentId} does not exist`, { backfillId: parentId });
  if (tables.backfills.has(childId)) return childId;
  if (parent.state !== 'COMPLETED_FAILED' && parent.state !== 'CANCELED' && parent.state !== 'FAILED') {
    throw refused(parent, 'retried', ['COMPLETED_FAILED', 'CANCELED', 'FAILED']);
  }
  const active = activeChunks(parent);
  if (active > 0) {
    throw illegalState(
      `backfill ${parentId} still has ${active} chunk run${active === 1 ? '' : 's'} in flight; retry it when they have ended`,
      { backfillId: parentId, activeChunks: active },
    );
  }
  const failed = failedPartitionsOf(tables, parent, { tables, now: now.getTime() }, MAX_RETRY_PARTITIONS);
  if (failed.length === 0) {
    throw illegalState(`backfill ${parentId} has no failed partitions to retry`, { backfillId: parentId });
  }
  const bytes = keyBytes(failed);
  if (bytes > MAX_CHUNK_KEY_BYTES) {
    throw invalidInput(
      `the ${failed.length} failed partitions of backfill ${parentId} take ${bytes} bytes; a retry lists at most ${MAX_CHUNK_KEY_BYTES}`,
      { backfillId: parentId, bytes },
    );
  }
  const spec: BackfillSpec = {
    assetSelection: parent.assetSelection,
    selector: { kind: 'explicit', keys: failed },
    ...(parent.singleRun ? {} : { chunkSize: parent.chunkSize }),
    maxConcurrentRuns: parent.maxConcurrentRuns,
    singleRun: parent.singleRun,
    ...(parent.title === null ? {} : { title: parent.title }),
    ...(parent.description === null ? {} : { description: parent.description }),
    tags: parent.tags,
  };
  const payload = createdPayload(ctx, spec, { backfillId: childId, requestId, actor, now: now.getTime() });
  await ctx.append([
    draft(
      'backfill.created.v1',
      {
        ...payload,
        parentBackfillId: parentId,
        ...(parent.codeVersion === null ? {} : { codeVersion: parent.codeVersion }),
      },
      now,
    ),
  ]);
  return childId;
}

type BackfillSpec = Omit<z.infer<typeof LaunchBackfillInput>, 'requestId'>;

/** Validates a backfill against the definitions and limits: the `BackfillCreated` payload or a typed error. */
function createdPayload(
  ctx: AutomationContext,
  spec: BackfillSpec,
  ids: { backfillId: string; requestId: string; actor: string; now: number },
): PayloadOf<'backfill.created.v1'> {
  const { limits } = ctx;
  const assets = spec.assetSelection;
  const seen = new Set<string>();
  const repeated = assets.find((asset) => seen.has(asset) || !seen.add(asset));
  if (repeated !== undefined)
    throw invalidInput(`asset ${repeated} is selected twice`, { assetKey: repeated });
  const selection = resolveBackfillSelection(assets, spec.selector, { tables: ctx.tables(), now: ids.now });
  const total = selection.total;
  if (total > limits.maxBackfillPartitions) {
    throw invalidInput(
      `the selector selects ${total} partitions; a backfill may cover at most ${limits.maxBackfillPartitions}`,
      { totalPartitions: total, limit: limits.maxBackfillPartitions },
    );
  }
  const singleRun = spec.singleRun ?? false;
  let chunkSize: number;
  if (singleRun) {
    if (spec.chunkSize !== undefined) {
      throw invalidInput('a single-run backfill has one chunk of every partition; leave chunkSize out');
    }
    if (total > MAX_SINGLE_RUN_PARTITIONS) {
      throw invalidInput(
        `a single-run backfill covers at most ${MAX_SINGLE_RUN_PARTITIONS} partitions; the selector selects ${total}`,
        { totalPartitions: total, limit: MAX_SINGLE_RUN_PARTITIONS },
      );
    }
    if (assets.length > MAX_TASKS_PER_RUN) {
      throw invalidInput(
        `a run has at most ${MAX_TASKS_PER_RUN} tasks; ${assets.length} assets are selected`,
      );
    }
    chunkSize = total;
  } else {
    chunkSize = spec.chunkSize ?? limits.defaultBackfillChunkSize;
    const tasks = chunkSize * assets.length;
    if (tasks > MAX_TASKS_PER_RUN) {
      throw invalidInput(
        `a chunk of ${chunkSize} partitions × ${assets.length} asset${assets.length === 1 ? '' : 's'} would be a run of ${tasks} tasks; ` +
          `at most ${MAX_TASKS_PER_RUN} are allowed (use a smaller chunkSize, or singleRun)`,
        { chunkSize, assets: assets.length, limit: MAX_TASKS_PER_RUN },
      );
    }
  }
  const firstChunkBytes = keyBytes(singleRun ? selection.iterate() : selection.slice(0, chunkSize));
  if (firstChunkBytes > MAX_CHUNK_KEY_BYTES) {
    throw invalidInput(
      `a chunk of ${chunkSize} partitions holds ${firstChunkBytes} bytes of keys; at most ${MAX_CHUNK_KEY_BYTES} fit in one run`,
      { chunkSize, bytes: firstChunkBytes, limit: MAX_CHUNK_KEY_BYTES },
    );
  }
  return {
    backfillId: ids.backfillId,
    requestId: ids.requestId,
    assetSelection: assets,
    selector: spec.selector,
    totalPartitions: total,
    chunkSize,
    maxConcurrentRuns: spec.maxConcurrentRuns ?? limits.defaultBackfillMaxConcurrentRuns,
    singleRun,
    ...(spec.title === undefined ? {} : { title: spec.title }),
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: spec.tags ?? {},
    requestedBy: ids.actor,
  };
}

/** A transition to make (and events that go with it), or undefined when there is nothing to do. */
type Decision = { to?: BackfillState; terminateRuns?: boolean; drafts: EventDraft[] } | undefined;

/**
 * Decides from the current row and appends the decision. The fold applies a transition only from
 * the state and version it names; when another writer changed the backfill first, the decision is
 * made again from the new state (bounded).
 */
async function changeState(
  ctx: AutomationContext,
  backfillId: unknown,
  actor: string,
  decide: (row: BackfillRow, tables: ProjectionTables, now: Date) => Decision,
): Promise<BackfillRow> {
  const id = parse(Id, backfillId, 'backfill id');
  for (let attempt = 1; ; attempt++) {
    await ctx.sync();
    const tables = ctx.tables();
    const row = tables.backfills.get(id);
    if (row === undefined) throw notFound(`backfill ${id} does not exist`, { backfillId: id });
    const now = ctx.clock.now();
    const decision = decide(row, tables, now);
    if (decision === undefined) return row;
    const transition =
      decision.to === undefined
        ? undefined
        : transitionDraft(row, decision.to, actor, now, {
            ...(decision.terminateRuns === undefined ? {} : { terminateRuns: decision.terminateRuns }),
          });
    await ctx.append(transition === undefined ? decision.drafts : [transition, ...decision.drafts]);
    const after = ctx.tables().backfills.get(id) ?? row;
    if (transition === undefined || ctx.tables().idempotencyKeys.has(transition.idempotencyKey)) return after;
    if (attempt >= MAX_TRANSITION_ATTEMPTS) {
      const details = { backfillId: id, state: after.state };
      throw new ServoError(ErrorCode.Contention, `backfill ${id} kept changing; it is now ${after.state}`, {
        details,
      });
    }
  }
}

function refused(row: BackfillRow, wanted: string, from: readonly string[]): ServoError {
  const allowed = from.length === 1 ? `a ${from[0]}` : `a ${from.slice(0, -1).join(', ')} or ${from.at(-1)}`;
  const message = `backfill ${row.backfillId} is ${row.state}; only ${allowed} backfill can be ${wanted}`;
  return illegalState(message, { backfillId: row.backfillId, state: row.state });
}

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw invalidInput(`invalid ${what}: ${issues}`, { issues: parsed.error.issues.slice(0, 10) });
}
