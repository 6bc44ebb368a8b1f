import { invalidInput } from '../errors.js';
import {
  type BulkRows,
  KEY_BATCH,
  keyBlockPositions,
  type ProjectionTables,
  type RowBlock,
  type TableState,
} from '../fold/state.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import { runInSlices } from '../projections/slices.js';
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
  private keying = false;

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
    this.schedules.load(tables.scheduleTicks);
    this.sensors.load(tables.sensorEvals);
    this.keyInBackground();
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
      ? this.schedules
          .current(tables.scheduleTicks, this.schedules.page(query))
          .map((row) => ({ instigationType: 'SCHEDULE' as const, row }))
      : this.sensors
          .current(tables.sensorEvals, this.sensors.page(query))
          .map((row) => ({ instigationType: 'SENSOR' as const, row }));
  }

  close(): void {
    this.unsubscribe();
  }

  /**
   * Finishes the indexes' loads between other work (see `TickIndex.keyLoaded`). The tables' own
   * key maps are filled the same way by the projection store that loaded them.
   */
  private keyInBackground(): void {
    if (this.keying) return;
    this.keying = true;
    runInSlices((deadline) => {
      const more = this.schedules.keyLoaded(deadline) || this.sensors.keyLoaded(deadline);
      this.keying = more;
      return more;
    });
  }
}

/** The index of one kind of tick: `{instigatorId}|{status}` → its ticks of that status, oldest first. */
class TickIndex<R extends { status: string }> {
  private readonly lists = new Map<string, SortedBlocks<R, Bound>>();
  /**
   * Lists of the last load not put in order yet: each is sorted when first needed (a page or a
   * change of one of its ticks) or in the background (`keyLoaded`), so that a start need not
   * order every schedule's ticks before its first page.
   */
  private readonly unsorted = new Map<string, UnsortedList<R>>();
  /**
   * The block of rows loaded in bulk of the table the last load read: positions in unsorted lists
   * and in `rows` are positions in it.
   */
  private loadedBlock: RowBlock<R> | undefined;
  /** Where `keyLoaded` is in replacing the positions in `rows` by rows, once everything is keyed. */
  private resolving: Iterator<[string, R | number]> | undefined;
  /**
   * Every indexed tick by key: the row as it was indexed (or its position in `loadedBlock`), which
   * tells its list and place. After a load it fills from `loaded`, in the background or at once
   * when first needed (`keyMap`): only a change to the index or a cursor needs it, and the first
   * page need not wait for it.
   */
  private readonly rows = new Map<string, R | number>();
  /** Ticks of the last load whose keys are not in `rows` yet: those the table had keyed, then the rest. */
  private loaded: { keyed: KeyedTicks<R> | undefined; bulk: BulkRows<R> | undefined } = {
    keyed: undefined,
    bulk: undefined,
  };
  private count = 0;
  /**
   * The table the last load read, and its revision then. While its revision is the same, the
   * index holds exactly the table's rows, and a page needs no lookup to know them current.
   */
  private source: { table: TableState<R>; revision: number } | undefined;

  constructor(private readonly kind: TickKind<R>) {}

  get size(): number {
    return this.count;
  }

  /**
   * Replaces the index with the rows of `table`. Ticks are grouped into their lists first; each
   * list is later sorted once (a published table usually holds them in time order already, which
   * the sort only has to confirm) and filled in one go, instead of inserting them one by one (see
   * `list`). They are grouped by instigator and then status, not by list name: both strings are
   * shared by many rows, so finding a tick's list needs neither a new string per tick nor hashing
   * one. Rows the table holds as loaded in bulk are read through views and noted by position: a
   * list builds its rows when it is sorted, so a start builds the rows of the lists it pages.
   */
  load(table: TableState<R>): void {
    const { kind } = this;
    this.lists.clear();
    this.unsorted.clear();
    this.rows.clear();
    const groups = new Map<string, Map<TickStatus, UnsortedList<R>>>();
    const listFor = (row: R): UnsortedList<R> => {
      const instigatorId = kind.instigatorOf(row);
      const status = statusOfRecorded(row.status);
      let byStatus = groups.get(instigatorId);
      if (byStatus === undefined) {
        byStatus = new Map();
        groups.set(instigatorId, byStatus);
      }
      let items = byStatus.get(status);
      if (items === undefined) {
        items = { rows: [], positions: [] };
        byStatus.set(status, items);
      }
      return items;
    };
    const { keyed, block, from } = table.parts();
    const keys = new Array<string>(keyed.size);
    const values = new Array<R | number>(keyed.size);
    let count = 0;
    keyed.forEach((value, key) => {
      if (typeof value === 'number') listFor((block as RowBlock<R>).viewAt(value)).positions.push(value);
      else listFor(value).rows.push(value);
      keys[count] = key;
      values[count] = value;
      count += 1;
    });
    this.loadedBlock = block;
    this.resolving = undefined;
    this.loaded = {
      keyed: count === 0 ? undefined : { keys, values, done: 0 },
      bulk: block === undefined || from >= block.length ? undefined : { block, keyed: from },
    };
    if (block !== undefined) {
      for (let at = from; at < block.length; at++) listFor(block.viewAt(at)).positions.push(at);
      count += Math.max(0, block.length - from);
    }
    for (const [instigatorId, byStatus] of groups) {
      for (const [status, items] of byStatus) this.unsorted.set(listKey(instigatorId, status), items);
    }
    this.count = count;
    this.source = { table, revision: table.revision };
  }

