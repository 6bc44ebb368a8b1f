import { describe, expect, it } from 'vitest';
import { columnsToRowBlock, columnsToRows, rowsToColumns } from './row-codec.js';
import { defineTable } from './table-def.js';

interface SampleRow {
  id: string;
  count: number;
  total: number | null;
  at: number;
  details: { tags: string[] } | null;
  flags: string[];
  done: boolean | null;
}

const sample = defineTable<SampleRow>(
  'sample',
  1,
  {
    id: 'utf8',
    count: 'int32',
    total: 'int64?',
    at: 'timestamp',
    details: 'json?',
    flags: 'json',
    done: 'boolean?',
  },
  (row) => row.id,
);

describe('row codec', () => {
  it('gives back the rows it was given, fields in table order, nulls as null', () => {
    const rows: SampleRow[] = [
      {
        id: 'a',
        count: 1,
        total: 2 ** 40,
        at: Date.UTC(2026, 0, 1),
        details: { tags: ['x'] },
        flags: [],
        done: true,
      },
      { id: 'b', count: -3, total: null, at: 0, details: null, flags: ['p', 'q'], done: null },
    ];
    const columns = rowsToColumns(sample, rows);
    expect(columns.columns[2]).toEqual([2n ** 40n, null]);
    const back = columnsToRows(sample, columns);
    expect(back).toEqual(rows);
    expect(back.map((row) => Object.keys(row))).toEqual(
      rows.map(() => sample.fields.map((spec) => spec.field)),
    );
  });

  it('builds the rows of a block of columns when asked, once each, and reads fields through views', () => {
    const rows: SampleRow[] = Array.from({ length: 5 }, (_, n) => ({
      id: `r${n}`,
      count: n,
      total: n % 2 === 0 ? null : 2 ** 40 + n,
      at: Date.UTC(2026, 0, 1) + n,
      details: n === 3 ? { tags: ['x', 'y'] } : null,
      flags: n === 1 ? ['a', 'b'] : [],
      done: n % 3 === 0 ? null : n % 3 === 1,
    }));
    const columns = rowsToColumns(sample, rows);
    const block = columnsToRowBlock(sample, columns);
    expect(block.length).toBe(5);
    expect(rows.map((_, index) => block.keyAt(index))).toEqual(rows.map((row) => row.id));
    // A view reads what the row holds, field by field, and is one object moved from row to row.
    const view = block.viewAt(3);
    expect(sample.fields.map((spec) => (view as unknown as Record<string, unknown>)[spec.field])).toEqual(
      sample.fields.map((spec) => (rows[3] as unknown as Record<string, unknown>)[spec.field]),
    );
    expect(block.viewAt(1)).toBe(view);
    expect(view.flags).toEqual(['a', 'b']);
    const built = rows.map((_, index) => block.rowAt(index));
    expect(built).toEqual(columnsToRows(sample, columns));
    expect(built.map((row) => Object.keys(row))).toEqual(
      rows.map(() => sample.fields.map((spec) => spec.field)),
    );
    expect(rows.map((_, index) => block.rowAt(index))).toEqual(built);
    expect(built.every((row, index) => block.rowAt(index) === row)).toBe(true);
    // Once every row is built, a view of a row is the row.
    expect(block.viewAt(2)).toBe(built[2]);
    expect(() => block.rowAt(5)).toThrow(RangeError);
    expect(() => columnsToRowBlock(sample, columns).viewAt(-1)).toThrow(RangeError);
  });

  it('reads a missing value (undefined) as null', () => {
    const rows = columnsToRows(sample, {
      rowCount: 1,
      columns: [['c'], [5], [undefined as unknown as null], [7], [null], ['[]'], [null]],
    });
    expect(rows).toEqual([{ id: 'c', count: 5, total: null, at: 7, details: null, flags: [], done: null }]);
  });

  it('reads JSON text as JSON.parse does, and throws where it throws', () => {
    const texts = [
      '[]',
      '[""]',
      '["a"]',
      '["a","b"]',
      '["sched:ticks:every_minute_0001:1795200360"]',
      '["]","[","a,b",","]',
      '["é","\\u00e9","\\ud800","\\"q\\"","\\\\"]',
      '["\\ud83d\\ude00"]',
      '[ "a" ]',
      '["a", "b"]',
      '[1,"a"]',
      '[["a"]]',
      '{"tags":["x"]}',
      '"a"',
      'null',
      '0',
      '[',
      ']',
      '[]]',
      '[[]',
      '["a"',
      '["a"]]',
      '["a",]',
      '["a" ]',
      '[,"a"]',
      '["a""b"]',
      '["a\tb"]',
      '["a\\tb"]',
      `["a${String.fromCharCode(9)}b"]`,
      `["a${String.fromCharCode(0)}b"]`,
      '["\\x"]',
      '["a","b"',
      ' ["a"]',
    ];
    // Texts assembled at random from the characters the fast path cares about.
    const alphabet = ['[', ']', '"', ',', '\\', 'a', ' ', String.fromCharCode(1), 'é'];
    let seed = 7;
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const length = 2 + (n % 9);
      for (let i = 0; i < length; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        text += alphabet[seed % alphabet.length];
      }
      texts.push(text, `[${text}]`, `["${text}"]`);
    }
    for (const text of texts) {
      let expected: unknown;
      let error: unknown;
      try {
        expected = JSON.parse(text);
      } catch (caught) {
        error = caught;
      }
      const read = () =>
        columnsToRows(sample, {
          rowCount: 1,
          columns: [['c'], [5], [null], [7], [null], [text], [null]],
        })[0]!.flags;
      if (error === undefined) expect(read(), text).toEqual(expected);
      else expect(read, text).toThrow(SyntaxError);
    }
  });
});
