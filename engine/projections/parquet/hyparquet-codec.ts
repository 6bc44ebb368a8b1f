import { gunzipSync, gzipSync } from 'node:zlib';
import type { AsyncBuffer, ColumnData, FileMetaData, ParquetParsers, SchemaTree } from 'hyparquet';
import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import type { ColumnSource, SchemaElement as WriterSchemaElement } from 'hyparquet-writer';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { ErrorCode, ServoError } from '../../errors.js';
import type {
  ColumnarTable,
  ColumnSpec,
  ParquetCodec,
  ParquetValue,
  ParquetWriteOptions,
  TableSchema,
} from '../parquet-codec.js';
import { schemaElementFor, type ValueMapping, valueMappingFor } from './column-layout.js';
import { validateTable } from './column-validation.js';
import { encodeOnThread, packColumns } from './encode-thread.js';
import { readFlatColumns } from './flat-columns.js';
import { encodeUtf8Column } from './utf8-column.js';

/**
 * The default `ParquetCodec`: writes with hyparquet-writer and reads with hyparquet (pure
 * JavaScript, no native build, typed; the README says why they were chosen). Both work on whole
 * columns held in memory, which matches the port's columnar interface.
 */

export interface HyparquetCodecOptions {
  /**
   * Page compression. Default `'SNAPPY'`: cheap to write and read and understood by every reader
   * (DuckDB, BigQuery, Spark). `'UNCOMPRESSED'` is for debugging byte layouts.
   */
  compression?: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  /**
   * Write min/max/null-count statistics per column chunk. Default `true`: DuckDB and BigQuery use
   * them to skip row groups, and they cost about 10–15% of encode time (measured on 1M rows).
   */
  statistics?: boolean;
  /**
   * Rows per row group. Default `100_000`: large enough that per-group overhead (headers,
   * dictionaries, statistics) is negligible, small enough that readers can skip and parallelize.
   */
  rowGroupSize?: number;
  /**
   * The footer's `created_by`. Default `'servo'`. Readers use it to tell which writer produced a
   * file (some apply per-writer workarounds), so it names the application, not the library.
   */
  createdBy?: string;
  /**
   * Tables of at least this many rows are encoded by `encodeAsync` on the encoder thread
   * (`encode-thread.ts`); smaller ones on the calling thread, where handing them over would cost
   * more than it saves. Default 10,000 (a micro-compaction's delta stays on the calling thread).
   */
  threadRows?: number;
  /**
   * Read the columns of the files Servo writes by the fast path (`flat-columns.ts`), and anything
   * else by hyparquet's general reader. Default `true`; `false` reads every file with hyparquet
   * (the tests compare the two).
   */
  flatColumns?: boolean;
}

const DEFAULT_ROW_GROUP_SIZE = 100_000;
const DEFAULT_THREAD_ROWS = 10_000;

/** The encoder thread has its own copy of these (`encode-thread.ts`): change both together. */
const WRITE_COMPRESSORS = {
  GZIP: (input: Uint8Array): Uint8Array => gzipSync(input, { level: 1 }),
};
const READ_COMPRESSORS = {
  GZIP: (input: Uint8Array): Uint8Array => gunzipSync(input),
};

const textDecoder = new TextDecoder();

/**
 * Value parsers handed to hyparquet. Timestamps come back as epoch milliseconds (the port's
 * representation) instead of a `Date` per value; MICROS and NANOS files (DuckDB writes MICROS) are
 * floored to the millisecond so a pre-1970 instant stays on the earlier millisecond, as `Date`
 * would place it. JSON-annotated text stays text: the port's `json` columns carry serialized JSON.
 */
const parsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (millis: bigint): number => Number(millis),
  timestampFromMicroseconds: (micros: bigint): number => floorDivide(micros, 1000n),
  timestampFromNanoseconds: (nanos: bigint): number => floorDivide(nanos, 1_000_000n),
  jsonFromBytes: (bytes: Uint8Array | undefined): string | undefined => bytes && textDecoder.decode(bytes),
};

function floorDivide(value: bigint, divisor: bigint): number {
  const quotient = value / divisor;
  return Number(value < 0n && quotient * divisor !== value ? quotient - 1n : quotient);
}

