import type { ProjectionStore } from '../projections/projection-store.js';
import type { RowOf, TableName } from '../projections/tables/index.js';

/**
 * The keys of one table's rows that match a predicate (pending run requests, ready tasks, running
 * backfills…), kept up to date from the projection store's change feed, so a controller finds its
 * work in time proportional to the work, not to the table.
 */
export class RowIndex<T extends TableName> {
  private readonly keys = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly projections: ProjectionStore,
    private readonly table: T,
    private readonly matches: (row: RowOf<T>) => boolean,
  ) {
    this.rescan();
    this.unsubscribe = projections.subscribe((changes) => {
      const changed = changes.tables.get(table);
      if (changed !== undefined) for (const key of changed) this.refresh(key);
    });
  }

  /** Re-reads every row (after a reload or rebuild of the projections). */
  rescan(): void {
    this.keys.clear();
    for (const [key, row] of this.projections.state.tables[this.table].entries()) {
      if (this.matches(row as RowOf<T>)) this.keys.add(key);
    }
  }

  /** Re-checks one key (e.g. after this process changed it). */
  refresh(key: string): void {
    const row = this.projections.state.tables[this.table].get(key) as RowOf<T> | undefined;
    if (row !== undefined && this.matches(row)) this.keys.add(key);
    else this.keys.delete(key);
  }

  get size(): number {
    return this.keys.size;
  }

  /** The matching rows (re-checked, since the change feed may lag a fold in progress). */
  *rows(): IterableIterator<RowOf<T>> {
    for (const key of [...this.keys]) {
      const row = this.projections.state.tables[this.table].get(key) as RowOf<T> | undefined;
      if (row !== undefined && this.matches(row)) yield row;
      else this.keys.delete(key);
    }
  }

  close(): void {
    this.unsubscribe();
  }
}
