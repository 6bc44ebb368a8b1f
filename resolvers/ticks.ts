import { userRunKey } from '../engine/controllers/sensors.js';
import { isServoError } from '../engine/errors.js';
import { instigatorId } from '../engine/model/ids.js';
import type { RunRow, TableName } from '../engine/projections/tables/index.js';
import {
  type TickHistoryQuery,
  type TickStatus,
  tickHistoryOf,
  tickIdOf,
  tickInstigatorId,
  tickStatusOf,
  tickTimeMs,
} from '../engine/queries/ticks.js';
import type { ApiContext } from './context.js';
import { badRequest } from './errors.js';
import {
  type AssetKeyModel,
  assetKeyOf,
  type InstigationStateModel,
  REPOSITORY_NAME,
  type TickModel,
} from './models.js';
import { requestLoader } from './request-loaders.js';
import { changedKeys } from './subscriptions.js';

/**
 * Ticks as Dagster's `InstigationTick` shows them: a schedule's ticks and a sensor's evaluations,
 * read from the tick history (engine/queries/ticks.ts), and the fields each tick derives.
 */

/** Ticks a page returns when the caller gives no limit. */
export const DEFAULT_TICK_LIMIT = 100;
/** Most ticks one page may ask for. */
export const MAX_TICK_LIMIT = 1000;

const DAY_MS = 86_400_000;

/** `InstigationState.ticks` arguments (Dagster's; timestamps in epoch seconds). */
export interface TicksArgs {
  dayRange?: number | null;
  dayOffset?: number | null;
  limit?: number | null;
  cursor?: string | null;
  statuses?: readonly TickStatus[] | null;
  beforeTimestamp?: number | null;
  afterTimestamp?: number | null;
}

/** A page size: the default when absent, BAD_USER_INPUT when not within 1…max. */
export function pageLimit(limit: number | null | undefined, fallback: number, max: number): number {
  if (limit === null || limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw badRequest(`limit must be an integer from 1 to ${max}, got ${limit}`, 'BAD_USER_INPUT', {
      limit,
      max,
    });
  }
  return limit;
}

function wholeDays(name: string, value: number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > 36_500) {
    throw badRequest(`${name} must be a whole number of days from 0 to 36500, got ${value}`);
  }
  return value;
}

/**
 * The tick-history query for `ticks(...)`: the window is the intersection of
 * `beforeTimestamp`/`afterTimestamp`, `dayOffset` (ends that many days ago) and `dayRange` (spans that
 * many days before the end), and the cursor (the last tick id of the previous page).
 */
export function tickQueryOf(
  context: ApiContext,
  state: InstigationStateModel,
  args: TicksArgs,
): TickHistoryQuery {
  const now = context.now().getTime();
  const dayOffset = wholeDays('dayOffset', args.dayOffset);
  const dayRange = wholeDays('dayRange', args.dayRange);
  let beforeMs = args.beforeTimestamp == null ? undefined : args.beforeTimestamp * 1000;
  if (dayOffset > 0) beforeMs = Math.min(beforeMs ?? Number.POSITIVE_INFINITY, now - dayOffset * DAY_MS);
  let afterMs = args.afterTimestamp == null ? undefined : args.afterTimestamp * 1000;
  if (dayRange > 0)
    afterMs = Math.max(afterMs ?? Number.NEGATIVE_INFINITY, now - (dayRange + dayOffset) * DAY_MS);
  return {
    instigationType: state.instigationType,
    instigatorId: state.instigatorId,
    limit: pageLimit(args.limit, DEFAULT_TICK_LIMIT, MAX_TICK_LIMIT),
    ...(args.statuses == null || args.statuses.length === 0 ? {} : { statuses: args.statuses }),
    ...(beforeMs === undefined ? {} : { beforeMs }),
    ...(afterMs === undefined ? {} : { afterMs }),
    ...(args.cursor == null || args.cursor === '' ? {} : { cursor: args.cursor }),
  };
}

