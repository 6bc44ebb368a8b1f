import { describe, expect, it } from 'vitest';
import { columnsToRows, rowsToColumns } from './row-codec.js';
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

  it('reads a missing value (undefined) as null', () => {
    const rows = columnsToRows(sample, {
      rowCount: 1,
      columns: [['c'], [5], [undefined as unknown as null], [7], [null], ['[]'], [null]],
    });
    expect(rows).toEqual([{ id: 'c', count: 5, total: null, at: 7, details: null, flags: [], done: null }]);
  });
});
