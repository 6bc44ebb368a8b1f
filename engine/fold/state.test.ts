import { describe, expect, it } from 'vitest';
import { arrayRowBlock, type RowBlock, TableState } from './state.js';

interface Row {
  readonly n: number;
}

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Everything a table answers without changing, as plain values (rows by identity). */
function contents(table: TableState<Row>): {
  size: number;
  entries: [string, Row][];
  visited: [string, Row][];
} {
  const visited: [string, Row][] = [];
  table.forEach((row, key) => {
    visited.push([key, row]);
  });
  return { size: table.size, entries: [...table.entries()], visited };
}

/** `contents(lazy)` equals `contents(eager)`, checked without building a diff of thousands of rows. */
function expectSame(lazy: TableState<Row>, eager: TableState<Row>): void {
  expect(lazy.size).toBe(eager.size);
  const expected = [...eager.entries()];
  let index = 0;
  for (const [key, row] of lazy.entries()) {
    const [expectedKey, expectedRow] = expected[index++] ?? [];
    if (key !== expectedKey || row !== expectedRow)
      expect([index, key, row]).toEqual([index, expectedKey, expectedRow]);
  }
  expect(index).toBe(expected.length);
}

/** A block whose views are copies of its rows, as a block of decoded columns reads them. */
function viewingBlock(keys: readonly string[], rows: readonly Row[]): RowBlock<Row> {
  return { ...arrayRowBlock(keys, rows), viewAt: (index) => ({ n: rows[index]!.n }) };
}

function bulk(from: number, count: number): { keys: string[]; rows: Row[] } {
  const keys: string[] = [];
  const rows: Row[] = [];
  for (let n = from; n < from + count; n++) {
    keys.push(`k${n}`);
    rows.push({ n });
  }
  return { keys, rows };
}

/** Loads rows `from`..`from + count` into `lazy` in bulk and into `eager` row by row; returns them. */
function loadBoth(
  lazy: TableState<Row>,
  eager: TableState<Row>,
  from: number,
  count: number,
): { keys: string[]; rows: Row[] } {
  const { keys, rows } = bulk(from, count);
  lazy.loadDistinct(keys.slice(), rows.slice());
  for (let i = 0; i < keys.length; i++) eager.load(keys[i]!, rows[i]!);
  return { keys, rows };
}