  /**
   * Does what the last load left for later until `deadline` (a `performance.now()` time): sorts the
   * lists not sorted yet (which builds their rows), puts the loaded ticks into the key map, then
   * replaces the positions it holds by those rows and lets the loaded block go. Returns whether
   * some is left.
   */
  keyLoaded(deadline: number): boolean {
    for (const name of this.unsorted.keys()) {
      this.list(name);
      if (performance.now() >= deadline) return true;
    }
    if (this.fillKeys(deadline)) return true;
    const block = this.loadedBlock;
    if (block === undefined) return false;
    this.resolving ??= this.rows.entries();
    for (;;) {
      for (let count = 0; count < KEY_BATCH; count++) {
        const entry = this.resolving.next();
        if (entry.done === true) {
          this.resolving = undefined;
          this.loadedBlock = undefined;
          return false;
        }
        const [key, value] = entry.value;
        if (typeof value === 'number') this.rows.set(key, block.rowAt(value));
      }
      if (performance.now() >= deadline) return true;
    }
  }

  /** Puts loaded ticks into the key map until `deadline`. Returns whether some are left. */
  private fillKeys(deadline: number): boolean {
    const { keyed, bulk } = this.loaded;
    if (keyed !== undefined) {
      const { keys, values } = keyed;
      let index = keyed.done;
      while (index < keys.length) {
        const end = Math.min(keys.length, index + KEY_BATCH);
        for (; index < end; index++) this.rows.set(keys[index]!, values[index]!);
        if (index < keys.length && performance.now() >= deadline) break;
      }
      keyed.done = index;
      if (index < keys.length) return true;
      this.loaded.keyed = undefined;
    }
    if (bulk !== undefined) {
      if (keyBlockPositions(this.rows, bulk, deadline)) return true;
      this.loaded.bulk = undefined;
    }
    return false;
  }

  /** The row a value of the key map stands for. */
  private indexedRow(value: R | number | undefined): R | undefined {
    return typeof value === 'number' ? (this.loadedBlock as RowBlock<R>).rowAt(value) : value;
  }

  /** Moves the tick `key` to where `row`, its row now (undefined: deleted), belongs. */
  refresh(key: string, row: R | undefined): void {
    const rows = this.keyMap();
    const indexed = this.indexedRow(rows.get(key));
    if (indexed === row) return;
    this.source = undefined;
    if (indexed !== undefined) {
      const name = this.listOf(indexed);
      const list = this.list(name);
      list?.delete(indexed);
      if (list?.size === 0) this.lists.delete(name);
      rows.delete(key);
      this.count -= 1;
    }
    if (row === undefined) return;
    const name = this.listOf(row);
    let list = this.list(name);
    if (list === undefined) {
      list = new SortedBlocks<R, Bound>(this.kind.compare);
      this.lists.set(name, list);
    }
    list.insert(row);
    rows.set(key, row);
    this.count += 1;
  }

  /** The rows of one page of ticks, newest first, as indexed. */
  page(query: TickHistoryQuery): R[] {
    const { kind } = this;
    const bound = this.upperBound(query);
    const cursors: { iterator: Iterator<R>; head: R | undefined }[] = [];
    for (const status of pageStatuses(query)) {
      const list = this.list(listKey(query.instigatorId, status));
      if (list === undefined) continue;
      const iterator = list.descendingBefore(bound);
      cursors.push({ iterator, head: iterator.next().value ?? undefined });
    }
    const rows: R[] = [];
    while (rows.length < query.limit) {
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
      rows.push(row);
    }
    return rows;
  }

