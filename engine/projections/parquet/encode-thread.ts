import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SchemaElement as WriterSchemaElement } from 'hyparquet-writer';
import type { ColumnarTable, ColumnSpec, ParquetValue, TableSchema } from '../parquet-codec.js';
import { packUtf8Column } from './utf8-column.js';

/**
 * Encodes Parquet files on a worker thread, so that writing a base takes the main thread only the
 * time to pack each table's values into a few flat buffers.
 *
 * Why: hyparquet-writer does work and allocates for every value (a view, a dictionary lookup,
 * statistics, compression), which for a base of half a million rows costs seconds and leaves many
 * short-lived objects. On the main thread that work runs against a heap holding the whole
 * projection state, where garbage collection is slow; on this thread the heap holds one table, and
 * the work runs beside the main thread packing the next part and writing the previous file.
 *
 * A packed table crosses to the thread by transfer (no copy): strings as UTF-8 in one buffer with
 * starts and lengths (`packUtf8Column`), numbers, bigints and booleans in typed arrays with their
 * nulls beside them. The thread rebuilds exactly the column values the codec's own `encode` hands
 * the writer and calls the writer with the same settings, so the file is byte for byte the one
 * `encode` gives (`hyparquet-codec.test.ts` checks this). The file comes back by transfer too.
 *
 * One thread serves the process, started by the first job; it keeps the process alive only while
 * a job is pending, and answers jobs in order. If it dies, pending jobs fail and the next job
 * starts a new one.
 */

/** A column of a packed table. `nulls[i] === 1` marks a null (absent when the column has none). */
export type PackedColumn =
  | { kind: 'utf8'; bytes: Uint8Array; starts: Int32Array; lengths: Int32Array }
  | { kind: 'number'; values: Float64Array; nulls: Uint8Array | null }
  | { kind: 'bigint'; values: BigInt64Array; nulls: Uint8Array | null }
  | { kind: 'boolean'; values: Uint8Array; nulls: Uint8Array | null };

/** What the thread needs to write one file: the writer's schema and settings, and the columns. */
export interface EncodeJob {
  elements: WriterSchemaElement[];
  names: string[];
  columns: PackedColumn[];
  codec: string;
  statistics: boolean;
  rowGroupSize: number;
  createdBy: string;
  kvMetadata: { key: string; value: string }[] | undefined;
}

/**
 * Packs a validated table (see `validateTable`) column by column. Reads every value before it
 * returns; the buffers it makes are handed over with `transferablesOf`.
 */
export function packColumns(schema: TableSchema, table: ColumnarTable): PackedColumn[] {
  return schema.columns.map((spec, index) => packColumn(spec, table.columns[index]!));
}

function packColumn(spec: ColumnSpec, values: readonly ParquetValue[]): PackedColumn {
  switch (spec.type) {
    case 'utf8':
    case 'json':
      return { kind: 'utf8', ...packUtf8Column(values) };
    case 'int32':
    case 'timestamp': {
      const packed = new Float64Array(values.length);
      const nulls = packNulls(values, spec.nullable);
      for (let i = 0; i < values.length; i++) packed[i] = (values[i] as number | null) ?? 0;
      return { kind: 'number', values: packed, nulls };
    }
    case 'int64': {
      const packed = new BigInt64Array(values.length);
      const nulls = packNulls(values, spec.nullable);
      for (let i = 0; i < values.length; i++) packed[i] = (values[i] as bigint | null) ?? 0n;
      return { kind: 'bigint', values: packed, nulls };
    }
    case 'boolean': {
      const packed = new Uint8Array(values.length);
      const nulls = packNulls(values, spec.nullable);
      for (let i = 0; i < values.length; i++) packed[i] = values[i] === true ? 1 : 0;
      return { kind: 'boolean', values: packed, nulls };
    }
  }
}

function packNulls(values: readonly ParquetValue[], nullable: boolean): Uint8Array | null {
  if (!nullable) return null;
  let nulls: Uint8Array | null = null;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) {
      nulls ??= new Uint8Array(values.length);
      nulls[i] = 1;
    }
  }
  return nulls;
}