/** The writer's schema (a root and one element per column) and footer key/value metadata. */
function writerSettings(
  schema: TableSchema,
  writeOptions: ParquetWriteOptions | undefined,
): { elements: WriterSchemaElement[]; kvMetadata: { key: string; value: string }[] | undefined } {
  const elements: WriterSchemaElement[] = [
    { name: 'schema', num_children: schema.columns.length },
    ...schema.columns.map(schemaElementFor),
  ];
  const kvMetadata = Object.entries(writeOptions?.metadata ?? {}).map(([key, value]) => ({ key, value }));
  return { elements, kvMetadata: kvMetadata.length > 0 ? kvMetadata : undefined };
}

/**
 * Creates the hyparquet-backed codec.
 *
 * Encoding contract (beyond the port's): columns are written with the exact types documented on
 * `ColumnType`, REQUIRED or OPTIONAL per `nullable`; the footer carries `options.metadata` as
 * key/value pairs in insertion order and `created_by`; equal inputs give byte-identical files. Bad
 * input throws a `TypeError` naming table, column and row (see `validateTable`).
 *
 * Decoding contract: a file that is not Parquet, a file column whose type cannot be read as the
 * schema's type, a missing non-nullable column and a null in a non-nullable column all throw a
 * `ServoError` with code `CORRUPT` naming the table and column.
 */
export function createHyparquetCodec(options: HyparquetCodecOptions = {}): ParquetCodec {
  const codec = options.compression ?? 'SNAPPY';
  const statistics = options.statistics ?? true;
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  const createdBy = options.createdBy ?? 'servo';
  const threadRows = options.threadRows ?? DEFAULT_THREAD_ROWS;
  const flatColumns = options.flatColumns ?? true;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }

  return {
    encode(schema: TableSchema, table: ColumnarTable, writeOptions?: ParquetWriteOptions): Uint8Array {
      validateTable(schema, table);
      const settings = writerSettings(schema, writeOptions);
      const columnData: ColumnSource[] = schema.columns.map((spec, i) => ({
        name: spec.name,
        // Strings go in as UTF-8 bytes (see encodeUtf8Column); other values go in as they are,
        // and the writer converts timestamp numbers to INT64 itself.
        data:
          spec.type === 'utf8' || spec.type === 'json'
            ? encodeUtf8Column(table.columns[i]!)
            : table.columns[i]!,
      }));
      const writer = new ByteWriter();
      const parquet = new ParquetWriter({
        writer,
        schema: settings.elements,
        codec,
        compressors: WRITE_COMPRESSORS,
        statistics,
        createdBy,
        ...(settings.kvMetadata !== undefined ? { kvMetadata: settings.kvMetadata } : {}),
      });
      // ByteWriter has no asynchronous flush, so both calls complete synchronously.
      void parquet.write({ columnData, rowGroupSize });
      void parquet.finish();
      return new Uint8Array(writer.getBuffer());
    },

    async encodeAsync(
      schema: TableSchema,
      table: ColumnarTable,
      writeOptions?: ParquetWriteOptions,
    ): Promise<Uint8Array> {
      if (table.rowCount < threadRows) return this.encode(schema, table, writeOptions);
      validateTable(schema, table);
      const settings = writerSettings(schema, writeOptions);
      return encodeOnThread({
        elements: settings.elements,
        names: schema.columns.map((spec) => spec.name),
        columns: packColumns(schema, table),
        codec,
        statistics,
        rowGroupSize,
        createdBy,
        kvMetadata: settings.kvMetadata,
      });
    },

    async decode(schema: TableSchema, file: Uint8Array): Promise<ColumnarTable> {
      const metadata = readFooter(schema.name, file);
      const rowCount = Number(metadata.num_rows);
      const fileColumns = new Map<string, SchemaTree>();
      for (const node of parquetSchema(metadata).children) fileColumns.set(node.element.name, node);

      const columns: ParquetValue[][] = [];
      const targets = new Map<string, ColumnTarget[]>();
      for (const spec of schema.columns) {
        const node = fileColumns.get(spec.name);
        if (node === undefined) {
          if (!spec.nullable) {
            throw corrupt(schema.name, spec.name, 'non-nullable column is missing from the file');
          }
          // An older file written before this column was added: the port defines it as all null.
          columns.push(new Array<ParquetValue>(rowCount).fill(null));
          continue;
        }
        const mapping = valueMappingFor(schema.name, spec, node.element);
        const target: ColumnTarget = { spec, mapping, values: new Array<ParquetValue>(rowCount), filled: 0 };
        columns.push(target.values);
        const sameName = targets.get(spec.name);
        if (sameName) sameName.push(target);
        else targets.set(spec.name, [target]);
      }

      if (targets.size > 0 && rowCount > 0) {
        // The columns Servo writes are read by the fast path; anything else by hyparquet.
        if (!flatColumns || !readFlatColumns(file, metadata, targets, READ_COMPRESSORS))
          await readColumns(schema.name, file, metadata, targets);
        for (const list of targets.values()) {
          for (const target of list) {
            if (target.filled !== rowCount) {
              throw corrupt(
                schema.name,
                target.spec.name,
                `column holds ${target.filled} values but the file has ${rowCount} rows`,
              );
            }
          }
        }
      }
      return { rowCount, columns };
    },

    async readMetadata(file: Uint8Array): Promise<Record<string, string>> {
      const metadata = readFooter('(file)', file);
      const result: Record<string, string> = {};
      for (const { key, value } of metadata.key_value_metadata ?? []) result[key] = value ?? '';
      return result;
    },
  };
}

