import { gunzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import type { ColumnarTable, ParquetValue, TableSchema } from '../parquet-codec.js';
import { valueMappingFor } from './column-layout.js';
import { type FlatTarget, readFlatColumns } from './flat-columns.js';
import { createHyparquetCodec, type HyparquetCodecOptions } from './hyparquet-codec.js';

const schema: TableSchema = {
  name: 'flat',
  columns: [
    { name: 'id', type: 'utf8', nullable: false },
    { name: 'group', type: 'utf8', nullable: false },
    { name: 'note', type: 'utf8', nullable: true },
    { name: 'doc', type: 'json', nullable: false },
    { name: 'doc_or_null', type: 'json', nullable: true },
    { name: 'small', type: 'int32', nullable: false },
    { name: 'small_or_null', type: 'int32', nullable: true },
    { name: 'big', type: 'int64', nullable: false },
    { name: 'big_or_null', type: 'int64', nullable: true },
    { name: 'flag', type: 'boolean', nullable: false },
    { name: 'flag_or_null', type: 'boolean', nullable: true },
    { name: 'at', type: 'timestamp', nullable: false },
    { name: 'at_or_null', type: 'timestamp', nullable: true },
    { name: 'never', type: 'utf8', nullable: true },
  ],
};

const TEXTS = ['', 'plain ascii', '😀 emoji', '日本語', 'é', 'x'.repeat(200), 'y'.repeat(70_000), '\u0000'];

/** `rows` rows with repeated and unique strings, nulls in runs and scattered, and extreme numbers. */
function table(rows: number): ColumnarTable {
  const range = Array.from({ length: rows }, (_, i) => i);
  const columns: ParquetValue[][] = [
    range.map((i) => `tick:${i}:${1_795_200_000 + i * 60}`),
    range.map((i) => `group_${i % 7}`),
    range.map((i) => (i % 5 === 0 ? null : TEXTS[i % TEXTS.length]!)),
    range.map((i) => (i % 3 === 0 ? '[]' : `["run:${i}","a\\"b"]`)),
    range.map((i) => (i < rows / 2 ? null : `{"n":${i}}`)),
    range.map((i) => (i % 2 === 0 ? -2_147_483_648 + i : 2_147_483_647 - i)),
    range.map((i) => (i % 4 === 1 ? null : i)),
    range.map((i) => (i % 2 === 0 ? -(2n ** 63n) + BigInt(i) : 2n ** 63n - 1n - BigInt(i))),
    range.map((i) => (i % 6 === 0 ? null : BigInt(i) * 9_007_199_254_741n)),
    range.map((i) => i % 3 === 0),
    range.map((i) => (i % 3 === 2 ? null : i % 2 === 0)),
    range.map((i) => (i % 2 === 0 ? Date.UTC(2026, 0, 1) + i : -86_400_000 * 365 * 100 - i)),
    range.map((i) => (i % 7 === 3 ? null : 2 ** 53 - 1 - i)),
    range.map(() => null),
  ];
  return { rowCount: rows, columns };
}

const layouts: [string, HyparquetCodecOptions][] = [
  ['defaults', {}],
  ['small row groups', { rowGroupSize: 7 }],
  ['uncompressed', { compression: 'UNCOMPRESSED' }],
  ['gzip, no statistics', { compression: 'GZIP', statistics: false, rowGroupSize: 1000 }],
];

describe('flat columns (the fast path for the files Servo writes)', () => {
  for (const [name, options] of layouts) {
    it(`reads exactly what hyparquet reads: ${name}`, async () => {
      for (const rows of [0, 1, 13, 3000]) {
        const file = createHyparquetCodec(options).encode(schema, table(rows));
        const fast = await createHyparquetCodec().decode(schema, file);
        const general = await createHyparquetCodec({ flatColumns: false }).decode(schema, file);
        expect(fast.rowCount).toBe(general.rowCount);
        for (let c = 0; c < schema.columns.length; c++) {
          const a = fast.columns[c]!;
          const b = general.columns[c]!;
          expect(a.length).toBe(b.length);
          for (let i = 0; i < b.length; i++) {
            if (!Object.is(a[i], b[i])) {
              expect({ column: schema.columns[c]!.name, row: i, value: a[i] }).toEqual({
                column: schema.columns[c]!.name,
                row: i,
                value: b[i],
              });
            }
          }
        }
        expect(fast).toEqual(table(rows));
      }
    });
  }

  it('reads these files itself rather than leaving them to hyparquet', () => {
    for (const [, options] of layouts) {
      const file = createHyparquetCodec(options).encode(schema, table(100));
      const metadata = parquetMetadata(file);
      const targets = new Map<string, FlatTarget[]>();
      for (const spec of schema.columns) {
        const element = metadata.schema.find((e) => e.name === spec.name)!;
        const mapping = valueMappingFor(schema.name, spec, element);
        targets.set(spec.name, [{ spec, mapping, values: new Array<ParquetValue>(100), filled: 0 }]);
      }
      expect(readFlatColumns(file, metadata, targets, { GZIP: (input) => gunzipSync(input) })).toBe(true);
      expect([...targets.values()].map(([target]) => target!.filled)).toEqual(schema.columns.map(() => 100));
    }
  });

  it('declines a null in a column that may not hold one, which hyparquet then reports', async () => {
    const file = createHyparquetCodec().encode(
      { name: 'flat', columns: [{ name: 'id', type: 'utf8', nullable: true }] },
      { rowCount: 3, columns: [['a', null, 'c']] },
    );
    const strict: TableSchema = { name: 'flat', columns: [{ name: 'id', type: 'utf8', nullable: false }] };
    await expect(createHyparquetCodec().decode(strict, file)).rejects.toThrow(
      'flat.id: null at row 1 in a non-nullable column',
    );
  });

  it('declines a file it cannot read whole (a GZIP page it has no decompressor for)', () => {
    const file = createHyparquetCodec({ compression: 'GZIP' }).encode(schema, table(10));
    const metadata = parquetMetadata(file);
    const spec = schema.columns[0]!;
    const element = metadata.schema.find((e) => e.name === spec.name)!;
    const target: FlatTarget = {
      spec,
      mapping: valueMappingFor(schema.name, spec, element),
      values: new Array<ParquetValue>(10),
      filled: 0,
    };
    expect(readFlatColumns(file, metadata, new Map([[spec.name, [target]]]), {})).toBe(false);
    expect(target.filled).toBe(0);
  });
});
