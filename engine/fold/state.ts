import { type RowOf, TABLE_NAMES, TABLES, type TableName } from '../projections/tables/index.js';

/** Changes a table logs for rollback and delta publishing before it drops its log (`overflowed`). */
export const DEFAULT_UNDO_LIMIT = 100_000;

/**
 * One projection table in memory. Rows are treated as immutable values: an update stores a new
 * object. While `tracking`, every change since the last `commit()` is logged with the row it
 * replaced, which gives both the delta to publish (the changed keys) and a rollback that costs as
 * much as the change.
 *
 * The log is bounded by `undoLimit`. Past it the table drops the log and is `overflowed` until the
 * next commit: its changes are still counted, but neither `changes()` nor `rollback()` is possible,
 * so a publisher writes a new base instead of a delta (a delta that large would be merged next time
 * anyway) and, after a lost publish race, reloads the published projections instead of rolling
 * back. A long catch-up then keeps neither a log entry nor an old row alive per change.
 */
export class TableState<R extends object> {
  private readonly rows = new Map<string, R>();
  /** Undo log as two parallel arrays (no object per entry): the key, and its row before the change. */
  private undoKeys: string[] = [];
  private undoRows: (R | undefined)[] = [];
  private changed = 0;
  private dropped = false;
  /** Keep no undo log (readers that never publish). */
  tracking = true;
  /** Most changes logged between commits before the log is dropped (see the class comment). */
  undoLimit = DEFAULT_UNDO_LIMIT;
  /** Called with the key of every row set or deleted by the fold (change feed). */
  onChange: ((key: string) => void) | undefined;
  /**
   * The last key looked up or written, and its row (undefined: absent). Fold handlers read a row
   * and then write it back under the same key, so the write (and the log's `before`) costs no
   * second lookup.
   */
  private lastKey: string | undefined;
  private lastRow: R | undefined;

  get size(): number {
    return this.rows.size;
  }

  get(key: string): R | undefined {
    if (key === this.lastKey) return this.lastRow;
    const row = this.rows.get(key);
    this.lastKey = key;
    this.lastRow = row;
    return row;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, row: R): void {
    if (this.tracking) this.log(key);
    this.rows.set(key, row);
    this.lastKey = key;
    this.lastRow = row;
    this.onChange?.(key);
  }

  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    if (this.tracking) this.log(key);
    this.rows.delete(key);
    this.lastRow = undefined;
    this.onChange?.(key);
    return true;
  }

  private log(key: string): void {
    this.changed += 1;
    if (this.dropped) return;
    if (this.undoKeys.length >= this.undoLimit) {
      this.undoKeys = [];
      this.undoRows = [];
      this.dropped = true;
      return;
    }
    this.undoKeys.push(key);
    this.undoRows.push(this.get(key));
  }

  /** Every row (any order). */
  values(): IterableIterator<R> {
    return this.rows.values();
  }

  /** Every `[key, row]` (any order). */
  entries(): IterableIterator<[string, R]> {
    return this.rows.entries();
  }

  /** Whether the undo log was dropped since the last commit (see the class comment). */
  get overflowed(): boolean {
    return this.dropped;
  }

  /** Keys changed (set or deleted) since the last commit, each once. */
  changedKeys(): Set<string> {
    this.assertLogged('changedKeys');
    return new Set(this.undoKeys);
  }

  /** Changes (sets and deletes) since the last commit, counted even after the log was dropped. */
  get changeCount(): number {
    return this.changed;
  }

  /** Rows changed since the last commit: each changed key once, with its row then and now. */
  *changes(): IterableIterator<{ key: string; before: R | undefined; after: R | undefined }> {
    this.assertLogged('changes');
    const seen = new Set<string>();
    for (let index = 0; index < this.undoKeys.length; index++) {
      const key = this.undoKeys[index]!;
      if (seen.has(key)) continue;
      seen.add(key);
      yield { key, before: this.undoRows[index], after: this.rows.get(key) };
    }
  }

  commit(): void {
    this.forget();
  }

  rollback(): void {
    this.assertLogged('rollback');
    // Newest first, so each key ends as it was before its first change.
    for (let index = this.undoKeys.length - 1; index >= 0; index--) {
      const key = this.undoKeys[index]!;
      const before = this.undoRows[index];
      if (before === undefined) this.rows.delete(key);
      else this.rows.set(key, before);
    }
    this.forget();
  }

  /** Loads a row without recording a change (used when reading published files). */
  load(key: string, row: R): void {
    this.rows.set(key, row);
    this.lastKey = undefined;
    this.lastRow = undefined;
  }

  /** Removes a row without recording a change (used when applying published tombstones). */
  unload(key: string): void {
    this.rows.delete(key);
    this.lastKey = undefined;
    this.lastRow = undefined;
  }

  /** Removes every row and forgets the undo log. */
  clear(): void {
    this.rows.clear();
    this.forget();
  }

  private forget(): void {
    this.undoKeys = [];
    this.undoRows = [];
    this.changed = 0;
    this.dropped = false;
    this.lastKey = undefined;
    this.lastRow = undefined;
  }

  private assertLogged(operation: string): void {
    if (this.dropped) {
      throw new Error(`${operation} needs the undo log, which was dropped after ${this.undoLimit} changes`);
    }
  }
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

/** Whether some table dropped its undo log since the last commit (see `TableState`). */
export function anyOverflowed(state: ProjectionState): boolean {
  for (const name of TABLE_NAMES) if (state.tables[name].overflowed) return true;
  return false;
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
