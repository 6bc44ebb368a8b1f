import { readFile } from 'node:fs/promises';
import { type LedgerEvent, validateEvent } from '../model/catalog.js';
import { rowsToColumns } from '../projections/row-codec.js';
import type { TableDef } from '../projections/table-def.js';
import { TABLE_NAMES, TABLES, type TableName } from '../projections/tables/index.js';
import type { ProjectionState } from './state.js';

/**
 * Golden ledgers: a `.ledger.jsonl` file (one event per line, exactly as stored) and the rows the
 * fold must produce from it (`.expected.json`: per table, rows keyed by their persisted column
 * names, as they are written to Parquet). Renaming an event type, a payload field or a column
 * breaks them on purpose: persisted names are a contract.
 */
export async function readGoldenLedger(path: string): Promise<LedgerEvent[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => validateEvent(JSON.parse(line), `${path}:${index + 1}`));
}

export type GoldenRows = Record<TableName, Record<string, unknown>[]>;

/** Every table's rows as Parquet column records, sorted by primary key. */
export function goldenRows(state: ProjectionState): GoldenRows {
  const result = {} as GoldenRows;
  for (const name of TABLE_NAMES) {
    const def = TABLES[name] as TableDef<object>;
    const entries = [...state.tables[name].entries()].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    );
    const columnar = rowsToColumns(
      def,
      entries.map(([, row]) => row),
    );
    result[name] = entries.map((_, rowIndex) => {
      const record: Record<string, unknown> = {};
      def.fields.forEach((field, fieldIndex) => {
        const value = columnar.columns[fieldIndex]![rowIndex];
        // JSON has no 64-bit integers: int64 values are kept as decimal strings.
        record[field.column] = typeof value === 'bigint' ? value.toString() : value;
      });
      return record;
    });
  }
  return result;
}