describe('TableState loaded in bulk', () => {
  it('answers size, values and entries without keying, in the order a keyed table has', () => {
    const lazy = new TableState<Row>();
    const eager = new TableState<Row>();
    for (const [from, count] of [
      [0, 5000],
      [5000, 3],
      [5003, 9000],
    ] as const) {
      loadBoth(lazy, eager, from, count);
    }
    expect(lazy.unkeyed).toBe(14_003);
    expect(contents(lazy)).toEqual(contents(eager));
    expect([...lazy.values()]).toEqual([...eager.values()]);
    expect(lazy.unkeyed).toBe(14_003);
    // Keying in slices changes nothing a reader sees.
    expect(lazy.keyRows(0)).toBe(true);
    expect(lazy.unkeyed).toBe(14_003 - 4096);
    expect(contents(lazy)).toEqual(contents(eager));
    // A lookup keys every row first.
    expect(lazy.get('k7000')).toBe(eager.get('k7000'));
    expect(lazy.unkeyed).toBe(0);
    expect(contents(lazy)).toEqual(contents(eager));
  });

  it('iterates as a live map iterator does across keying, changes and clearing', () => {
    const lazy = new TableState<Row>();
    const eager = new TableState<Row>();
    loadBoth(lazy, eager, 0, 9000);
    const step = (a: Iterator<unknown>, b: Iterator<unknown>, count: number) => {
      for (let i = 0; i < count; i++) expect(a.next()).toEqual(b.next());
    };
    lazy.keyRows(0);
    // Started in the keyed part, read across into the bulk part.
    const first = [lazy.entries(), eager.entries()] as const;
    step(...first, 5000);
    // Keyed to the end while reading the bulk part, then changed.
    const second = [lazy.values(), eager.values()] as const;
    step(...second, 6000);
    lazy.keyRows();
    for (const table of [lazy, eager]) {
      table.delete('k6001');
      table.set('k8999', { n: -1 });
      table.set('added', { n: -2 });
    }
    step(...first, 4001);
    step(...second, 3000);
    // Cleared under a reader of the bulk part, then loaded again.
    lazy.clear();
    eager.clear();
    const third = [lazy.entries(), eager.entries()] as const;
    const again = bulk(20_000, 5000);
    lazy.loadDistinct(again.keys.slice(), again.rows.slice());
    for (let i = 0; i < again.keys.length; i++) eager.load(again.keys[i]!, again.rows[i]!);
    lazy.keyRows(0);
    step(...first, 5001);
    step(...second, 5001);
    step(...third, 5001);
  });

  it('goes on with the rows loaded after the table was cleared under an iterator', () => {
    const lazy = new TableState<Row>();
    const eager = new TableState<Row>();
    const load = (from: number, count: number) => loadBoth(lazy, eager, from, count);
    load(0, 9000);
    lazy.keyRows(0);
    const iterators = [lazy.entries(), eager.entries()] as const;
    for (let i = 0; i < 100; i++) expect(iterators[0].next()).toEqual(iterators[1].next());
    lazy.clear();
    eager.clear();
    load(50_000, 5000);
    expect([...{ [Symbol.iterator]: () => iterators[0] }]).toEqual([
      ...{ [Symbol.iterator]: () => iterators[1] },
    ]);
  });

  it('loads rows one by one into a table that already holds keyed rows', () => {
    const table = new TableState<Row>();
    table.set('a', { n: -1 });
    const { keys, rows } = bulk(0, 10);
    table.loadDistinct(keys, rows);
    expect(table.unkeyed).toBe(0);
    expect([...table.entries()].map(([key]) => key)).toEqual(['a', ...keys]);
  });

  it('scans rows loaded in bulk through views, building none, and keys them with their own rows', () => {
    const { keys, rows } = bulk(0, 9000);
    const built = new Set<number>();
    const views: Row[] = [];
    /** A block whose views are other objects than its rows, as a block of decoded columns has. */
    const counting = (from: number, count: number): RowBlock<Row> => ({
      length: count,
      keyAt: (index) => keys[from + index]!,
      rowAt: (index) => {
        built.add(from + index);
        return rows[from + index]!;
      },
      viewAt: (index) => {
        const view = { n: rows[from + index]!.n };
        views.push(view);
        return view;
      },
    });
    const table = new TableState<Row>();
    table.loadBlock(counting(0, 4000));
    table.loadBlock(counting(4000, 5000));
    table.keyRows(0);
    const scanned: [string, number][] = [];
    table.scan((row, key) => scanned.push([key, row.n]));
    expect(scanned).toEqual(keys.map((key, index) => [key, rows[index]!.n]));
    // None was built: each was read through a view.
    expect(built.size).toBe(0);
    expect(views.length).toBe(9000);
    // Keyed rows are held by position until read.
    const parts = table.parts();
    expect([...parts.keyed]).toEqual(keys.slice(0, 4096).map((key, index) => [key, index]));
    expect(parts.from).toBe(4096);
    expect(parts.block?.length).toBe(9000);
    expect(parts.block?.rowAt(8999)).toBe(rows[8999]);
    expect(built.size).toBe(1);
    // A lookup keys every row, and builds the row it reads.
    expect(table.get('k8000')).toBe(rows[8000]);
    expect(table.unkeyed).toBe(0);
    expect(built.size).toBe(2);
    expect(table.parts().keyed.get('k8000')).toBe(rows[8000]);
    expect(table.parts().keyed.get('k8001')).toBe(8001);
    // Keying in the background then builds the rest, and lets the block go.
    expect(table.keyRows()).toBe(false);
    expect(built.size).toBe(9000);
    expect(table.parts().block).toBeUndefined();
    const again: Row[] = [];
    table.scan((row) => again.push(row));
    expect(again).toEqual(rows);
    expect(again.every((row, index) => row === rows[index])).toBe(true);
  });

  it('reads an array block as the rows it was given', () => {
    const { keys, rows } = bulk(0, 3);
    const block = arrayRowBlock(keys, rows);
    expect([0, 1, 2].map((index) => [block.keyAt(index), block.rowAt(index), block.viewAt(index)])).toEqual(
      keys.map((key, index) => [key, rows[index], rows[index]]),
    );
  });

  it('changes its revision when rows change, and only then', () => {
    const table = new TableState<Row>();
    const seen = [table.revision];
    const changed = () => {
      const now = table.revision;
      const result = now !== seen.at(-1);
      seen.push(now);
      return result;
    };
    const { keys, rows } = bulk(0, 5000);
    table.loadDistinct(keys, rows);
    expect(changed()).toBe(true);
    table.keyRows(0);
    table.get('k1');
    [...table.entries()];
    expect(changed()).toBe(false);
    table.set('k1', { n: 1 });
    expect(changed()).toBe(true);
    table.commit();
    expect(changed()).toBe(false);
    table.delete('k2');
    expect(changed()).toBe(true);
    table.rollback();
    expect(changed()).toBe(true);
    table.unload('k3');
    expect(changed()).toBe(true);
    table.clear();
    expect(changed()).toBe(true);
  });

  it('undoes and reports changes made after a bulk load exactly like a table loaded row by row', () => {
    const lazy = new TableState<Row>();
    const eager = new TableState<Row>();
    const { rows } = loadBoth(lazy, eager, 0, 6000);
    const fresh = { n: 99 };
    for (const table of [lazy, eager]) {
      table.set('k10', fresh);
      table.delete('k20');
      table.set('new', fresh);
    }
    expect([...lazy.changes()]).toEqual([...eager.changes()]);
    expect(lazy.changedKeys()).toEqual(eager.changedKeys());
    lazy.rollback();
    eager.rollback();
    expect(contents(lazy)).toEqual(contents(eager));
    expect(lazy.get('k10')).toBe(rows[10]);
  });

  it('behaves like a table loaded row by row under any mix of reads, changes, keying and iteration', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      const lazy = new TableState<Row>();
      const eager = new TableState<Row>();
      lazy.undoLimit = eager.undoLimit = 20_000;
      let fresh = 0;
      /** Iterators taken from both tables at the same time, advanced in step. */
      let open: { lazy: Iterator<unknown>; eager: Iterator<unknown> }[] = [];
      const keys = () => [...eager.entries()].map(([key]) => key);
      for (let step = 0; step < 150; step++) {
        const action = pick([
          'bulk',
          'bulk',
          'set',
          'delete',
          'load',
          'unload',
          'get',
          'key',
          'key',
          'commit',
          'rollback',
          'clear',
          'iterate',
          'iterate',
          'scan',
          'advance',
          'advance',
          'close',
        ]);
        switch (action) {
          case 'bulk': {
            const count = pick([1, 50, 4096, 5000]);
            const batch = bulk(fresh, count);
            fresh += count;
            if (next() < 0.5) lazy.loadDistinct(batch.keys.slice(), batch.rows.slice());
            else lazy.loadBlock(viewingBlock(batch.keys, batch.rows));
            for (let i = 0; i < count; i++) eager.load(batch.keys[i]!, batch.rows[i]!);
            break;
          }
          case 'scan': {
            const scanned: [string, number][] = [];
            lazy.scan((row, key) => scanned.push([key, row.n]));
            const expected: [string, number][] = [];
            eager.forEach((row, key) => {
              expected.push([key, row.n]);
            });
            expect(scanned).toEqual(expected);
            break;
          }
          case 'set':
          case 'load': {
            const existing = keys();
            const key = existing.length > 0 && next() < 0.7 ? pick(existing) : `new${fresh++}`;
            const row = { n: fresh++ };
            lazy[action](key, row);
            eager[action](key, row);
            break;
          }
          case 'delete':
          case 'unload': {
            const existing = keys();
            const key = existing.length > 0 ? pick(existing) : 'absent';
            if (action === 'delete') expect(lazy.delete(key)).toBe(eager.delete(key));
            else {
              lazy.unload(key);
              eager.unload(key);
            }
            break;
          }
          case 'get': {
            const key = pick([...keys(), 'absent']);
            expect(lazy.get(key)).toBe(eager.get(key));
            expect(lazy.has(key)).toBe(eager.has(key));
            break;
          }
          case 'key':
            lazy.keyRows(next() < 0.5 ? 0 : Number.POSITIVE_INFINITY);
            break;
          case 'commit':
            lazy.commit();
            eager.commit();
            break;
          case 'rollback':
            if (eager.overflowed) break;
            expect([...lazy.changes()]).toEqual([...eager.changes()]);
            lazy.rollback();
            eager.rollback();
            break;
          case 'clear':
            lazy.clear();
            eager.clear();
            break;
          case 'iterate':
            open.push(
              next() < 0.5
                ? { lazy: lazy.entries(), eager: eager.entries() }
                : { lazy: lazy.values(), eager: eager.values() },
            );
            break;
          case 'advance':
            for (const pair of open) {
              const steps = pick([1, 3, 1000, 6000]);
              for (let i = 0; i < steps; i++) {
                const a = pair.lazy.next();
                const b = pair.eager.next();
                expect(a).toEqual(b);
                if (b.done === true) break;
              }
            }
            break;
          case 'close':
            for (const pair of open) {
              pair.lazy.return?.();
              pair.eager.return?.();
            }
            open = [];
            break;
        }
        expectSame(lazy, eager);
      }
      // Whatever is left of the open iterators, to the end.
      for (const pair of open)
        expect([...{ [Symbol.iterator]: () => pair.lazy }]).toEqual([
          ...{ [Symbol.iterator]: () => pair.eager },
        ]);
    }
  });
});
