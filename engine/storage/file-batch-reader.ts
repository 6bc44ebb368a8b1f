import { Worker } from 'node:worker_threads';

/** One file read by a batch: its bytes and the `stat` fields a generation is made of. */
export interface FileRead {
  body: Uint8Array;
  ino: bigint;
  mtimeNs: bigint;
  size: bigint;
}

/** A file a batch could not read, for a reason other than its absence (`code` as in Node's errors). */
export class FileReadError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'FileReadError';
  }
}

/**
 * Reads batches of small files on a worker thread, with synchronous calls (open, `fstat`, read,
 * close for each file), and hands back all of a batch's bytes in one transferred buffer.
 *
 * Why: catching up with a ledger reads one small file per segment. Read one at a time with
 * `fs.promises`, each file costs four thread-pool round trips and their promises, about 50 µs of
 * the main thread's time; read here it costs the main thread nothing but its share of one message
 * per batch, and the worker's synchronous calls take about 7 µs per file from the page cache. So
 * the worker reads the next batch while the main thread folds the last one.
 *
 * The worker starts on the first batch and keeps the process alive only while a batch is pending.
 * Batches are answered in order. A file that does not exist, or is not a regular file, reads as `undefined`;
 * any other failure rejects the whole batch with a `FileReadError`. If the worker dies, pending
 * batches are rejected and the next batch starts a new one.
 */
export class FileBatchReader {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, PendingBatch>();
  private nextId = 0;

  read(paths: readonly string[]): Promise<(FileRead | undefined)[]> {
    if (paths.length === 0) return Promise.resolve([]);
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { paths, resolve, reject });
      // One string, not an array of them: cloning hundreds of strings costs more than reading.
      worker.postMessage({ id, paths: paths.join('\0') });
    });
  }

  /** Stops the worker (pending batches fail). A later batch starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (reply: BatchReply) => this.settle(reply));
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, batch] of this.pending) {
        this.pending.delete(id);
        batch.reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the file reader thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: BatchReply): void {
    const batch = this.pending.get(reply.id);
    if (batch === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.error !== undefined) {
      const { index, code, message } = reply.error;
      batch.reject(new FileReadError(batch.paths[index]!, code, message));
      return;
    }
    const results = new Array<FileRead | undefined>(batch.paths.length);
    for (let index = 0; index < results.length; index++) {
      const offset = reply.offsets[index]!;
      if (offset < 0) continue;
      const size = reply.stats[index * 3 + 2]!;
      results[index] = {
        body: new Uint8Array(reply.buffer, offset, Number(size)),
        ino: reply.stats[index * 3]!,
        mtimeNs: reply.stats[index * 3 + 1]!,
        size,
      };
    }
    batch.resolve(results);
  }
}

interface PendingBatch {
  paths: readonly string[];
  resolve: (results: (FileRead | undefined)[]) => void;
  reject: (error: Error) => void;
}

interface BatchReply {
  id: number;
  /** The bytes of every file read, one after another. */
  buffer: ArrayBuffer;
  /** Where each file's bytes start in `buffer`; -1 for a file that is not there. */
  offsets: Float64Array;
  /** `ino`, `mtimeNs` and `size` of each file. */
  stats: BigInt64Array;
  error?: { index: number; code: string | undefined; message: string };
}

/**
 * The worker: plain JavaScript evaluated by `new Worker(…, { eval: true })`, so it runs the same
 * whether Servo runs from TypeScript sources, a test runner or a build. Each batch's buffer is
 * transferred away with the reply; the next one is sized from it.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
let buffer = new Uint8Array(1 << 16);
parentPort.on('message', ({ id, paths: joined }) => {
  const paths = joined.split('\\0');
  const offsets = new Float64Array(paths.length);
  const stats = new BigInt64Array(paths.length * 3);
  let used = 0;
  for (let index = 0; index < paths.length; index++) {
    offsets[index] = -1;
    let fd;
    try {
      fd = fs.openSync(paths[index], 'r');
    } catch (error) {
      if (ABSENT.has(error.code)) continue;
      return fail(id, index, error);
    }
    try {
      const stat = fs.fstatSync(fd, { bigint: true });
      if (!stat.isFile()) continue;
      const size = Number(stat.size);
      if (used + size > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, used + size));
        grown.set(buffer.subarray(0, used));
        buffer = grown;
      }
      let filled = 0;
      while (filled < size) {
        const read = fs.readSync(fd, buffer, used + filled, size - filled, filled);
        if (read === 0) throw Object.assign(new Error('object file shrank while being read: ' + filled + ' of ' + size + ' bytes'), { code: 'ESHRUNK' });
        filled += read;
      }
      offsets[index] = used;
      stats[index * 3] = stat.ino;
      stats[index * 3 + 1] = stat.mtimeNs;
      stats[index * 3 + 2] = stat.size;
      used += size;
    } catch (error) {
      return fail(id, index, error);
    } finally {
      fs.closeSync(fd);
    }
  }
  const sent = buffer.buffer;
  buffer = new Uint8Array(Math.max(1 << 16, used + (used >> 1)));
  parentPort.postMessage({ id, buffer: sent, offsets, stats }, [sent]);
});
function fail(id, index, error) {
  parentPort.postMessage({ id, error: { index, code: error.code, message: String(error.message) } });
}
`;
