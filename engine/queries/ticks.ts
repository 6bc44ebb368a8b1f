import { invalidInput } from '../errors.js';
import type { ProjectionTables } from '../fold/state.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import type { ScheduleTickRow, SensorEvalRow } from '../projections/tables/index.js';
import { SortedBlocks } from './sorted-blocks.js';

/**
 * The tick history of schedules and sensors: a schedule's ticks (`scheduleTicks`) and a sensor's
 * evaluations (`sensorEvals`) as one kind of record, newest first, filtered by status and time and
 * paged by cursor. The order is kept in an index fed by the projection store's change feed, so a
 * page costs O(page + log n) whatever the number of ticks.
 */

/** Tick statuses as clients see them (Dagster's `InstigationTickStatus`). */
export const TICK_STATUSES = ['STARTED', 'SKIPPED', 'SUCCESS', 'FAILURE'] as const;
export type TickStatus = (typeof TICK_STATUSES)[number];

export type InstigatorType = 'SCHEDULE' | 'SENSOR';

/** A schedule tick or a sensor evaluation. */
export type TickRecord =
  | { readonly instigationType: 'SCHEDULE'; readonly row: ScheduleTickRow }
  | { readonly instigationType: 'SENSOR'; readonly row: SensorEvalRow };

/** The tick's id: the schedule tick id or the sensor evaluation id. */
export function tickIdOf(tick: TickRecord): string {
  return tick.instigationType === 'SCHEDULE' ? tick.row.tickId : tick.row.evalId;
}

/** The schedule or sensor id (`{codeLocation}:{name}`) the tick belongs to. */
export function tickInstigatorId(tick: TickRecord): string {
  return tick.instigationType === 'SCHEDULE' ? tick.row.scheduleId : tick.row.sensorId;
}

/**
 * When the tick happened, in epoch ms: a schedule tick's due time; a poll evaluation's due time; a
 * push evaluation's evaluation time. The history is ordered by it.
 */
export function tickTimeMs(tick: TickRecord): number {
  return tick.instigationType === 'SCHEDULE'
    ? tick.row.scheduledFor
    : (tick.row.dueAt ?? tick.row.evaluatedAt);
}

/** Recorded statuses are SUCCESS, SKIPPED and FAILURE; a stale sensor evaluation is SKIPPED. */
export function tickStatusOf(tick: TickRecord): TickStatus {
  return statusOfRecorded(tick.row.status);
}

function statusOfRecorded(status: string): TickStatus {
  return status === 'SUCCESS' || status === 'FAILURE' || status === 'STARTED' ? status : 'SKIPPED';
}

export interface TickHistoryQuery {
  instigationType: InstigatorType;
  /** The schedule or sensor id. */
  instigatorId: string;
  /** Only these statuses (every status when undefined or empty). */
  statuses?: readonly TickStatus[];
  /** Only ticks strictly before this instant (epoch ms). */
  beforeMs?: number;
  /** Only ticks strictly after this instant (epoch ms). */
  afterMs?: number;
  /**
   * The id of the last tick of the previous page: the page continues with the ticks older than it.
   * An id of a tick that no longer exists is accepted when it ends in `:{epochSeconds}` (every cron
   * tick and poll evaluation id does): the page continues before that second.
   */
  cursor?: string;
  /** Ticks to return, at least 1. */
  limit: number;
}

/** Where a page starts or ends (a cursor, `beforeMs`): a time and a tick id, like a tick's place. */
class Bound {
  constructor(
    readonly timeMs: number,
    readonly key: string,
  ) {}
}

function comparePlaces(timeMs: number, key: string, otherTimeMs: number, otherKey: string): number {
  return timeMs - otherTimeMs || (key < otherKey ? -1 : key > otherKey ? 1 : 0);
}

/**
 * How one kind of tick is indexed. The index holds the rows themselves (rows are immutable values,
 * so a row keeps its place until the table replaces it): no entry object per tick.
 */
interface TickKind<R extends { status: string }> {
  readonly type: InstigatorType;
  readonly table: 'scheduleTicks' | 'sensorEvals';
  /** The same reads as `tickIdOf`, `tickInstigatorId` and `tickTimeMs`. */
  keyOf(row: R): string;
  instigatorOf(row: R): string;
  timeOf(row: R): number;
  /** Tick order (time, then id) between a row and a row or bound. */
  compare(row: R, other: R | Bound): number;
}

