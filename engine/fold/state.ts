import { type RowOf, TABLE_NAMES, TABLES, type TableName } from '../projections/tables/index.js';

interface Slot<R> {
  row: R;
  /** The change epoch in which this slot's previous row was saved to the undo log. */
  epoch: number;
}

/**
 * One projection table in memory. Rows are treated as immutable values: an update stores a new
 * object. The first change to a key since the last `commit()` saves the previous row in an undo log,
 * which gives both the delta to publish (changed keys) and a rollback that costs as much as the
 * change. Each key maps to a slot that remembers the epoch of its last save, so an update costs one
 * hash lookup, which matters: the fold touches several rows per event.
 */
export class TableState<R extends object> {
  private readonly slots = new Map<string, Slot<R>>();
  /** Undo log as two parallel arrays (no object per entry): the key, and its row before the epoch. */
  private undoKeys: string[] = [];
  private undoRows: (R | undefined)[] = [];
  private epoch = 1;
  /** Keep no undo log (readers that never publish). */
  tracking = true;
  /** Called with the key of every row set or deleted by the fold (change feed). */
  onChange: ((key: string) => void) | undefined;
  private lastKey: string | undefined;
  private lastSlot: Slot<R> | undefined;

  get size(): number {
    return this.slots.size;
  }

  private slot(key: string): Slot<R> | undefined {
    if (key === this.lastKey) return this.lastSlot;
    const slot = this.slots.get(key);
    this.lastKey = key;
    this.lastSlot = slot;
    return slot;
  }

  get(key: string): R | undefined {
    return this.slot(key)?.row;
  }

  has(key: string): boolean {
    return this.slot(key) !== undefined;
  }

  set(key: string, row: R): void {
    const slot = this.slot(key);
    if (slot === undefined) {
      const created = { row, epoch: this.epoch };
      if (this.tracking) {
        this.undoKeys.push(key);
        this.undoRows.push(undefined);
      }
      this.slots.set(key, created);
      this.lastKey = key;
      this.lastSlot = created;
    } else {
      if (this.tracking && slot.epoch !== this.epoch) {
        this.undoKeys.push(key);
        this.undoRows.push(slot.row);
        slot.epoch = this.epoch;
      }
      slot.row = row;
    }
    this.onChange?.(key);
  }

  delete(key: string): boolean {
    const slot = this.slot(key);
    if (slot === undefined) return false;
    if (this.tracking && slot.epoch !== this.epoch) {
      this.undoKeys.push(key);
      this.undoRows.push(slot.row);
    }
    this.slots.delete(key);
    this.lastKey = undefined;
    this.lastSlot = undefined;
    this.onChange?.(key);
    return true;
  }

  /** Every row (any order). */
  values(): IterableIterator<R> {
    return mapIterator(this.slots.values(), (slot) => slot.row);
  }

  /** Every `[key, row]` (any order). */
  entries(): IterableIterator<[string, R]> {
    return mapIterator(this.slots.entries(), ([key, slot]): [string, R] => [key, slot.row]);
  }

  /** Keys changed (set or deleted) since the last commit, each once. */
  changedKeys(): Set<string> {
    return new Set(this.undoKeys);
  }

  get changeCount(): number {
    return this.undoKeys.length;
  }

  /** Rows changed since the last commit: each changed key with its row then and now. */
  *changes(): IterableIterator<{ key: string; before: R | undefined; after: R | undefined }> {
    const seen = new Set<string>();
    for (let index = 0; index < this.undoKeys.length; index++) {
      const key = this.undoKeys[index]!;
      if (seen.has(key)) continue;
      seen.add(key);
      yield { key, before: this.undoRows[index], after: this.get(key) };
    }
  }

  commit(): void {
    this.undoKeys = [];
    this.undoRows = [];
    this.epoch += 1;
  }

  rollback(): void {
    // Newest first, so a key deleted and re-created within the epoch ends as it began.
    for (let index = this.undoKeys.length - 1; index >= 0; index--) {
      const key = this.undoKeys[index]!;
      const before = this.undoRows[index];
      if (before === undefined) this.slots.delete(key);
      else this.slots.set(key, { row: before, epoch: 0 });
    }
    this.undoKeys = [];
    this.undoRows = [];
    this.epoch += 1;
    this.lastKey = undefined;
    this.lastSlot = undefined;
  }

  /** Loads a row without recording a change (used when reading published files). */
  load(key: string, row: R): void {
    this.slots.set(key, { row, epoch: 0 });
    this.lastKey = undefined;
    this.lastSlot = undefined;
  }

  /** Removes a row without recording a change (used when applying published tombstones). */
  unload(key: string): void {
    this.slots.delete(key);
    this.lastKey = undefined;
    this.lastSlot = undefined;
  }

  /** Removes every row and forgets the undo log. */
  clear(): void {
    this.slots.clear();
    this.undoKeys = [];
    this.undoRows = [];
    this.epoch += 1;
    this.lastKey = undefined;
    this.lastSlot = undefined;
  }
}

function* mapIterator<T, U>(source: IterableIterator<T>, fn: (value: T) => U): IterableIterator<U> {
  for (const value of source) yield fn(value);
}

export type ProjectionTables = { [T in TableName]: TableState<RowOf<T>> };

/** The whole projection state of one workspace: every table, in memory. */
export interface ProjectionState {
  tables: ProjectionTables;
}

export function createProjectionState(): ProjectionState {
  const tables = {} as Record<TableName, TableState<object>>;
  for (const name of TABLE_NAMES) tables[name] = new TableState();
  return { tables: tables as ProjectionTables };
}

export function commitAll(state: ProjectionState): void {
  for (const name of TABLE_NAMES) state.tables[name].commit();
}

export function rollbackAll(state: ProjectionState): void {
  for (const name of TABLE_NAMES) state.tables[name].rollback();
}

export function pendingChangeCount(state: ProjectionState): number {
  let count = 0;
  for (const name of TABLE_NAMES) count += state.tables[name].changeCount;
  return count;
}

/** Primary key of a row of the named table. */
export function keyOfRow<T extends TableName>(table: T, row: RowOf<T>): string {
  return (TABLES[table].keyOf as (row: RowOf<T>) => string)(row);
}
