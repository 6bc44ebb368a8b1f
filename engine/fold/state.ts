import { type RowOf, TABLE_NAMES, TABLES, type TableName } from '../projections/tables/index.js';

/** Changes a table logs for rollback and delta publishing before it drops its log (`overflowed`). */
export const DEFAULT_UNDO_LIMIT = 100_000;

/** Bulk rows keyed (or built) between two looks at the clock (see `TableState.keyRows`). */
export const KEY_BATCH = 4096;

let mutations = 0;

/**
 * A number that changes whenever a row of any projection table in this process does (set, deleted,
 * loaded, unloaded, rolled back, cleared): what was computed from the tables at one value of it
 * still holds while it stays the same (the GraphQL response cache relies on it).
 */
export function projectionMutations(): number {
  return mutations;
}

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
 *
 * Rows loaded in bulk (`loadBlock`, a published base) are kept as they came, in a `RowBlock`, and
 * are put into the table's key map later, in two steps: first each key with its row's position in
 * the block, then (in the background only) each position replaced by the row itself. Keys go in by
 * `keyRows`, a little at a time between other work (the projection store does this after a load),
 * or all at once by the first operation that needs a key looked up (`get`, `has`, `set`, `delete`,
 * `load`, `unload`, `changes`, `rollback`); a row is built when it is first read. Until its key is
 * in, the table already answers `size`, `values()` and `entries()`, in the order the key map will
 * have, and `scan` reads every row without building any: filling a map of a million keys and
 * building a million row objects are most of loading a million rows, and nothing that only reads
 * every row waits for them, nor a lookup for the rows it does not read.
 */