/** Where one schema column's decoded values go. */
interface ColumnTarget {
  spec: ColumnSpec;
  mapping: ValueMapping;
  values: ParquetValue[];
  /** Values written so far, checked against the row count after the read. */
  filled: number;
}

function readFooter(table: string, file: Uint8Array): FileMetaData {
  try {
    return parquetMetadata(file, { parsers });
  } catch (cause) {
    throw new ServoError(ErrorCode.Corrupt, `${table}: not a readable Parquet file: ${messageOf(cause)}`, {
      details: { table },
      cause,
    });
  }
}

/**
 * Reads the requested columns chunk by chunk (one chunk per row group and page run) straight into
 * the preallocated output arrays, so no row objects are built.
 */
async function readColumns(
  table: string,
  file: Uint8Array,
  metadata: FileMetaData,
  targets: Map<string, ColumnTarget[]>,
): Promise<void> {
  // hyparquet calls onChunk from a promise callback it does not observe, so an exception thrown
  // there would become an unhandled rejection: remember the first failure and rethrow it here.
  let failure: unknown;
  try {
    await parquetRead({
      file: asyncBufferOf(file),
      metadata,
      columns: [...targets.keys()],
      parsers,
      compressors: READ_COMPRESSORS,
      onChunk(chunk: ColumnData) {
        if (failure !== undefined) return;
        try {
          for (const target of targets.get(chunk.columnName) ?? []) copyChunk(table, target, chunk);
        } catch (error) {
          failure = error;
        }
      },
    });
  } catch (cause) {
    throw new ServoError(ErrorCode.Corrupt, `${table}: cannot decode Parquet file: ${messageOf(cause)}`, {
      details: { table },
      cause,
    });
  }
  if (failure !== undefined) throw failure;
}

/**
 * Copies one decoded chunk into its output column. This is the one place where hyparquet's loosely
 * typed output (`any[]` or a typed array) becomes `ParquetValue`: `valueMappingFor` has already
 * checked the file column's type, so each value is a string, number, bigint, boolean or null, and
 * only the nulls (which hyparquet may give as `undefined`) and INT32→int64 widening need work.
 */
function copyChunk(table: string, target: ColumnTarget, chunk: ColumnData): void {
  const source: ArrayLike<unknown> = chunk.columnData;
  const { values, spec } = target;
  const start = chunk.rowStart;
  const n = source.length;
  if (start < 0 || start + n > values.length) {
    throw corrupt(
      table,
      spec.name,
      `rows ${start}..${start + n} lie outside the file's ${values.length} rows`,
    );
  }
  if (target.mapping === 'int32-to-int64') {
    for (let i = 0; i < n; i++) {
      const v = source[i];
      values[start + i] = typeof v === 'number' ? BigInt(v) : null;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = source[i];
      values[start + i] = v === undefined ? null : (v as ParquetValue);
    }
  }
  if (!spec.nullable) {
    for (let i = 0; i < n; i++) {
      if (values[start + i] === null) {
        throw corrupt(table, spec.name, `null at row ${start + i} in a non-nullable column`);
      }
    }
  }
  target.filled += n;
}

/** hyparquet reads through byte ranges; serve them from the in-memory file. */
function asyncBufferOf(file: Uint8Array): AsyncBuffer {
  return {
    byteLength: file.byteLength,
    slice: (start: number, end?: number): ArrayBuffer => file.slice(start, end).buffer,
  };
}

function corrupt(table: string, column: string, problem: string): ServoError {
  return new ServoError(ErrorCode.Corrupt, `${table}.${column}: ${problem}`, { details: { table, column } });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
