import { canonicalJson } from '../model/canonical-json.js';
import type { ColumnarTable, ParquetValue } from './parquet-codec.js';
import type { TableDef } from './table-def.js';

/**
 * Converts projection rows to Parquet columns and back. JSON fields are stored as canonical JSON
 * text; int64 fields are numbers in rows (always within ±2^53) and bigints in Parquet; every other
 * field is stored as it is.
 */
export function rowsToColumns<R extends object>(def: TableDef<R>, rows: readonly R[]): ColumnarTable {
  const columns: ParquetValue[][] = def.fields.map(() => new Array<ParquetValue>(rows.length));
  for (let fieldIndex = 0; fieldIndex < def.fields.length; fieldIndex++) {
    const spec = def.fields[fieldIndex]!;
    const column = columns[fieldIndex]!;
    const field = spec.field;
    if (spec.type === 'json') {
      for (let rowIndex = 0; rowIndex < rows.length; rowIndex++) {
        const value = (rows[rowIndex] as Record<string, unknown>)[field];
        column[rowIndex] = value === null || value === undefined ? null : canonicalJson(value);
      }
    } else if (spec.type === 'int64') {
      for (let rowIndex = 0; rowIndex < rows.length; rowIndex++) {
        const value = (rows[rowIndex] as Record<string, unknown>)[field];
        column[rowIndex] = typeof value === 'number' ? BigInt(value) : ((value ?? null) as ParquetValue);
      }
    } else {
      for (let rowIndex = 0; rowIndex < rows.length; rowIndex++) {
        const value = (rows[rowIndex] as Record<string, unknown>)[field];
        column[rowIndex] = value === undefined ? null : (value as ParquetValue);
      }
    }
  }
  return { rowCount: rows.length, columns };
}

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