export class TableState<R extends object> {
  /** Rows by key; a number is the position of a row of `loaded.block` not built yet. */
  private readonly rows = new Map<string, R | number>();
  /**
   * The block of the last bulk load, while some of its rows are not in `rows` or not built. The
   * table holds the rows of `rows` followed by the block's rows from `loaded.keyed` on; while some
   * are not keyed, `rows` holds exactly the block's rows before `loaded.keyed`, in the same order
   * (a bulk load starts only on an empty table, and any change of a row keys every row first).
   */
  private loaded: LoadedBlock<R> | undefined;
  /** Iterators reading the bulk block, moved onto `rows` once it holds every bulk row. */
  private readonly readers = new Set<BulkReader<R>>();
  private revisionCount = 0;
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
    return this.rows.size + this.unkeyed;
  }

  /**
   * A number that changes whenever the rows change (set, deleted, loaded, unloaded, cleared or
   * rolled back), and only then: an index built from the rows can tell whether it still holds
   * exactly the table's rows.
   */
  get revision(): number {
    return this.revisionCount;
  }

  /** Counts a change of rows: this table's `revision` and every table's `projectionMutations`. */
  private changedRows(): void {
    this.revisionCount += 1;
    mutations += 1;
  }

  get(key: string): R | undefined {
    if (key === this.lastKey) return this.lastRow;
    if (this.unkeyed > 0) this.keyAll();
    let row = this.rows.get(key);
    if (typeof row === 'number') {
      row = (this.loaded as LoadedBlock<R>).block.rowAt(row);
      // The same key and row: the map keeps its order, and the table has not changed.
      this.rows.set(key, row);
    }
    this.lastKey = key;
    this.lastRow = row;
    return row;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, row: R): void {
    if (this.unkeyed > 0) this.keyAll();
    if (this.tracking) this.log(key);
    this.rows.set(key, row);
    this.changedRows();
    this.lastKey = key;
    this.lastRow = row;
    this.onChange?.(key);
  }

  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    if (this.tracking) this.log(key);
    this.rows.delete(key);
    this.changedRows();
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

  /** The row a value of the key map stands for (a position is built, without changing the map). */
  private rowOf(value: R | number): R {
    return typeof value === 'number' ? (this.loaded as LoadedBlock<R>).block.rowAt(value) : value;
  }

  /** Every row (any order). */
  values(): IterableIterator<R> {
    return this.iterator(
      (entry) => this.rowOf(entry[1]),
      (_key, row) => row,
    );
  }

  /** Every `[key, row]` (any order). */
  entries(): IterableIterator<[string, R]> {
    return this.iterator(
      (entry) => (typeof entry[1] === 'number' ? [entry[0], this.rowOf(entry[1])] : (entry as [string, R])),
      (key, row) => [key, row],
    );
  }

  /**
   * Calls `visit` with every row and its key, in the order of `entries()`, without an entry object
   * per row (for reading every row of a large table). `visit` must not change the table.
   */
  forEach(visit: (row: R, key: string) => void): void {
    this.rows.forEach((value, key) => {
      visit(this.rowOf(value), key);
    });
    const loaded = this.loaded;
    if (loaded === undefined) return;
    const { block } = loaded;
    for (let index = loaded.keyed; index < block.length; index++)
      visit(block.rowAt(index), block.keyAt(index));
  }

  /**
   * Like `forEach`, but a row loaded in bulk and not built yet is given as a view of it
   * (`RowBlock.viewAt`): an object that reads the row's fields, valid only during the call. `visit`
   * may read fields of the row it is given, and must neither keep it nor change the table. Reading
   * a few fields of every row of a table loaded in bulk this way builds none of its rows.
   */
  scan(visit: (row: R, key: string) => void): void {
    const loaded = this.loaded;
    if (loaded === undefined) {
      this.rows.forEach(visit as (value: R | number, key: string) => void);
      return;
    }
    const { block } = loaded;
    this.rows.forEach((value, key) => {
      visit(typeof value === 'number' ? block.viewAt(value) : value, key);
    });
    for (let index = loaded.keyed; index < block.length; index++)
      visit(block.viewAt(index), block.keyAt(index));
  }

  /**
   * The rows as the table holds them, for an index built over every row without building rows
   * loaded in bulk: `keyed`, the key map (read only; it changes as the table does), in which a
   * number is the position of a row in `block` (build it with `block.rowAt`), followed by the rows
   * of `block` from `from` on. The table never changes a block, so positions in it stay valid.
   */
  parts(): { keyed: ReadonlyMap<string, R | number>; block: RowBlock<R> | undefined; from: number } {
    const loaded = this.loaded;
    return { keyed: this.rows, block: loaded?.block, from: loaded?.keyed ?? 0 };
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
    if (this.undoKeys.length > 0 && this.unkeyed > 0) this.keyAll();
    const seen = new Set<string>();
    for (let index = 0; index < this.undoKeys.length; index++) {
      const key = this.undoKeys[index]!;
      if (seen.has(key)) continue;
      seen.add(key);
      const after = this.rows.get(key);
      yield { key, before: this.undoRows[index], after: after === undefined ? undefined : this.rowOf(after) };
    }
  }

  commit(): void {
    this.forget();
  }

  rollback(): void {
    this.assertLogged('rollback');
    if (this.undoKeys.length > 0) {
      if (this.unkeyed > 0) this.keyAll();
      this.changedRows();
    }
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
    if (this.unkeyed > 0) this.keyAll();
    this.rows.set(key, row);
    this.changedRows();
    this.lastKey = undefined;
    this.lastRow = undefined;
  }

  /**
   * `loadBlock` of `keys[i]` and `rows[i]`; the table keeps both arrays, so the caller must not
   * change them.
   */
  loadDistinct(keys: string[], rows: R[]): void {
    if (keys.length !== rows.length) {
      throw new RangeError(`loadDistinct: ${keys.length} keys for ${rows.length} rows`);
    }
    this.loadBlock(arrayRowBlock(keys, rows));
  }

  /**
   * Loads the rows of `block` without recording a change, like `load` for each of them, for rows
   * whose keys are distinct and not in the table (a published base holds each row once). Into an
   * empty table, or one still filling from bulk loads, the rows are kept in bulk and keyed later
   * (see the class comment).
   */
  loadBlock(block: RowBlock<R>): void {
    if (block.length === 0) return;
    this.changedRows();
    this.lastKey = undefined;
    this.lastRow = undefined;
    const loaded = this.loaded;
    if (loaded !== undefined && loaded.keyed < loaded.block.length) {
      // Readers reach the block through `loaded`; positions in the old block are the same in the new.
      loaded.block = concatRowBlocks(loaded.block, block);
    } else if (this.rows.size === 0) {
      this.loaded = { block, keyed: 0, building: undefined };
    } else {
      for (let index = 0; index < block.length; index++)
        this.rows.set(block.keyAt(index), block.rowAt(index));
    }
  }

  /** Rows loaded in bulk that are not in the key map yet (see `keyRows`). */
  get unkeyed(): number {
    const loaded = this.loaded;
    return loaded === undefined ? 0 : loaded.block.length - loaded.keyed;
  }

  /**
   * Does what a bulk load left for later, in load order, until `deadline` (a `performance.now()`
   * time; all of it by default): puts the rows loaded in bulk into the key map, then builds the
   * rows the map holds by position, after which the table lets the block go. Returns whether some
   * is left. Changes no row: it is the work lookups would otherwise do when they first need it.
   */
  keyRows(deadline = Number.POSITIVE_INFINITY): boolean {
    const loaded = this.loaded;
    if (loaded === undefined) return false;
    if (loaded.keyed < loaded.block.length) {
      if (this.keyPositions(loaded, deadline)) return true;
      if (performance.now() >= deadline) return true;
    }
    loaded.building ??= this.rows.entries();
    const { block, building } = loaded;
    for (;;) {
      for (let count = 0; count < KEY_BATCH; count++) {
        const entry = building.next();
        if (entry.done === true) {
          if (this.loaded === loaded) this.loaded = undefined;
          return false;
        }
        const [key, value] = entry.value;
        if (typeof value === 'number') this.rows.set(key, block.rowAt(value));
      }
      if (performance.now() >= deadline) return true;
    }
  }

  /** Puts every row loaded in bulk into the key map (by position), as a lookup needs. */
  private keyAll(): void {
    const loaded = this.loaded;
    if (loaded !== undefined) this.keyPositions(loaded, Number.POSITIVE_INFINITY);
  }

  /**
   * Puts the keys of the rows loaded in bulk into the key map, with their positions, until
   * `deadline`. Returns whether some are left.
   */
  private keyPositions(loaded: LoadedBlock<R>, deadline: number): boolean {
    if (keyBlockPositions(this.rows, loaded, deadline)) return true;
    // The key map now holds the bulk rows in bulk order: an iterator reading the block continues
    // on the map from the same place, and sees any change made from now on as a map iterator does.
    for (const reader of this.readers) {
      const rest = this.entries();
      for (let skipped = 0; skipped < reader.index; skipped++) rest.next();
      reader.rest = rest;
    }
    this.readers.clear();
    return false;
  }

  /** Removes a row without recording a change (used when applying published tombstones). */
  unload(key: string): void {
    if (this.unkeyed > 0) this.keyAll();
    this.rows.delete(key);
    this.changedRows();
    this.lastKey = undefined;
    this.lastRow = undefined;
  }

  /** Removes every row and forgets the undo log. */
  clear(): void {
    this.rows.clear();
    this.loaded = undefined;
    // Like map iterators over a cleared map, iterators under way see only rows added from now on.
    for (const reader of this.readers) reader.rest = this.entries();
    this.readers.clear();
    this.changedRows();
    this.forget();
  }

  /**
   * Every entry (or row), as a live map iterator gives them: the key map's entries (a map iterator,
   * which also yields rows added or keyed while it runs), then, if rows loaded in bulk are not all
   * keyed, the bulk rows after the last one it yielded, read from the block. Once the map takes
   * every bulk row (or the table is cleared), an iterator reading the block continues on the map
   * (see `keyRows` and `clear`). A plain iterator object rather than a generator: it is how every
   * row of a table loaded in bulk is read at start-up, several times.
   */
  private iterator<T>(
    pick: (entry: [string, R | number]) => T,
    pickBulk: (key: string, row: R) => T,
  ): IterableIterator<T> {
    let entries: Iterator<[string, R | number]> | undefined = this.rows.entries();
    /** In the map phase: the bulk rows met in the map so far (of `counted`, the bulk then). */
    let counted: LoadedBlock<R> | undefined;
    let index = 0;
    /** In the bulk phase: the bulk read and where. */
    let bulk: LoadedBlock<R> | undefined;
    let reader: BulkReader<R> | undefined;
    /** After the bulk phase, when the bulk rows were keyed (or cleared) under it: where it went on. */
    let rest: Iterator<[string, R]> | undefined;
    const stop = (): IteratorResult<T> => {
      if (reader !== undefined) this.readers.delete(reader);
      entries = undefined;
      bulk = undefined;
      reader = undefined;
      rest = undefined;
      return { done: true, value: undefined };
    };
    const iterator: IterableIterator<T> = {
      next: (): IteratorResult<T> => {
        if (entries !== undefined) {
          const entry = entries.next();
          if (entry.done !== true) {
            const current = this.loaded;
            if (current !== undefined && current.keyed < current.block.length) {
              if (current !== counted) {
                counted = current;
                index = 0;
              }
              // The map holds the first bulk rows in bulk order, each under its own key.
              if (index < current.keyed && entry.value[0] === current.block.keyAt(index)) index += 1;
            }
            return { done: false, value: pick(entry.value) };
          }
          entries = undefined;
          bulk = this.loaded;
          if (bulk === undefined || bulk.keyed >= bulk.block.length) return stop();
          reader = { index: bulk === counted ? index : 0, rest: undefined };
          this.readers.add(reader);
        }
        if (reader !== undefined && bulk !== undefined) {
          if (reader.rest === undefined) {
            const at = reader.index;
            const { block } = bulk;
            if (at >= block.length) return stop();
            reader.index = at + 1;
            return { done: false, value: pickBulk(block.keyAt(at), block.rowAt(at)) };
          }
          rest = reader.rest;
          this.readers.delete(reader);
          reader = undefined;
          bulk = undefined;
        }
        if (rest !== undefined) {
          const entry = rest.next();
          if (entry.done !== true) return { done: false, value: pickBulk(entry.value[0], entry.value[1]) };
        }
        return stop();
      },
      return: (): IteratorResult<T> => stop(),
      [Symbol.iterator]: () => iterator,
    };
    return iterator;
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

/**
 * Rows in an order, read by position: the rows of a published base as they were decoded, which a
 * table holds until it puts them into its key map (see `TableState`).
 */
export interface RowBlock<R> {
  readonly length: number;
  /** The key of row `index`. */
  keyAt(index: number): string;
  /** Row `index`: the same object at every call (rows are compared by identity). */
  rowAt(index: number): R;
  /**
   * An object with the fields of row `index`, for reading a few fields of many rows without
   * building them: the row itself, or a view valid until the next `viewAt` or `keyAt` of this block
   * (a key may be read through the view). Never keep, change or copy it (a view's fields are
   * getters, which a spread does not copy).
   */
  viewAt(index: number): R;
}

/** A block over rows that are built already: `keys[i]` is the key of `rows[i]`. */
export function arrayRowBlock<R>(keys: readonly string[], rows: readonly R[]): RowBlock<R> {
  return {
    length: rows.length,
    keyAt: (index) => keys[index]!,
    rowAt: (index) => rows[index]!,
    viewAt: (index) => rows[index]!,
  };
}

/** The rows of `first` followed by those of `second`. */
export function concatRowBlocks<R>(first: RowBlock<R>, second: RowBlock<R>): RowBlock<R> {
  const parts = [...partsOf(first), ...partsOf(second)];
  const starts: number[] = [];
  let length = 0;
  for (const part of parts) {
    starts.push(length);
    length += part.length;
  }
  /** The part that holds row `index` (rows are mostly read in order: the last one found first). */
  let last = 0;
  const partOf = (index: number): number => {
    if (index >= starts[last]! && index < starts[last]! + parts[last]!.length) return last;
    let part = parts.length - 1;
    while (part > 0 && starts[part]! > index) part -= 1;
    last = part;
    return part;
  };
  const block: ConcatRowBlock<R> = {
    length,
    parts,
    keyAt: (index) => {
      const part = partOf(index);
      return parts[part]!.keyAt(index - starts[part]!);
    },
    rowAt: (index) => {
      const part = partOf(index);
      return parts[part]!.rowAt(index - starts[part]!);
    },
    viewAt: (index) => {
      const part = partOf(index);
      return parts[part]!.viewAt(index - starts[part]!);
    },
  };
  return block;
}

interface ConcatRowBlock<R> extends RowBlock<R> {
  readonly parts: readonly RowBlock<R>[];
}

function partsOf<R>(block: RowBlock<R>): readonly RowBlock<R>[] {
  return 'parts' in block ? (block as ConcatRowBlock<R>).parts : [block];
}

/** Rows loaded in bulk: the first `keyed` of the block are in a key map so far. */
export interface BulkRows<R> {
  block: RowBlock<R>;
  keyed: number;
}

/** The bulk rows of a table (see `TableState`), and where it is in building the rows it keyed. */
interface LoadedBlock<R> extends BulkRows<R> {
  building: Iterator<[string, R | number]> | undefined;
}

/**
 * Puts the keys of the block's rows into `map`, each with its row's position in the block, from
 * `bulk.keyed` on, in batches until `deadline` (a `performance.now()` time), advancing
 * `bulk.keyed`. Returns whether some are left.
 */
export function keyBlockPositions<R>(
  map: Map<string, R | number>,
  bulk: BulkRows<R>,
  deadline: number,
): boolean {
  const { block } = bulk;
  const { length } = block;
  let index = bulk.keyed;
  while (index < length) {
    const end = Math.min(length, index + KEY_BATCH);
    for (; index < end; index++) map.set(block.keyAt(index), index);
    if (index < length && performance.now() >= deadline) break;
  }
  bulk.keyed = index;
  return index < length;
}

/** An iterator reading bulk rows: the next one it yields, or where it goes on once they are keyed. */
interface BulkReader<R> {
  index: number;
  rest: Iterator<[string, R]> | undefined;
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