function transferablesOf(columns: readonly PackedColumn[]): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [];
  for (const column of columns) {
    if (column.kind === 'utf8') arrays.push(column.bytes, column.starts, column.lengths);
    else {
      arrays.push(column.values);
      if (column.nulls !== null) arrays.push(column.nulls);
    }
  }
  // Every array here was made by `packColumns` over an ArrayBuffer of its own.
  return arrays.map((array) => array.buffer as ArrayBuffer);
}

interface PendingJob {
  resolve: (file: Uint8Array) => void;
  reject: (error: Error) => void;
}

type EncodeReply = { id: number; file: ArrayBuffer } | { id: number; error: string };

let thread: EncodeThread | undefined;

/** Encodes `job` on the process's encoder thread. The job's buffers are transferred away. */
export function encodeOnThread(job: EncodeJob): Promise<Uint8Array> {
  thread ??= new EncodeThread();
  return thread.encode(job);
}

class EncodeThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, PendingJob>();
  private nextId = 0;

  encode(job: EncodeJob): Promise<Uint8Array> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      try {
        worker.postMessage({ id, job }, transferablesOf(job.columns));
      } catch (error) {
        reject(error);
        return;
      }
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  private start(): Worker {
    const writerUrl = pathToFileURL(createRequire(import.meta.url).resolve('hyparquet-writer')).href;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { writerUrl } });
    worker.unref();
    worker.on('message', (reply: EncodeReply) => this.settle(reply));
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, job] of this.pending) {
        this.pending.delete(id);
        job.reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the Parquet encoder thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: EncodeReply): void {
    const job = this.pending.get(reply.id);
    if (job === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in reply) job.reject(new Error(`Parquet encoder thread: ${reply.error}`));
    else job.resolve(new Uint8Array(reply.file));
  }
}

/**
 * The thread: plain JavaScript evaluated by `new Worker(…, { eval: true })`, so it runs the same
 * whether Servo runs from TypeScript sources, a test runner or a build. It imports hyparquet-writer
 * from the path the main thread resolved. `utf8Views` is `utf8-column.ts`'s loop of that name;
 * `compressors` must match the codec's `WRITE_COMPRESSORS`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { gzipSync } = require('node:zlib');
const REPEAT_CACHE_SIZE = 4096;
const compressors = { GZIP: (input) => gzipSync(input, { level: 1 }) };
const writer = import(workerData.writerUrl);
let queue = Promise.resolve();
parentPort.on('message', ({ id, job }) => {
  queue = queue.then(async () => {
    try {
      const file = encode(await writer, job);
      parentPort.postMessage({ id, file }, [file]);
    } catch (error) {
      parentPort.postMessage({ id, error: String(error && error.stack || error) });
    }
  });
});
function encode({ ByteWriter, ParquetWriter }, job) {
  const columnData = job.columns.map((column, index) => ({ name: job.names[index], data: valuesOf(column) }));
  const bytes = new ByteWriter();
  const parquet = new ParquetWriter({
    writer: bytes,
    schema: job.elements,
    codec: job.codec,
    compressors,
    statistics: job.statistics,
    createdBy: job.createdBy,
    ...(job.kvMetadata ? { kvMetadata: job.kvMetadata } : {}),
  });
  parquet.write({ columnData, rowGroupSize: job.rowGroupSize });
  parquet.finish();
  return bytes.getBuffer();
}
function valuesOf(column) {
  if (column.kind === 'utf8') return utf8Views(column);
  const { values, nulls } = column;
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = nulls !== null && nulls[i] === 1 ? null : column.kind === 'boolean' ? values[i] === 1 : values[i];
  }
  return out;
}
function utf8Views({ bytes, starts, lengths }) {
  const n = starts.length;
  const out = new Array(n);
  const seen = new Map();
  const empty = bytes.subarray(0, 0);
  let end = 0;
  for (let i = 0; i < n; i++) {
    const length = lengths[i];
    if (length < 0) { out[i] = null; continue; }
    if (length === 0) { out[i] = empty; continue; }
    const start = starts[i];
    if (start === end) {
      const view = bytes.subarray(start, start + length);
      end += length;
      if (seen.size < REPEAT_CACHE_SIZE) seen.set(start, view);
      out[i] = view;
    } else {
      out[i] = seen.get(start) ?? bytes.subarray(start, start + length);
    }
  }
  return out;
}
`;
