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
  const status = tick.row.status;
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

interface Entry {
  readonly key: string;
  readonly timeMs: number;
  /** The list the entry is in, and its name in `lists`. */
  readonly list: SortedBlocks<Entry>;
  readonly listName: string;
}

function compareEntries(a: Pick<Entry, 'key' | 'timeMs'>, b: Pick<Entry, 'key' | 'timeMs'>): number {
  return a.timeMs - b.timeMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

const TABLE_OF = { SCHEDULE: 'scheduleTicks', SENSOR: 'sensorEvals' } as const;

/**
 * The index behind the tick history: per schedule or sensor and status, its ticks in time order.
 * It is built from the tables once and kept current from the change feed (a new tick, a tick
 * expired by retention), like `RowIndex`.
 */
export class TickHistory {
  /** `{type}|{instigatorId}|{status}` → that instigator's ticks of that status, oldest first. */
  private readonly lists = new Map<string, SortedBlocks<Entry>>();
  private readonly entries: Record<InstigatorType, Map<string, Entry>> = {
    SCHEDULE: new Map(),
    SENSOR: new Map(),
  };
  private readonly unsubscribe: () => void;

  constructor(private readonly projections: Pick<ProjectionStore, 'state' | 'subscribe'>) {
    this.rescan();
    this.unsubscribe = projections.subscribe((changes) => {
      for (const key of changes.tables.get('scheduleTicks') ?? []) this.refresh('SCHEDULE', key);
      for (const key of changes.tables.get('sensorEvals') ?? []) this.refresh('SENSOR', key);
    });
  }

  /** Re-reads every tick (after a reload or rebuild of the projections). */
  rescan(): void {
    this.lists.clear();
    this.entries.SCHEDULE.clear();
    this.entries.SENSOR.clear();
    const tables = this.projections.state.tables;
    for (const [key] of tables.scheduleTicks.entries()) this.refresh('SCHEDULE', key);
    for (const [key] of tables.sensorEvals.entries()) this.refresh('SENSOR', key);
  }

  /** Ticks held (both kinds). */
  get size(): number {
    return this.entries.SCHEDULE.size + this.entries.SENSOR.size;
  }

  /**
   * One page of an instigator's ticks, newest first (ties by id, descending). Reads only the rows
   * it returns. Throws INVALID_INPUT for a bad limit or an unreadable cursor.
   */
  page(tables: ProjectionTables, query: TickHistoryQuery): TickRecord[] {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw invalidInput(`limit must be a positive integer, got ${query.limit}`, { limit: query.limit });
    }
    const bound = this.upperBound(query);
    const statuses =
      query.statuses === undefined || query.statuses.length === 0 ? TICK_STATUSES : query.statuses;
    const cursors: { iterator: Iterator<Entry>; head: Entry | undefined }[] = [];
    for (const status of new Set(statuses)) {
      const list = this.lists.get(listKey(query.instigationType, query.instigatorId, status));
      if (list === undefined) continue;
      const iterator = list.descendingBefore(bound as Entry | undefined);
      cursors.push({ iterator, head: iterator.next().value ?? undefined });
    }
    const out: TickRecord[] = [];
    while (out.length < query.limit) {
      let newest: (typeof cursors)[number] | undefined;
      for (const cursor of cursors) {
        if (
          cursor.head !== undefined &&
          (newest?.head === undefined || compareEntries(cursor.head, newest.head) > 0)
        )
          newest = cursor;
      }
      const entry = newest?.head;
      if (newest === undefined || entry === undefined) break;
      if (query.afterMs !== undefined && entry.timeMs <= query.afterMs) break;
      newest.head = newest.iterator.next().value ?? undefined;
      const record = recordOf(tables, query.instigationType, entry.key);
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  close(): void {
    this.unsubscribe();
  }

  /** The exclusive upper bound of a page: the earlier of `beforeMs` and the cursor's position. */
  private upperBound(query: TickHistoryQuery): Pick<Entry, 'key' | 'timeMs'> | undefined {
    let bound: Pick<Entry, 'key' | 'timeMs'> | undefined =
      query.beforeMs === undefined ? undefined : { timeMs: query.beforeMs, key: '' };
    if (query.cursor !== undefined && query.cursor !== '') {
      const at = this.cursorPosition(query);
      if (bound === undefined || compareEntries(at, bound) < 0) bound = at;
    }
    return bound;
  }

  private cursorPosition(query: TickHistoryQuery): Pick<Entry, 'key' | 'timeMs'> {
    const cursor = query.cursor as string;
    const entry = this.entries[query.instigationType].get(cursor);
    if (entry !== undefined) return entry;
    const seconds = /:(\d{1,12})$/.exec(cursor)?.[1];
    if (seconds === undefined) {
      throw invalidInput(
        `unreadable tick cursor ${JSON.stringify(cursor.slice(0, 200))}: pass the id of the last tick of the previous page`,
        { cursor: cursor.slice(0, 200) },
      );
    }
    return { timeMs: Number(seconds) * 1000, key: '' };
  }

  private refresh(type: InstigatorType, key: string): void {
    const previous = this.entries[type].get(key);
    const record = recordOf(this.projections.state.tables, type, key);
    const listName =
      record === undefined ? undefined : listKey(type, tickInstigatorId(record), tickStatusOf(record));
    const timeMs = record === undefined ? undefined : tickTimeMs(record);
    if (previous !== undefined && previous.listName === listName && previous.timeMs === timeMs) return;
    if (previous !== undefined) {
      previous.list.delete(previous);
      this.entries[type].delete(key);
      if (previous.list.size === 0) this.lists.delete(previous.listName);
    }
    if (listName === undefined || timeMs === undefined) return;
    let list = this.lists.get(listName);
    if (list === undefined) {
      list = new SortedBlocks<Entry>(compareEntries);
      this.lists.set(listName, list);
    }
    const entry: Entry = { key, timeMs, list, listName };
    list.insert(entry);
    this.entries[type].set(key, entry);
  }
}

function listKey(type: InstigatorType, instigatorId: string, status: TickStatus): string {
  return `${type}|${instigatorId}|${status}`;
}

function recordOf(tables: ProjectionTables, type: InstigatorType, key: string): TickRecord | undefined {
  if (type === 'SCHEDULE') {
    const row = tables[TABLE_OF.SCHEDULE].get(key);
    return row === undefined ? undefined : { instigationType: 'SCHEDULE', row };
  }
  const row = tables[TABLE_OF.SENSOR].get(key);
  return row === undefined ? undefined : { instigationType: 'SENSOR', row };
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
