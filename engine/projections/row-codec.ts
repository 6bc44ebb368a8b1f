import { canonicalJson } from '../model/canonical-json.js';
import type { ColumnarTable, ParquetValue } from './parquet-codec.js';
import type { TableDef } from './table-def.js';

/**
 * Converts projection rows to Parquet columns and back. JSON fields are stored as canonical JSON
 * text; int64 fields are numbers in rows (always within ±2^53) and bigints in Parquet; every other
 * field is stored as it is.
 *
 * Rows are read one after another, each once (not once per column): a base write converts every
 * row of the projections, and reading each row whole is about twice as fast as visiting all rows
 * once per column.
 */
export function rowsToColumns<R extends object>(def: TableDef<R>, rows: readonly R[]): ColumnarTable {
  const fields = def.fields;
  const width = fields.length;
  const columns: ParquetValue[][] = fields.map(() => new Array<ParquetValue>(rows.length));
  const names = fields.map((spec) => spec.field);
  const kinds = fields.map((spec) =>
    spec.type === 'json' ? JSON_FIELD : spec.type === 'int64' ? INT64_FIELD : PLAIN_FIELD,
  );
  for (let rowIndex = 0; rowIndex < rows.length; rowIndex++) {
    const row = rows[rowIndex] as Record<string, unknown>;
    for (let fieldIndex = 0; fieldIndex < width; fieldIndex++) {
      const value = row[names[fieldIndex]!];
      const kind = kinds[fieldIndex];
      columns[fieldIndex]![rowIndex] =
        kind === PLAIN_FIELD
          ? value === undefined
            ? null
            : (value as ParquetValue)
          : kind === JSON_FIELD
            ? value === null || value === undefined
              ? null
              : canonicalJson(value)
            : typeof value === 'number'
              ? BigInt(value)
              : ((value ?? null) as ParquetValue);
    }
  }
  return { rowCount: rows.length, columns };
}

const PLAIN_FIELD = 0;
const JSON_FIELD = 1;
const INT64_FIELD = 2;

export function columnsToRows<R extends object>(def: TableDef<R>, table: ColumnarTable): R[] {
  const rows = new Array<R>(table.rowCount);
  for (let rowIndex = 0; rowIndex < table.rowCount; rowIndex++) rows[rowIndex] = {} as R;
  for (let fieldIndex = 0; fieldIndex < def.fields.length; fieldIndex++) {
    const spec = def.fields[fieldIndex]!;
    const column = table.columns[fieldIndex]!;
    const field = spec.field;
    const isJson = spec.type === 'json';
    const isInt64 = spec.type === 'int64';
    for (let rowIndex = 0; rowIndex < table.rowCount; rowIndex++) {
      const value = column[rowIndex] ?? null;
      (rows[rowIndex] as Record<string, unknown>)[field] =
        value === null ? null : isJson ? JSON.parse(value as string) : isInt64 ? Number(value) : value;
    }
  }
  return rows;
}

/** Canonical text of a row, for byte-for-byte comparisons of projections. */
export function canonicalRow(row: object): string {
  return canonicalJson(row);
}
