import { type RowOf, TABLE_NAMES, TABLES, type TableName } from '../projections/tables/index.js';

/**
 * One projection table in memory. Rows are treated as immutable values: an update stores a new
 * object. The first change to a key since the last `commit()` remembers the previous row, which
 * gives both the delta to publish (changed keys) and a rollback that costs as much as the change.
 */
export class TableState<R extends object> {
  readonly rows = new Map<string, R>();
  private readonly previous = new Map<string, R | undefined>();
  /** Called with the key of every row set or deleted by the fold (change feed). */
  onChange: ((key: string) => void) | undefined;

  get size(): number {
    return this.rows.size;
  }

  get(key: string): R | undefined {
    return this.rows.get(key);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  set(key: string, row: R): void {
    if (!this.previous.has(key)) this.previous.set(key, this.rows.get(key));
    this.rows.set(key, row);
    this.onChange?.(key);
  }

  delete(key: string): boolean {
    if (!this.rows.has(key)) return false;
    if (!this.previous.has(key)) this.previous.set(key, this.rows.get(key));
    this.rows.delete(key);
    this.onChange?.(key);
    return true;
  }

  /** Keys changed (set or deleted) since the last commit. */
  changedKeys(): IterableIterator<string> {
    return this.previous.keys();
  }

  get changeCount(): number {
    return this.previous.size;
  }

  /** Row as it was at the last commit (undefined if it did not exist then). */
  committed(key: string): R | undefined {
    return this.previous.has(key) ? this.previous.get(key) : this.rows.get(key);
  }

  commit(): void {
    this.previous.clear();
  }

  rollback(): void {
    for (const [key, row] of this.previous) {
      if (row === undefined) this.rows.delete(key);
      else this.rows.set(key, row);
    }
    this.previous.clear();
  }

  /** Loads a row without recording a change (used when reading published files). */
  load(key: string, row: R): void {
    this.rows.set(key, row);
  }

  /** Removes a row without recording a change (used when applying published tombstones). */
  unload(key: string): void {
    this.rows.delete(key);
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
