/**
 * The Parquet port. Projections are written and read only through it, so the library behind it
 * can change without touching the fold or the manifest. The default adapter
 * (`parquet/hyparquet-codec.ts`) writes with hyparquet-writer and reads with hyparquet; see the
 * README for why.
 *
 * The interface is columnar: a table is a schema plus one array per column, which is how both
 * libraries work internally and avoids building an object per row twice.
 */

/**
 * Column types and their Parquet encoding (physical type + logical type):
 * - `utf8`: BYTE_ARRAY, STRING (UTF8). Values: string.
 * - `json`: BYTE_ARRAY, STRING (UTF8) holding canonical JSON text. Values: string (already serialized).
 * - `int32`: INT32. Values: integer number in [-2^31, 2^31).
 * - `int64`: INT64. Values: bigint (exact over the whole range).
 * - `boolean`: BOOLEAN. Values: boolean.
 * - `timestamp`: INT64, TIMESTAMP(isAdjustedToUTC=true, unit=MILLIS). Values: epoch milliseconds (number).
 * Every column may be declared nullable; null is then a valid value.
 */
export type ColumnType = 'utf8' | 'json' | 'int32' | 'int64' | 'boolean' | 'timestamp';

export interface ColumnSpec {
  /** Persisted column name (snake_case); never renamed, see docs/semantics.md. */
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSchema {
  /** Table name, e.g. `schedule_ticks`. */
  name: string;
  columns: readonly ColumnSpec[];
}

export type ParquetValue = string | number | bigint | boolean | null;

/** A table in columnar form: `columns[i]` holds the values of `schema.columns[i]`, all of length `rowCount`. */
export interface ColumnarTable {
  rowCount: number;
  columns: ParquetValue[][];
}

export interface ParquetWriteOptions {
  /** Key/value metadata stored in the file footer (e.g. `servo.table`, `servo.table_version`). */
  metadata?: Record<string, string>;
}

export interface ParquetCodec {
  /** Encodes a table into a complete Parquet file. Throws on a value that does not fit its column. */
  encode(schema: TableSchema, table: ColumnarTable, options?: ParquetWriteOptions): Uint8Array;
  /**
   * Optional: the same file as `encode`, whose work may run on another thread. The table is read
   * before the call returns, so the caller may change or drop it at once, and start the next file
   * while this one is being encoded. Rejects where `encode` would throw.
   */
  encodeAsync?(schema: TableSchema, table: ColumnarTable, options?: ParquetWriteOptions): Promise<Uint8Array>;
  /**
   * Decodes a Parquet file into the columns of `schema`, matched by name. A column of `schema`
   * missing from the file (an older file written before the column was added) reads as all null,
   * and must be nullable. Columns in the file but not in `schema` are ignored. Files written by
   * other Parquet writers (DuckDB, Spark, …) decode as long as their types are compatible.
   */
  decode(schema: TableSchema, file: Uint8Array): Promise<ColumnarTable>;
  /** The footer key/value metadata of a file. */
  readMetadata(file: Uint8Array): Promise<Record<string, string>>;
}