const SCHEDULE_TICKS: TickKind<ScheduleTickRow> = {
  type: 'SCHEDULE',
  table: 'scheduleTicks',
  keyOf: (row) => row.tickId,
  instigatorOf: (row) => row.scheduleId,
  timeOf: (row) => row.scheduledFor,
  compare: (row, other) =>
    other instanceof Bound
      ? comparePlaces(row.scheduledFor, row.tickId, other.timeMs, other.key)
      : comparePlaces(row.scheduledFor, row.tickId, other.scheduledFor, other.tickId),
};

const SENSOR_EVALS: TickKind<SensorEvalRow> = {
  type: 'SENSOR',
  table: 'sensorEvals',
  keyOf: (row) => row.evalId,
  instigatorOf: (row) => row.sensorId,
  timeOf: (row) => row.dueAt ?? row.evaluatedAt,
  compare: (row, other) =>
    other instanceof Bound
      ? comparePlaces(row.dueAt ?? row.evaluatedAt, row.evalId, other.timeMs, other.key)
      : comparePlaces(
          row.dueAt ?? row.evaluatedAt,
          row.evalId,
          other.dueAt ?? other.evaluatedAt,
          other.evalId,
        ),
};

/**
 * The index behind the tick history: per schedule or sensor and status, its ticks in time order.
 * It is built from the tables once and kept current from the change feed (a new tick, a tick
 * expired by retention), like `RowIndex`.
 */
export class TickHistory {
  private readonly schedules = new TickIndex(SCHEDULE_TICKS);
  private readonly sensors = new TickIndex(SENSOR_EVALS);
  private readonly unsubscribe: () => void;

  constructor(private readonly projections: Pick<ProjectionStore, 'state' | 'subscribe'>) {
    this.rescan();
    this.unsubscribe = projections.subscribe((changes) => {
      const tables = this.projections.state.tables;
      for (const key of changes.tables.get('scheduleTicks') ?? [])
        this.schedules.refresh(key, tables.scheduleTicks.get(key));
      for (const key of changes.tables.get('sensorEvals') ?? [])
        this.sensors.refresh(key, tables.sensorEvals.get(key));
    });
  }

  /** Re-reads every tick (after a reload or rebuild of the projections). */
  rescan(): void {
    const tables = this.projections.state.tables;
    this.schedules.load(tables.scheduleTicks.entries());
    this.sensors.load(tables.sensorEvals.entries());
  }

  /** Ticks held (both kinds). */
  get size(): number {
    return this.schedules.size + this.sensors.size;
  }

  /**
   * One page of an instigator's ticks, newest first (ties by id, descending). Reads only the rows
   * it returns. Throws INVALID_INPUT for a bad limit or an unreadable cursor.
   */
  page(tables: ProjectionTables, query: TickHistoryQuery): TickRecord[] {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw invalidInput(`limit must be a positive integer, got ${query.limit}`, { limit: query.limit });
    }
    return query.instigationType === 'SCHEDULE'
      ? this.schedules.page(query).flatMap((key) => {
          const row = tables.scheduleTicks.get(key);
          return row === undefined ? [] : [{ instigationType: 'SCHEDULE' as const, row }];
        })
      : this.sensors.page(query).flatMap((key) => {
          const row = tables.sensorEvals.get(key);
          return row === undefined ? [] : [{ instigationType: 'SENSOR' as const, row }];
        });
  }

  close(): void {
    this.unsubscribe();
  }
}

/** The index of one kind of tick: `{instigatorId}|{status}` → its ticks of that status, oldest first. */
class TickIndex<R extends { status: string }> {
  private readonly lists = new Map<string, SortedBlocks<R, Bound>>();
  /** Every indexed tick by key: the row as it was indexed, which tells its list and place. */
  private readonly rows = new Map<string, R>();

  constructor(private readonly kind: TickKind<R>) {}

  get size(): number {
    return this.rows.size;
  }

  /**
   * Replaces the index with `rows`. Ticks are grouped into their lists first, each list is sorted
   * once (a published table usually holds them in time order already, which the sort only has to
   * confirm) and filled in one go, instead of inserting them one by one. They are grouped by
   * instigator and then status, not by list name: both strings are shared by many rows, so finding
   * a tick's list needs neither a new string per tick nor hashing one.
   */
  load(rows: Iterable<[string, R]>): void {
    const { kind } = this;
    this.lists.clear();
    this.rows.clear();
    const groups = new Map<string, Map<TickStatus, R[]>>();
    for (const [key, row] of rows) {
      const instigatorId = kind.instigatorOf(row);
      const status = statusOfRecorded(row.status);
      let byStatus = groups.get(instigatorId);
      if (byStatus === undefined) {
        byStatus = new Map();
        groups.set(instigatorId, byStatus);
      }
      let items = byStatus.get(status);
      if (items === undefined) {
        items = [];
        byStatus.set(status, items);
      }
      items.push(row);
      this.rows.set(key, row);
    }
    for (const [instigatorId, byStatus] of groups) {
      for (const [status, items] of byStatus) {
        let ordered = true;
        for (let index = 1; index < items.length && ordered; index++)
          ordered = kind.compare(items[index - 1] as R, items[index] as R) < 0;
        if (!ordered) items.sort(kind.compare);
        const list = new SortedBlocks<R, Bound>(kind.compare);
        list.assign(items);
        this.lists.set(listKey(instigatorId, status), list);
      }
    }
  }

