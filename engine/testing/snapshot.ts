import type { ProjectionState } from '../fold/state.js';
import { canonicalRow } from '../projections/row-codec.js';
import { TABLE_NAMES, type TableName } from '../projections/tables/index.js';

/** Every row of every table as sorted `key → canonical JSON` pairs: equal snapshots mean identical projections. */
export function snapshotRows(state: ProjectionState): Record<TableName, [string, string][]> {
  const result = {} as Record<TableName, [string, string][]>;
  for (const name of TABLE_NAMES) {
    const rows: [string, string][] = [];
    for (const [key, row] of state.tables[name].entries()) rows.push([key, canonicalRow(row)]);
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    result[name] = rows;
  }
  return result;
}

export function rowCounts(state: ProjectionState): Record<TableName, number> {
  const result = {} as Record<TableName, number>;
  for (const name of TABLE_NAMES) result[name] = state.tables[name].size;
  return result;
}
