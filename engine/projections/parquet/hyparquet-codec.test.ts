import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import type { ColumnarTable, ColumnType, ParquetValue, TableSchema } from '../parquet-codec.js';
import { describeParquetWithDuckDb } from './duckdb-inspect.js';
import { createHyparquetCodec } from './hyparquet-codec.js';

const codec = createHyparquetCodec();

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const YEAR_2300 = Date.UTC(2300, 0, 1, 12, 30, 45, 678);

/** One column of every type, required and nullable. */
const everyType: TableSchema = {
  name: 'every_type',
  columns: [
    { name: 'text', type: 'utf8', nullable: false },
    { name: 'text_or_null', type: 'utf8', nullable: true },
    { name: 'doc', type: 'json', nullable: false },
    { name: 'doc_or_null', type: 'json', nullable: true },
    { name: 'small', type: 'int32', nullable: false },
    { name: 'small_or_null', type: 'int32', nullable: true },
    { name: 'big', type: 'int64', nullable: false },
    { name: 'big_or_null', type: 'int64', nullable: true },
    { name: 'flag', type: 'boolean', nullable: false },
    { name: 'flag_or_null', type: 'boolean', nullable: true },
    { name: 'seen_at', type: 'timestamp', nullable: false },
    { name: 'seen_at_or_null', type: 'timestamp', nullable: true },
  ],
};

const everyTypeRows: ColumnarTable = {
  rowCount: 6,
  columns: [
    ['', 'plain ascii', '😀 emoji 🎉', '日本語の文字列', 'mixed é ü 𝄞 \u0000 nul', 'x'.repeat(300)],
    [null, '', '中文', null, 'ok', null],
    ['{}', '[]', '{"a":[1,2,{"b":null}]}', '"text"', '{"emoji":"🚀","cjk":"漢字"}', 'null'],
    [null, '{"k":1}', null, '{}', null, '[true,false]'],
    [-2147483648, 2147483647, 0, -1, 1, 42],
    [null, -2147483648, 2147483647, null, 0, null],
    [INT64_MIN, INT64_MAX, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n, 1234567890123456789n],
    [null, INT64_MAX, null, INT64_MIN, 9007199254740993n, null],
    [true, false, true, false, false, true],
    [null, true, false, null, true, null],
    [0, -1, -86_400_000 * 365 * 100, YEAR_2300, Date.UTC(2026, 0, 1), 1],
    [null, YEAR_2300, null, 0, -1, null],
  ],
};