  /**
   * The rows `table` holds now for the ticks of a page (those it still holds). While `table` is
   * the one the index was loaded from and has not changed since, those are the indexed rows
   * themselves; otherwise each is looked up (the change feed may lag a fold in progress).
   */
  current(table: Pick<TableState<R>, 'get'>, ticks: R[]): R[] {
    if (this.inStepWith(table)) return ticks;
    const rows: R[] = [];
    for (const tick of ticks) {
      const row = table.get(this.kind.keyOf(tick));
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  /** The list `name` (`listKey`), put in order first if the last load left it unsorted. */
  private list(name: string): SortedBlocks<R, Bound> | undefined {
    const items = this.unsorted.get(name);
    if (items === undefined) return this.lists.get(name);
    this.unsorted.delete(name);
    const { rows, positions } = items;
    const block = this.loadedBlock;
    if (block !== undefined) for (const at of positions) rows.push(block.rowAt(at));
    const list = new SortedBlocks<R, Bound>(this.kind.compare);
    list.assignUnordered(rows);
    this.lists.set(name, list);
    return list;
  }

  /** Whether `table` is the table last loaded, unchanged since: then it holds exactly the indexed rows. */
  private inStepWith(table: object): boolean {
    const source = this.source;
    return source !== undefined && source.table === table && source.table.revision === source.revision;
  }

  /** The key map, filled first if a load left it incomplete. */
  private keyMap(): Map<string, R | number> {
    this.fillKeys(Number.POSITIVE_INFINITY);
    return this.rows;
  }

  /** The exclusive upper bound of a page: the earlier of `beforeMs` and the cursor's position. */
  private upperBound(query: TickHistoryQuery): Bound | undefined {
    let bound = query.beforeMs === undefined ? undefined : new Bound(query.beforeMs, '');
    if (query.cursor !== undefined && query.cursor !== '') {
      const at = this.cursorPosition({ ...query, cursor: query.cursor });
      if (bound === undefined || comparePlaces(at.timeMs, at.key, bound.timeMs, bound.key) < 0) bound = at;
    }
    return bound;
  }

  /**
   * Where the tick `cursor` is (or was, for an expired tick whose id ends in its time). The tick is
   * first looked for in the instigator's own lists at the time its id ends in, which every cron
   * tick and poll evaluation id does: that costs a search in each list and no key lookup, so paging
   * right after a start does not wait for a million keys to be filled.
   */
  private cursorPosition(query: TickHistoryQuery & { cursor: string }): Bound {
    const { cursor } = query;
    const seconds = /:(\d{1,12})$/.exec(cursor)?.[1];
    const listed = seconds === undefined ? undefined : this.findListed(query, Number(seconds) * 1000);
    if (listed !== undefined) return new Bound(this.kind.timeOf(listed), cursor);
    // In step with its table the index holds the table's rows, so the table can tell a tick's place
    // as well, without the index's key map (the table's own keys are filled anyway).
    const table = this.source?.table;
    const row =
      table !== undefined && this.inStepWith(table)
        ? table.get(cursor)
        : this.indexedRow(this.keyMap().get(cursor));
    if (row !== undefined) return new Bound(this.kind.timeOf(row), this.kind.keyOf(row));
    if (seconds === undefined) {
      throw invalidInput(
        `unreadable tick cursor ${JSON.stringify(cursor.slice(0, 200))}: pass the id of the last tick of the previous page`,
        { cursor: cursor.slice(0, 200) },
      );
    }
    return new Bound(Number(seconds) * 1000, '');
  }

  /**
   * The indexed tick that is the query's cursor, if it is at `timeMs` in one of the lists the page
   * reads (the last tick of the previous page, with the same filter, is).
   */
  private findListed(query: TickHistoryQuery & { cursor: string }, timeMs: number): R | undefined {
    const key = query.cursor;
    // Just after the tick's own place: the first tick below is the tick, if it is there.
    const after = new Bound(timeMs, `${key}\u0000`);
    for (const status of pageStatuses(query)) {
      const list = this.list(listKey(query.instigatorId, status));
      if (list === undefined) continue;
      const below = list.descendingBefore(after).next();
      if (below.done !== true && this.kind.keyOf(below.value) === key) return below.value;
    }
    return undefined;
  }

  private listOf(row: R): string {
    return listKey(this.kind.instigatorOf(row), statusOfRecorded(row.status));
  }
}

/** Keys and key-map values (rows, or positions in the loaded block) a load copied from its table. */
interface KeyedTicks<R> {
  keys: string[];
  values: (R | number)[];
  /** How many of them are in the index's key map. */
  done: number;
}

/** The ticks of one list from a load, in no order: rows, and positions in the loaded block. */
interface UnsortedList<R> {
  rows: R[];
  positions: number[];
}

/** The statuses a page reads, each once. */
function pageStatuses(query: TickHistoryQuery): ReadonlySet<TickStatus> {
  return new Set(
    query.statuses === undefined || query.statuses.length === 0 ? TICK_STATUSES : query.statuses,
  );
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
