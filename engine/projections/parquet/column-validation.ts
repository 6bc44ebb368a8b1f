import type { ColumnarTable, ColumnSpec, ColumnType, ParquetValue, TableSchema } from '../parquet-codec.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Checks that `table` fits `schema` before any byte is written, so a bad row fails with a message
 * that names it instead of surfacing as an encoder error deep inside the Parquet writer.
 *
 * Contract: throws a `TypeError` naming the table, the column and the row index for the first
 * problem found: a column count that differs from the schema, a column whose length differs from
 * `rowCount`, a null in a non-nullable column, a value of the wrong JS type (including `undefined`
 * and holes in sparse arrays), a non-integer or out-of-range int32/int64, a timestamp that is not a
 * safe integer. Returns normally when every value fits.
 */
export function validateTable(schema: TableSchema, table: ColumnarTable): void {
  const { rowCount } = table;
  if (!Number.isSafeInteger(rowCount) || rowCount < 0) {
    throw new TypeError(`${schema.name}: rowCount must be a non-negative integer, got ${String(rowCount)}`);
  }
  if (table.columns.length !== schema.columns.length) {
    throw new TypeError(
      `${schema.name}: expected ${schema.columns.length} columns, got ${table.columns.length}`,
    );
  }
  const names = new Set<string>();
  for (let c = 0; c < schema.columns.length; c++) {
    const spec = schema.columns[c]!;
    if (names.has(spec.name)) throw new TypeError(`${schema.name}.${spec.name}: column name appears twice`);
    names.add(spec.name);
  }
  for (let c = 0; c < schema.columns.length; c++) {
    const spec = schema.columns[c]!;
    const values = table.columns[c]!;
    if (values.length !== rowCount) {
      const row = Math.min(values.length, rowCount);
      throw new TypeError(
        `${schema.name}.${spec.name}: column has ${values.length} values but the table has ${rowCount} rows (first mismatch at row ${row})`,
      );
    }
    const bad = firstInvalidRow(spec, values);
    if (bad >= 0) throw invalidValue(schema.name, spec, bad, values[bad]);
  }
}

/**
 * Index of the first value that does not fit `spec`, or -1. One tight loop per column type: these
 * loops run over every cell of every projection write, so they avoid closures and allocation.
 */
function firstInvalidRow(spec: ColumnSpec, values: readonly ParquetValue[]): number {
  const { nullable } = spec;
  const n = values.length;
  switch (spec.type) {
    case 'utf8':
    case 'json':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'string' && !(v === null && nullable)) return i;
      }
      return -1;
    case 'int32':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        // `(v | 0) === v` holds exactly for numbers that are integers in the int32 range.
        if (typeof v === 'number' ? (v | 0) !== v : !(v === null && nullable)) return i;
      }
      return -1;
    case 'int64':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'bigint' ? v < INT64_MIN || v > INT64_MAX : !(v === null && nullable)) return i;
      }
      return -1;
    case 'boolean':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'boolean' && !(v === null && nullable)) return i;
      }
      return -1;
    case 'timestamp':
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'number' ? !Number.isSafeInteger(v) : !(v === null && nullable)) return i;
      }
      return -1;
  }
}

const expectedValue: Record<ColumnType, string> = {
  utf8: 'a string',
  json: 'a string of JSON text',
  int32: `an integer in [${INT32_MIN}, ${INT32_MAX}]`,
  int64: 'a bigint in [-2^63, 2^63)',
  boolean: 'a boolean',
  timestamp: 'epoch milliseconds as a safe integer number',
};

function invalidValue(table: string, spec: ColumnSpec, row: number, value: unknown): TypeError {
  const where = `${table}.${spec.name} row ${row}`;
  if (value === null) return new TypeError(`${where}: null in non-nullable ${spec.type} column`);
  return new TypeError(`${where}: expected ${expectedValue[spec.type]}, got ${describeValue(value)}`);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (value === undefined) return 'undefined';
  return typeof value;
}
