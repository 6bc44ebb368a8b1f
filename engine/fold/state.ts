import { type RowOf, TABLE_NAMES, TABLES, type TableName } from '../projections/tables/index.js';

/** Changes a table logs for rollback and delta publishing before it drops its log (`overflowed`). */
export const DEFAULT_UNDO_LIMIT = 100_000;

/** Bulk rows keyed between two looks at the clock (see `TableState.keyRows`). */
const KEY_BATCH = 4096;

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
 * are put into the table's key map later: by `keyRows`, a little at a time between other work (the
 * projection store does this after a load), or all at once by the first operation that needs a key
 * looked up (`get`, `has`, `set`, `delete`, `load`, `unload`, `changes`, `rollback`). Until then
 * the table already answers `size`, `values()` and `entries()`, in the order the key map will have,
 * and `scan` reads every row without building it (a block of decoded columns builds a row object
 * only when it is asked for one): filling a map of a million keys and building a million row
 * objects are most of loading a million rows, and nothing that only reads every row waits for them.
 */
export class TableState<R extends object> {
  private readonly rows = new Map<string, R>();
  /**
   * Rows loaded in bulk that are not all in `rows` yet. The table holds the rows of `rows` followed
   * by the block's rows (`bulk.block.rowAt(i)`, key `keyAt(i)`) for each i from `bulk.keyed` on;
   * `rows` holds exactly the block's rows before `bulk.keyed`, in the same order (a bulk load starts
   * only on an empty table, and any change of a row keys every row first).
   */
  private bulk: BulkRows<R> | undefined;
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
    return this.rows.size + (this.bulk === undefined ? 0 : this.bulk.block.length - this.bulk.keyed);
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
    if (this.bulk !== undefined) this.keyRows();
    const row = this.rows.get(key);
    this.lastKey = key;
    this.lastRow = row;
    return row;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, row: R): void {
    if (this.bulk !== undefined) this.keyRows();
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

  /** Every row (any order). */
  values(): IterableIterator<R> {
    return this.iterator(rowOf, (_key, row) => row);
  }

  /** Every `[key, row]` (any order). */
  entries(): IterableIterator<[string, R]> {
    return this.iterator(entryOf, (key, row) => [key, row]);
  }

  /**
   * Calls `visit` with every row and its key, in the order of `entries()`, without an entry object
   * per row (for reading every row of a large table). `visit` must not change the table.
   */
  forEach(visit: (row: R, key: string) => void): void {
    this.rows.forEach(visit);
    const bulk = this.bulk;
    if (bulk === undefined) return;
    const { block } = bulk;
    for (let index = bulk.keyed; index < block.length; index++) visit(block.rowAt(index), block.keyAt(index));
  }

  /**
   * Like `forEach`, but a row loaded in bulk and not built yet is given as a view of it
   * (`RowBlock.viewAt`): an object that reads the row's fields, valid only during the call. `visit`
   * may read fields of the row it is given, and must neither keep it nor change the table. Reading
   * a few fields of every row of a table loaded in bulk this way builds none of its rows.
   */
  scan(visit: (row: R, key: string) => void): void {
    this.rows.forEach(visit);
    const bulk = this.bulk;
    if (bulk === undefined) return;
    const { block } = bulk;
    for (let index = bulk.keyed; index < block.length; index++)
      visit(block.viewAt(index), block.keyAt(index));
  }

  /**
   * The rows as the table holds them, for an index built over every row without building rows
   * loaded in bulk: `keyed`, the key map (read only; it changes as the table does), followed by
   * the rows of `bulk.block` from `bulk.from` on. The block is not changed by the table (rows are
   * added to a table loaded in bulk in a new block), so positions in it stay valid.
   */
  parts(): { keyed: ReadonlyMap<string, R>; bulk: { block: RowBlock<R>; from: number } | undefined } {
    const bulk = this.bulk;
    return {
      keyed: this.rows,
      bulk: bulk === undefined ? undefined : { block: bulk.block, from: bulk.keyed },
    };
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
    if (this.undoKeys.length > 0 && this.bulk !== undefined) this.keyRows();
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
    if (this.undoKeys.length > 0) {
      if (this.bulk !== undefined) this.keyRows();
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
    if (this.bulk !== undefined) this.keyRows();
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
    if (this.bulk !== undefined) {
      // Readers reach the block through `bulk`, and positions in the old block stay valid.
      this.bulk.block = concatRowBlocks(this.bulk.block, block);
    } else if (this.rows.size === 0) {
      this.bulk = { block, keyed: 0 };
    } else {
      for (let index = 0; index < block.length; index++)
        this.rows.set(block.keyAt(index), block.rowAt(index));
    }
  }

  /** Rows loaded in bulk that are not in the key map yet (see `keyRows`). */
  get unkeyed(): number {
    return this.bulk === undefined ? 0 : this.bulk.block.length - this.bulk.keyed;
  }

  /**
   * Puts rows loaded in bulk into the key map, in load order: all of them, or batches until
   * `deadline` (a `performance.now()` time). Returns whether some are left. Changes no row: it is
   * the work every key lookup would otherwise do first, done ahead of time.
   */
  keyRows(deadline = Number.POSITIVE_INFINITY): boolean {
    const bulk = this.bulk;
    if (bulk === undefined) return false;
    if (keyBulkRows(this.rows, bulk, deadline)) return true;
    this.bulk = undefined;
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
    if (this.bulk !== undefined) this.keyRows();
    this.rows.delete(key);
    this.changedRows();
    this.lastKey = undefined;
    this.lastRow = undefined;
  }

  /** Removes every row and forgets the undo log. */
  clear(): void {
    this.rows.clear();
    this.bulk = undefined;
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
    pick: (entry: [string, R]) => T,
    pickBulk: (key: string, row: R) => T,
  ): IterableIterator<T> {
    let entries: Iterator<[string, R]> | undefined = this.rows.entries();
    /** In the map phase: the bulk rows met in the map so far (of `counted`, the bulk then). */
    let counted: BulkRows<R> | undefined;
    let index = 0;
    /** In the bulk phase: the bulk read and where. */
    let bulk: BulkRows<R> | undefined;
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
            const current = this.bulk;
            if (current !== undefined) {
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
          bulk = this.bulk;
          if (bulk === undefined) return stop();
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
          if (entry.done !== true) return { done: false, value: pick(entry.value) };
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

function rowOf<R>(entry: [string, R]): R {
  return entry[1];
}

function entryOf<R>(entry: [string, R]): [string, R] {
  return entry;
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
   * building them: the row itself, or a view valid until the next `viewAt` of this block. Never
   * keep, change or copy it (a view's fields are getters, which a spread does not copy).
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

/** Rows loaded in bulk (see `TableState`): the first `keyed` of the block are in the key map so far. */
export interface BulkRows<R> {
  block: RowBlock<R>;
  keyed: number;
}

/**
 * Puts the block's rows under their keys into `map`, from `bulk.keyed` on, in batches until
 * `deadline` (a `performance.now()` time), advancing `bulk.keyed`. Returns whether some are left.
 */
export function keyBulkRows<R>(map: Map<string, R>, bulk: BulkRows<R>, deadline: number): boolean {
  const { block } = bulk;
  const { length } = block;
  let index = bulk.keyed;
  while (index < length) {
    const end = Math.min(length, index + KEY_BATCH);
    for (; index < end; index++) map.set(block.keyAt(index), block.rowAt(index));
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
