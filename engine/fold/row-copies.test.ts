import { describe, expect, it } from 'vitest';
import type { TableDef } from '../projections/table-def.js';
import { TABLES, type TableName } from '../projections/tables/index.js';
import {
  copyDispatch,
  copyPartitionStatus,
  copyRun,
  copyRunKeyIndex,
  copyScheduleState,
  copyTask,
} from './row-copies.js';

const COPIES: { [T in TableName]?: (row: never) => object } = {
  tasks: copyTask,
  runs: copyRun,
  runKeyIndex: copyRunKeyIndex,
  dispatchOutbox: copyDispatch,
  partitionStatus: copyPartitionStatus,
  scheduleState: copyScheduleState,
};

describe('row copies', () => {
  for (const [table, copy] of Object.entries(COPIES)) {
    it(`copies every field of a ${table} row into a new object`, () => {
      const def = TABLES[table as TableName] as TableDef<object>;
      // A distinct value per field, so a field copied from the wrong source shows.
      const row = Object.fromEntries(def.fields.map((field, index) => [field.field, `value-${index}`]));
      const copied = (copy as (row: object) => object)(row);
      expect(copied).not.toBe(row);
      expect(copied).toEqual(row);
      expect(Object.keys(copied)).toEqual(def.fields.map((field) => field.field));
    });
  }
});