  /** Moves the tick `key` to where `row`, its row now (undefined: deleted), belongs. */
  refresh(key: string, row: R | undefined): void {
    const indexed = this.rows.get(key);
    if (indexed === row) return;
    if (indexed !== undefined) {
      const name = this.listOf(indexed);
      const list = this.lists.get(name);
      list?.delete(indexed);
      if (list?.size === 0) this.lists.delete(name);
      this.rows.delete(key);
    }
    if (row === undefined) return;
    const name = this.listOf(row);
    let list = this.lists.get(name);
    if (list === undefined) {
      list = new SortedBlocks<R, Bound>(this.kind.compare);
      this.lists.set(name, list);
    }
    list.insert(row);
    this.rows.set(key, row);
  }

  /** The keys of one page of ticks, newest first. */
  page(query: TickHistoryQuery): string[] {
    const { kind } = this;
    const bound = this.upperBound(query);
    const statuses =
      query.statuses === undefined || query.statuses.length === 0 ? TICK_STATUSES : query.statuses;
    const cursors: { iterator: Iterator<R>; head: R | undefined }[] = [];
    for (const status of new Set(statuses)) {
      const list = this.lists.get(listKey(query.instigatorId, status));
      if (list === undefined) continue;
      const iterator = list.descendingBefore(bound);
      cursors.push({ iterator, head: iterator.next().value ?? undefined });
    }
    const keys: string[] = [];
    while (keys.length < query.limit) {
      let newest: (typeof cursors)[number] | undefined;
      for (const cursor of cursors) {
        if (
          cursor.head !== undefined &&
          (newest?.head === undefined || kind.compare(cursor.head, newest.head) > 0)
        )
          newest = cursor;
      }
      const row = newest?.head;
      if (newest === undefined || row === undefined) break;
      if (query.afterMs !== undefined && kind.timeOf(row) <= query.afterMs) break;
      newest.head = newest.iterator.next().value ?? undefined;
      keys.push(kind.keyOf(row));
    }
    return keys;
  }

  /** The exclusive upper bound of a page: the earlier of `beforeMs` and the cursor's position. */
  private upperBound(query: TickHistoryQuery): Bound | undefined {
    let bound = query.beforeMs === undefined ? undefined : new Bound(query.beforeMs, '');
    if (query.cursor !== undefined && query.cursor !== '') {
      const at = this.cursorPosition(query.cursor);
      if (bound === undefined || comparePlaces(at.timeMs, at.key, bound.timeMs, bound.key) < 0) bound = at;
    }
    return bound;
  }

  private cursorPosition(cursor: string): Bound {
    const row = this.rows.get(cursor);
    if (row !== undefined) return new Bound(this.kind.timeOf(row), this.kind.keyOf(row));
    const seconds = /:(\d{1,12})$/.exec(cursor)?.[1];
    if (seconds === undefined) {
      throw invalidInput(
        `unreadable tick cursor ${JSON.stringify(cursor.slice(0, 200))}: pass the id of the last tick of the previous page`,
        { cursor: cursor.slice(0, 200) },
      );
    }
    return new Bound(Number(seconds) * 1000, '');
  }

  private listOf(row: R): string {
    return listKey(this.kind.instigatorOf(row), statusOfRecorded(row.status));
  }
}

function listKey(instigatorId: string, status: TickStatus): string {
  return `${instigatorId}|${status}`;
}

const histories = new WeakMap<Pick<ProjectionStore, 'state' | 'subscribe'>, TickHistory>();

/** The tick history of a workspace's projections, built on first use and kept for the store's life. */
export function tickHistoryOf(projections: Pick<ProjectionStore, 'state' | 'subscribe'>): TickHistory {
  let history = histories.get(projections);
  if (history === undefined) {
    history = new TickHistory(projections);
    histories.set(projections, history);
  }
  return history;
}
