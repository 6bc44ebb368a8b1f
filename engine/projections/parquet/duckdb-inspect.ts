import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Test helper: how DuckDB sees a Parquet file. Tests use it to prove that every projection file
 * Servo writes reads in a standard engine with the intended column types, which is the promise
 * behind using Parquet for projections at all (SPEC §3).
 *
 * For tests only: it imports `@duckdb/node-api`, a dev dependency, so production code must not
 * import this module.
 */

export interface DuckDbColumn {
  name: string;
  /**
   * The type DuckDB reports in `DESCRIBE`. For the codec's column types: `utf8` and `json` →
   * `VARCHAR`, `int32` → `INTEGER`, `int64` → `BIGINT`, `boolean` → `BOOLEAN`, `timestamp` →
   * `TIMESTAMP WITH TIME ZONE` (the file says isAdjustedToUTC=true).
   */
  type: string;
}

export interface DuckDbParquetDescription {
  /** Columns in file order. */
  columns: DuckDbColumn[];
  /** Rows DuckDB counted while decoding every value of every column. */
  rowCount: number;
}

/**
 * Describes the Parquet file at `path` as DuckDB reads it: `DESCRIBE` for the column types, and a
 * row count taken over a scan that hashes every column, so a value DuckDB cannot decode fails here
 * rather than passing on footer metadata alone. Opens a private in-memory DuckDB and closes it
 * before returning (about 40 ms), so calls are independent and leave nothing running.
 */
export async function describeParquetWithDuckDb(path: string): Promise<DuckDbParquetDescription> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      const described = await connection.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [path]);
      const columns = described.getRowObjectsJS().map((row) => ({
        name: String(row.column_name),
        type: String(row.column_type),
      }));
      const counted = await connection.runAndReadAll(
        columns.length > 0
          ? 'SELECT count(*) AS n FROM read_parquet($1) WHERE hash(COLUMNS(*)) IS NOT NULL'
          : 'SELECT count(*) AS n FROM read_parquet($1)',
        [path],
      );
      const [countRow] = counted.getRowObjectsJS();
      return { columns, rowCount: Number(countRow?.n ?? Number.NaN) };
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