/** Pages of tick history, every page a request asks for read in one batch. */
function tickPages(context: ApiContext) {
  return requestLoader<TickHistoryQuery, TickModel[] | Error>(
    context,
    'tickPages',
    (tables, queries) => {
      const history = tickHistoryOf(context.workspace.automation.workspace.projections);
      return queries.map((query) => {
        try {
          return history.page(tables, query);
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    },
    (query) => JSON.stringify(query),
  );
}

/** `InstigationState.ticks`: newest first. A bad cursor or window is a BAD_USER_INPUT error. */
export async function ticksOf(
  context: ApiContext,
  state: InstigationStateModel,
  args: TicksArgs,
): Promise<TickModel[]> {
  try {
    return (await tickPages(context).load(tickQueryOf(context, state, args))) as TickModel[];
  } catch (error) {
    if (isServoError(error)) throw badRequest(error.message);
    throw error;
  }
}

/** `InstigationState.tick(tickId)`: the tick, which must belong to this schedule or sensor. */
export async function tickOf(
  context: ApiContext,
  state: InstigationStateModel,
  tickId: string,
): Promise<TickModel> {
  const tick: TickModel | undefined =
    state.instigationType === 'SCHEDULE'
      ? await context.loaders.scheduleTick
          .load(tickId)
          .then((row) => (row === undefined ? undefined : { instigationType: 'SCHEDULE', row }))
      : await context.loaders.sensorEval
          .load(tickId)
          .then((row) => (row === undefined ? undefined : { instigationType: 'SENSOR', row }));
  if (tick === undefined || tickInstigatorId(tick) !== state.instigatorId) {
    throw badRequest(
      `${state.instigationType === 'SCHEDULE' ? 'schedule' : 'sensor'} ${state.instigatorId} has no tick ${tickId}`,
      'NOT_FOUND',
    );
  }
  return tick;
}

/** The newest tick of an instigator, if it has any (one batched read for a page of them). */
export async function latestTick(
  context: ApiContext,
  state: InstigationStateModel,
): Promise<TickModel | undefined> {
  return (await ticksOf(context, state, { limit: 1 }))[0];
}

export { tickIdOf, tickStatusOf };

/** Seconds since the epoch at which the tick was due (schedules, poll sensors) or evaluated (push). */
export function tickTimestamp(tick: TickModel): number {
  return tickTimeMs(tick) / 1000;
}

/** When the tick's decision was recorded, in epoch seconds. */
export function tickEndTimestamp(tick: TickModel): number {
  return (tick.instigationType === 'SCHEDULE' ? tick.row.recordedAt : tick.row.evaluatedAt) / 1000;
}

/** Run keys as the schedule or sensor chose them (a sensor's without Servo's sensor scope). */
export function tickRunKeys(tick: TickModel): string[] {
  if (tick.instigationType === 'SCHEDULE') return tick.row.runKeys;
  const sensorId = tick.row.sensorId;
  return tick.row.runKeys.map((key) => userRunKey(sensorId, key) ?? key);
}

/** A sensor evaluation's cursor after it; schedules have no cursor. */
export function tickCursor(tick: TickModel): string | null {
  return tick.instigationType === 'SENSOR' ? tick.row.cursorAfter : null;
}

/** The runs the tick requested that Servo still has (runs expire with retention). */
export async function tickRuns(context: ApiContext, tick: TickModel): Promise<RunRow[]> {
  const rows = await context.loaders.run.loadMany(tick.row.runIds);
  return rows.filter((row): row is RunRow => row !== undefined && !(row instanceof Error));
}

export interface RequestedMaterializations {
  assetKey: string;
  partitionKeys: string[];
}

/** The asset partitions the tick's runs materialize, by asset in selection order. */
export async function requestedMaterializations(
  context: ApiContext,
  tick: TickModel,
): Promise<RequestedMaterializations[]> {
  const byAsset = new Map<string, Set<string>>();
  for (const run of await tickRuns(context, tick)) {
    for (const assetKey of run.assetSelection) {
      let keys = byAsset.get(assetKey);
      if (keys === undefined) {
        keys = new Set();
        byAsset.set(assetKey, keys);
      }
      for (const partitionKey of run.partitionKeys ?? []) keys.add(partitionKey);
    }
  }
  return [...byAsset].map(([assetKey, keys]) => ({ assetKey, partitionKeys: [...keys] }));
}

/** The assets the tick's runs materialize, in selection order. */
export async function requestedAssetKeys(context: ApiContext, tick: TickModel): Promise<AssetKeyModel[]> {
  return (await requestedMaterializations(context, tick)).map((requested) => assetKeyOf(requested.assetKey));
}

/** Materializations requested: one per asset, times its partitions when it has any. */
export async function requestedMaterializationCount(context: ApiContext, tick: TickModel): Promise<number> {
  let count = 0;
  for (const run of await tickRuns(context, tick)) {
    count += run.assetSelection.length * Math.max(1, run.partitionKeys?.length ?? 0);
  }
  return count;
}

/**
 * `instigationTicks`: each new or changed tick of one schedule or sensor, as folded — whichever
 * Servo process recorded it. Listens from the moment it is called (before the first `next()`), so
 * nothing recorded after the subscription started is missed. Ends when the client unsubscribes.
 */
export function tickUpdates(
  context: ApiContext,
  selector: { repositoryName: string; repositoryLocationName: string; name: string },
): AsyncGenerator<TickModel> {
  if (selector.repositoryName !== REPOSITORY_NAME) {
    throw badRequest(
      `no repository ${selector.repositoryName}: every code location's repository is ${REPOSITORY_NAME}`,
    );
  }
  const id = instigatorId(selector.repositoryLocationName, selector.name);
  const batches = changedKeys(context.workspace, ['scheduleTicks', 'sensorEvals'], (_table, key) =>
    key.startsWith(`${id}:`),
  );
  return ticksOfBatches(context, id, batches);
}

async function* ticksOfBatches(
  context: ApiContext,
  id: string,
  batches: AsyncIterableIterator<Map<TableName, Set<string>>>,
): AsyncGenerator<TickModel> {
  try {
    for await (const batch of batches) {
      const ticks = context.reads.read((tables) => {
        const found: TickModel[] = [];
        for (const key of batch.get('scheduleTicks') ?? []) {
          const row = tables.scheduleTicks.get(key);
          if (row?.scheduleId === id) found.push({ instigationType: 'SCHEDULE', row });
        }
        for (const key of batch.get('sensorEvals') ?? []) {
          const row = tables.sensorEvals.get(key);
          if (row?.sensorId === id) found.push({ instigationType: 'SENSOR', row });
        }
        return found.sort((a, b) => tickTimeMs(a) - tickTimeMs(b));
      });
      yield* ticks;
    }
  } finally {
    await batches.return?.();
  }
}