function column(values: ParquetValue[]): ColumnarTable {
  return { rowCount: values.length, columns: [values] };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('hyparquet codec round trip', () => {
  it('round-trips every column type exactly: unicode, JSON text, int32 and int64 extremes, booleans, timestamps and nulls', async () => {
    const file = codec.encode(everyType, everyTypeRows);
    expect(await codec.decode(everyType, file)).toEqual(everyTypeRows);
  });

  it('writes each column with its exact physical and logical type, REQUIRED or OPTIONAL per nullable', () => {
    const file = codec.encode(everyType, everyTypeRows);
    const schema = parquetMetadata(file).schema;
    const byName = new Map(schema.slice(1).map((element) => [element.name, element]));
    expect(byName.get('text')).toMatchObject({
      type: 'BYTE_ARRAY',
      converted_type: 'UTF8',
      logical_type: { type: 'STRING' },
      repetition_type: 'REQUIRED',
    });
    expect(byName.get('doc_or_null')).toMatchObject({
      type: 'BYTE_ARRAY',
      converted_type: 'UTF8',
      logical_type: { type: 'STRING' },
      repetition_type: 'OPTIONAL',
    });
    expect(byName.get('small')).toMatchObject({ type: 'INT32', repetition_type: 'REQUIRED' });
    expect(byName.get('big_or_null')).toMatchObject({ type: 'INT64', repetition_type: 'OPTIONAL' });
    expect(byName.get('flag')).toMatchObject({ type: 'BOOLEAN', repetition_type: 'REQUIRED' });
    expect(byName.get('seen_at')).toMatchObject({
      type: 'INT64',
      converted_type: 'TIMESTAMP_MILLIS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      repetition_type: 'REQUIRED',
    });
    expect(byName.get('small')?.converted_type).toBeUndefined();
    expect(byName.get('small')?.logical_type).toBeUndefined();
  });

  it('round-trips an empty table', async () => {
    const empty: ColumnarTable = { rowCount: 0, columns: everyType.columns.map(() => []) };
    expect(await codec.decode(everyType, codec.encode(everyType, empty))).toEqual(empty);
  });

  it('splits a table larger than one row group and reads the groups back in order', async () => {
    const schema: TableSchema = {
      name: 'many_rows',
      columns: [
        { name: 'id', type: 'utf8', nullable: false },
        { name: 'seq', type: 'int64', nullable: false },
        { name: 'note', type: 'utf8', nullable: true },
      ],
    };
    const rowCount = 2_500;
    const table: ColumnarTable = {
      rowCount,
      columns: [
        Array.from({ length: rowCount }, (_, i) => `id-${i}`),
        Array.from({ length: rowCount }, (_, i) => BigInt(i) * 1_000_000_007n),
        Array.from({ length: rowCount }, (_, i) => (i % 3 === 0 ? null : `n${i % 5}`)),
      ],
    };
    const file = createHyparquetCodec({ rowGroupSize: 1_000 }).encode(schema, table);
    expect(parquetMetadata(file).row_groups.map((group) => Number(group.num_rows))).toEqual([
      1000, 1000, 500,
    ]);
    expect(await codec.decode(schema, file)).toEqual(table);
  });

  it('uses row groups of 100,000 rows by default, each spanning several pages', async () => {
    const schema: TableSchema = {
      name: 'default_groups',
      columns: [
        { name: 'n', type: 'int32', nullable: false },
        { name: 'id', type: 'utf8', nullable: true },
      ],
    };
    const rowCount = 100_001;
    const table: ColumnarTable = {
      rowCount,
      columns: [
        Array.from({ length: rowCount }, (_, i) => i),
        // About 3 MB of distinct text per row group: more than the writer's 1 MB pages.
        Array.from({ length: rowCount }, (_, i) => (i % 11 === 0 ? null : `run-${i}-${'x'.repeat(20)}`)),
      ],
    };
    const file = codec.encode(schema, table);
    const groups = parquetMetadata(file).row_groups;
    expect(groups.map((group) => Number(group.num_rows))).toEqual([100_000, 1]);
    // The writer adds an offset index only to column chunks of more than one page.
    expect(groups[0]?.columns[1]?.offset_index_offset).toBeDefined();
    expect(await codec.decode(schema, file)).toEqual(table);
  });

  it('stores the footer metadata it is given and names Servo as the writer', async () => {
    const file = codec.encode(everyType, everyTypeRows, {
      metadata: { 'servo.table': 'every_type', 'servo.table_version': '3' },
    });
    expect(await codec.readMetadata(file)).toEqual({
      'servo.table': 'every_type',
      'servo.table_version': '3',
    });
    expect(parquetMetadata(file).created_by).toBe('servo');
  });

  it('encodes equal tables to identical bytes', () => {
    const a = codec.encode(everyType, everyTypeRows, { metadata: { k: 'v' } });
    const b = codec.encode(everyType, structuredClone(everyTypeRows), { metadata: { k: 'v' } });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('round-trips with compression and statistics turned off', async () => {
    const plain = createHyparquetCodec({ compression: 'UNCOMPRESSED', statistics: false });
    const file = plain.encode(everyType, everyTypeRows);
    const chunk = parquetMetadata(file).row_groups[0]?.columns[0]?.meta_data;
    expect(chunk?.codec).toBe('UNCOMPRESSED');
    expect(chunk?.statistics).toBeUndefined();
    expect(await plain.decode(everyType, file)).toEqual(everyTypeRows);
  });

  it('writes statistics by default so readers can skip row groups', () => {
    const schema: TableSchema = { name: 'stats', columns: [{ name: 'n', type: 'int32', nullable: true }] };
    const file = codec.encode(schema, column([5, null, -3, 9]));
    const statistics = parquetMetadata(file).row_groups[0]?.columns[0]?.meta_data?.statistics;
    expect(statistics).toMatchObject({ min_value: -3, max_value: 9, null_count: 1n });
  });
});

describe('hyparquet codec on the encoder thread', () => {
  const threaded = createHyparquetCodec({ threadRows: 0 });

  async function expectSameFileAsEncode(
    schema: TableSchema,
    table: ColumnarTable,
    options: Parameters<typeof createHyparquetCodec>[0] = {},
  ): Promise<void> {
    const onThread = createHyparquetCodec({ ...options, threadRows: 0 });
    const metadata = { 'servo.table': schema.name };
    const expected = onThread.encode(schema, table, { metadata });
    const file = await onThread.encodeAsync?.(schema, table, { metadata });
    expect(file).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(file as Uint8Array).equals(Buffer.from(expected))).toBe(true);
  }

  it('writes byte for byte the file encode writes: every type, nulls, extremes, and an empty table', async () => {
    await expectSameFileAsEncode(everyType, everyTypeRows);
    await expectSameFileAsEncode(everyType, { rowCount: 0, columns: everyType.columns.map(() => []) });
    await expectSameFileAsEncode(everyType, everyTypeRows, { compression: 'GZIP', statistics: false });
  });

  it('writes the same file across row groups, repeated and empty strings and non-ASCII text', async () => {
    const schema: TableSchema = {
      name: 'repeats',
      columns: [
        { name: 'id', type: 'utf8', nullable: false },
        { name: 'status', type: 'utf8', nullable: true },
        { name: 'seq', type: 'int64', nullable: true },
        { name: 'at', type: 'timestamp', nullable: false },
      ],
    };
    const rowCount = 12_345;
    const table: ColumnarTable = {
      rowCount,
      columns: [
        Array.from({ length: rowCount }, (_, i) => `ключ-${i}`),
        Array.from({ length: rowCount }, (_, i) => (i % 7 === 0 ? null : ['', 'queued', 'é', ''][i % 4]!)),
        Array.from({ length: rowCount }, (_, i) => (i % 5 === 0 ? null : BigInt(i) * -1_000_000_007n)),
        Array.from({ length: rowCount }, (_, i) => Date.UTC(2026, 0, 1) + i * 1000),
      ],
    };
    await expectSameFileAsEncode(schema, table, { rowGroupSize: 5_000 });
  });

  it('rejects what encode throws on, with the same message', async () => {
    const schema: TableSchema = { name: 'bad', columns: [{ name: 'n', type: 'int32', nullable: false }] };
    const table = column([1, 2 ** 31]);
    const error = await rejection(threaded.encodeAsync?.(schema, table) ?? Promise.resolve());
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe((thrown(() => threaded.encode(schema, table)) as Error).message);
  });
});

describe('hyparquet codec encode validation', () => {
  const validValue: Record<ColumnType, ParquetValue> = {
    utf8: 'ok',
    json: '{}',
    int32: 1,
    int64: 1n,
    boolean: true,
    timestamp: 1,
  };
  const cases: {
    title: string;
    type: ColumnType;
    nullable?: boolean;
    value: unknown;
    message: RegExp;
  }[] = [
    {
      title: 'a number in a utf8 column',
      type: 'utf8',
      value: 7,
      message: /expected a string, got number 7/,
    },
    {
      title: 'an object in a json column',
      type: 'json',
      value: { a: 1 },
      message: /expected a string of JSON text, got object/,
    },
    {
      title: 'a null in a non-nullable column',
      type: 'utf8',
      value: null,
      message: /null in non-nullable utf8 column/,
    },
    {
      title: 'undefined in a nullable column',
      type: 'utf8',
      nullable: true,
      value: undefined,
      message: /got undefined/,
    },
    {
      title: 'an int32 above 2^31 - 1',
      type: 'int32',
      value: 2 ** 31,
      message: /expected an integer in \[-2147483648, 2147483647\], got number 2147483648/,
    },
    {
      title: 'an int32 below -2^31',
      type: 'int32',
      value: -(2 ** 31) - 1,
      message: /got number -2147483649/,
    },
    { title: 'a non-integer int32', type: 'int32', value: 1.5, message: /got number 1.5/ },
    { title: 'a bigint in an int32 column', type: 'int32', value: 1n, message: /got bigint 1n/ },
    {
      title: 'a number in an int64 column',
      type: 'int64',
      value: 1,
      message: /expected a bigint in \[-2\^63, 2\^63\), got number 1/,
    },
    {
      title: 'an int64 at 2^63',
      type: 'int64',
      value: 2n ** 63n,
      message: /got bigint 9223372036854775808n/,
    },
    {
      title: 'a string in a boolean column',
      type: 'boolean',
      value: 'true',
      message: /expected a boolean, got string "true"/,
    },
    {
      title: 'a Date in a timestamp column',
      type: 'timestamp',
      value: new Date(0),
      message: /epoch milliseconds.*got object/,
    },
    { title: 'a fractional timestamp', type: 'timestamp', value: 1.25, message: /got number 1.25/ },
    { title: 'NaN as a timestamp', type: 'timestamp', value: Number.NaN, message: /got number NaN/ },
  ];

  it.each(cases)(
    'rejects $title with a TypeError naming table, column and row',
    ({ type, nullable, value, message }) => {
      const schema: TableSchema = {
        name: 'bad_input',
        columns: [{ name: 'col', type, nullable: nullable ?? false }],
      };
      const good = validValue[type];
      const values = [good, good, value as ParquetValue];
      const error = thrown(() => codec.encode(schema, column(values)));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toMatch(/^bad_input\.col row 2: /);
      expect((error as TypeError).message).toMatch(message);
    },
  );

  it('rejects ragged columns with a TypeError naming table, column and row', () => {
    const schema: TableSchema = {
      name: 'ragged',
      columns: [
        { name: 'a', type: 'int32', nullable: false },
        { name: 'b', type: 'utf8', nullable: false },
      ],
    };
    const error = thrown(() =>
      codec.encode(schema, {
        rowCount: 3,
        columns: [
          [1, 2, 3],
          ['x', 'y'],
        ],
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toMatch(
      /^ragged\.b: column has 2 values but the table has 3 rows \(first mismatch at row 2\)/,
    );
  });

  it('rejects a table whose column count differs from the schema', () => {
    const schema: TableSchema = { name: 'narrow', columns: [{ name: 'a', type: 'int32', nullable: false }] };
    expect(() => codec.encode(schema, { rowCount: 1, columns: [[1], [2]] })).toThrow(
      new TypeError('narrow: expected 1 columns, got 2'),
    );
  });

  it('rejects a schema that names a column twice', () => {
    const schema: TableSchema = {
      name: 'twice',
      columns: [
        { name: 'a', type: 'int32', nullable: false },
        { name: 'a', type: 'int32', nullable: false },
      ],
    };
    expect(() => codec.encode(schema, { rowCount: 1, columns: [[1], [2]] })).toThrow(TypeError);
  });
});

describe('hyparquet codec schema evolution and foreign files', () => {
  const v1: TableSchema = {
    name: 'runs',
    columns: [
      { name: 'run_id', type: 'utf8', nullable: false },
      { name: 'legacy', type: 'int32', nullable: false },
    ],
  };
  const v1File = codec.encode(v1, {
    rowCount: 2,
    columns: [
      ['r1', 'r2'],
      [1, 2],
    ],
  });

  it('reads an older file without a newly added nullable column as all nulls, ignoring dropped columns', async () => {
    const v2: TableSchema = {
      name: 'runs',
      columns: [
        { name: 'run_id', type: 'utf8', nullable: false },
        { name: 'added_note', type: 'utf8', nullable: true },
        { name: 'added_at', type: 'timestamp', nullable: true },
      ],
    };
    expect(await codec.decode(v2, v1File)).toEqual({
      rowCount: 2,
      columns: [
        ['r1', 'r2'],
        [null, null],
        [null, null],
      ],
    });
  });

  it('refuses an older file that lacks a non-nullable column, naming it', async () => {
    const v2: TableSchema = {
      name: 'runs',
      columns: [
        { name: 'run_id', type: 'utf8', nullable: false },
        { name: 'added_status', type: 'utf8', nullable: false },
      ],
    };
    const error = await rejection(codec.decode(v2, v1File));
    expect(isServoError(error, ErrorCode.Corrupt)).toBe(true);
    expect((error as Error).message).toBe('runs.added_status: non-nullable column is missing from the file');
  });

  it('refuses a file column whose type cannot be read as the schema type', async () => {
    const retyped: TableSchema = {
      name: 'runs',
      columns: [{ name: 'run_id', type: 'int64', nullable: false }],
    };
    const error = await rejection(codec.decode(retyped, v1File));
    expect(isServoError(error, ErrorCode.Corrupt)).toBe(true);
    expect((error as Error).message).toMatch(
      /^runs\.run_id: file column of type BYTE_ARRAY \(STRING\) cannot be read as int64/,
    );
  });

  it('widens an INT32 file column into an int64 schema column', async () => {
    const widened: TableSchema = {
      name: 'runs',
      columns: [{ name: 'legacy', type: 'int64', nullable: false }],
    };
    expect(await codec.decode(widened, v1File)).toEqual({ rowCount: 2, columns: [[1n, 2n]] });
  });

  it('refuses bytes that are not a Parquet file', async () => {
    const error = await rejection(codec.decode(v1, new TextEncoder().encode('not parquet at all')));
    expect(isServoError(error, ErrorCode.Corrupt)).toBe(true);
    expect((error as Error).message).toMatch(/^runs: not a readable Parquet file/);
  });

  it('decodes a file held in a view into a larger buffer', async () => {
    const padded = new Uint8Array(v1File.byteLength + 10);
    padded.set(v1File, 5);
    expect(await codec.decode(v1, padded.subarray(5, 5 + v1File.byteLength))).toEqual({
      rowCount: 2,
      columns: [
        ['r1', 'r2'],
        [1, 2],
      ],
    });
  });
});

describe('hyparquet codec and DuckDB', () => {
  let dir: string;
  let instance: DuckDBInstance;
  let duck: DuckDBConnection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'servo-parquet-'));
    instance = await DuckDBInstance.create(':memory:');
    duck = await instance.connect();
  });

  afterAll(async () => {
    duck?.closeSync();
    instance?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('DuckDB reads a codec file with the expected column types, row count and values', async () => {
    const path = join(dir, 'every-type.parquet');
    await writeFile(path, codec.encode(everyType, everyTypeRows));

    // isAdjustedToUTC=true makes DuckDB type the timestamp as TIMESTAMP WITH TIME ZONE.
    expect(await describeParquetWithDuckDb(path)).toEqual({
      columns: [
        { name: 'text', type: 'VARCHAR' },
        { name: 'text_or_null', type: 'VARCHAR' },
        { name: 'doc', type: 'VARCHAR' },
        { name: 'doc_or_null', type: 'VARCHAR' },
        { name: 'small', type: 'INTEGER' },
        { name: 'small_or_null', type: 'INTEGER' },
        { name: 'big', type: 'BIGINT' },
        { name: 'big_or_null', type: 'BIGINT' },
        { name: 'flag', type: 'BOOLEAN' },
        { name: 'flag_or_null', type: 'BOOLEAN' },
        { name: 'seen_at', type: 'TIMESTAMP WITH TIME ZONE' },
        { name: 'seen_at_or_null', type: 'TIMESTAMP WITH TIME ZONE' },
      ],
      rowCount: 6,
    });

    const reader = await duck.runAndReadAll(
      `SELECT * EXCLUDE (seen_at, seen_at_or_null, file_row_number),
              epoch_ms(seen_at) AS seen_at, epoch_ms(seen_at_or_null) AS seen_at_or_null
       FROM read_parquet($1, file_row_number = true) ORDER BY file_row_number`,
      [path],
    );
    const columns = reader.getColumnsJS();
    // epoch_ms returns BIGINT; the codec's timestamps are numbers.
    const asNumbers = (values: readonly unknown[]) => values.map((v) => (v === null ? null : Number(v)));
    expect(columns.slice(0, 10)).toEqual(everyTypeRows.columns.slice(0, 10));
    expect(asNumbers(columns[10]!)).toEqual(everyTypeRows.columns[10]);
    expect(asNumbers(columns[11]!)).toEqual(everyTypeRows.columns[11]);
  });

  it('DuckDB reads an empty codec file', async () => {
    const path = join(dir, 'empty.parquet');
    await writeFile(path, codec.encode(everyType, { rowCount: 0, columns: everyType.columns.map(() => []) }));
    const described = await describeParquetWithDuckDb(path);
    expect(described.rowCount).toBe(0);
    expect(described.columns.map((c) => c.type)).toContain('TIMESTAMP WITH TIME ZONE');
  });

  describe('a file written by DuckDB', () => {
    const rows = 5_000;
    const duckSchema: TableSchema = {
      name: 'from_duckdb',
      columns: [
        { name: 'i', type: 'int32', nullable: false },
        { name: 's', type: 'utf8', nullable: false },
        { name: 'big', type: 'int64', nullable: true },
        { name: 'flag', type: 'boolean', nullable: true },
        { name: 'ts', type: 'timestamp', nullable: false },
        { name: 'tstz', type: 'timestamp', nullable: false },
        { name: 'tsns', type: 'timestamp', nullable: false },
        { name: 'dict', type: 'utf8', nullable: false },
        { name: 'maybe', type: 'utf8', nullable: true },
      ],
    };
    let path: string;

    beforeAll(async () => {
      path = join(dir, 'duckdb-written.parquet');
      await duck.run(
        `COPY (
           SELECT i::INTEGER AS i,
                  'ß-' || i AS s,
                  CASE WHEN i % 3 = 0 THEN NULL ELSE (i - 2500)::BIGINT * 3689348814741910 END AS big,
                  CASE WHEN i % 4 = 0 THEN NULL ELSE i % 2 = 0 END AS flag,
                  TIMESTAMP '2024-02-29 23:59:59' + to_microseconds(i * 1500) AS ts,
                  TIMESTAMPTZ '1969-12-31 23:59:59.9995+00' AS tstz,
                  TIMESTAMP_NS '1969-12-31 23:59:59.999999999' AS tsns,
                  'schedule_' || (i % 7) AS dict,
                  CASE WHEN i % 5 = 0 THEN NULL ELSE '🙂' || (i % 2) END AS maybe
           FROM range(0, ${rows}) t(i)
         ) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
      );
    });

    it('uses dictionary pages, MICROS and NANOS timestamps and several row groups', async () => {
      const reader = await duck.runAndReadAll(
        `SELECT DISTINCT path_in_schema, encodings FROM parquet_metadata($1) WHERE path_in_schema IN ('dict', 's')`,
        [path],
      );
      const encodings = new Map(
        reader.getRowsJS().map(([name, encoding]) => [String(name), String(encoding)]),
      );
      expect(encodings.get('dict')).toMatch(/DICTIONARY/);
      expect(encodings.get('s')).not.toMatch(/DICTIONARY/);
      const metadata = parquetMetadata(new Uint8Array(await readFile(path)));
      expect(metadata.row_groups.length).toBeGreaterThan(1);
      const units = metadata.schema.map((e) =>
        e.logical_type?.type === 'TIMESTAMP' ? e.logical_type.unit : undefined,
      );
      expect(units).toEqual(expect.arrayContaining(['MICROS', 'NANOS']));
    });

    it('decodes to the expected values, flooring sub-millisecond timestamps', async () => {
      const decoded = await codec.decode(duckSchema, new Uint8Array(await readFile(path)));
      const base = Date.UTC(2024, 1, 29, 23, 59, 59);
      const range = Array.from({ length: rows }, (_, i) => i);
      expect(decoded).toEqual({
        rowCount: rows,
        columns: [
          range,
          range.map((i) => `ß-${i}`),
          range.map((i) => (i % 3 === 0 ? null : BigInt(i - 2500) * 3689348814741910n)),
          range.map((i) => (i % 4 === 0 ? null : i % 2 === 0)),
          range.map((i) => base + Math.floor(i * 1.5)),
          range.map(() => -1),
          range.map(() => -1),
          range.map((i) => `schedule_${i % 7}`),
          range.map((i) => (i % 5 === 0 ? null : `🙂${i % 2}`)),
        ],
      });
    });

    it('reads the columns the fast path knows exactly as hyparquet does', async () => {
      const known: TableSchema = {
        name: 'from_duckdb',
        columns: duckSchema.columns.filter((spec) => spec.type !== 'timestamp'),
      };
      const file = new Uint8Array(await readFile(path));
      const general = await createHyparquetCodec({ flatColumns: false }).decode(known, file);
      expect(await codec.decode(known, file)).toEqual(general);
    });

    it('refuses a null in a column the schema declares non-nullable', async () => {
      const strict: TableSchema = {
        name: 'from_duckdb',
        columns: [{ name: 'big', type: 'int64', nullable: false }],
      };
      const error = await rejection(codec.decode(strict, new Uint8Array(await readFile(path))));
      expect(isServoError(error, ErrorCode.Corrupt)).toBe(true);
      expect((error as Error).message).toBe('from_duckdb.big: null at row 0 in a non-nullable column');
    });
  });
});
