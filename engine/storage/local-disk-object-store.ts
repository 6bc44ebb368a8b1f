/**
 * The `ObjectStore` of embedded mode: the object `a/b/c` is the file `<rootDir>/a/b/c` and holds
 * exactly the object's bytes (layout in `local-disk-layout.ts`), so other tools can read the files
 * directly. Several processes may use the same directory at once.
 *
 * - **Whole-body atomicity.** Every write first fills and fsyncs a new temporary file beside the
 *   target, then makes it visible with one `link` or `rename`, so a reader opens either the old
 *   file or the new one, never a part, and every version is a new inode. A writer killed before
 *   that step leaves only a temporary file, which listing skips and removes once it is an hour old.
 * - **Create-only** is `link(temp, target)`: the kernel makes exactly one of any number of racing
 *   processes succeed and the others get `EEXIST`. It takes no lock.
 * - **Everything else that replaces or removes an existing file** (generation-match and
 *   unconditional puts, deletes) runs under the key's lock file (`file-lock.ts`): read the current
 *   generation, check the precondition, rename or unlink, fsync the directory, release. These must
 *   all lock, or an unconditional write could land between another writer's check and its rename.
 *   Within one process, operations on a key also queue in memory first, so they do not poll the lock
 *   file against each other.
 * - **Stale locks** (holder killed) are broken when the owner PID is dead on this host, or after
 *   `staleLockMs` otherwise.
 * - **Generations** identify the file, not the bytes: inode number, mtime (ns) and size, fixed
 *   before the file becomes visible (its ctime is not used: `link`, `rename` and unlinking the temp
 *   name change it later). `get` opens the file, `fstat`s the descriptor and reads from it, so body
 *   and generation come from the same inode. Inode numbers alone repeat: ext4 and XFS hand a freed
 *   number out again at once, after a delete or a replace (the rename frees the previous version),
 *   so a busy key's versions may alternate between two numbers. Kernel timestamps do not separate
 *   them (before Linux 6.13 they come from a clock ticking every few ms), so each write sets its
 *   file's mtime itself: the current second plus a random whole-microsecond fraction. Residual
 *   risk: a stale generation matches a later version only if that version reused its inode number,
 *   was written in the same second (or the clock went back to it), drew the same of 10^6 fractions
 *   and has the same size; then that one precondition check passes wrongly. File systems with
 *   whole-second timestamps (FAT, HFS+, ext4 with 128-byte inodes) drop the fraction. A file
 *   another tool rewrites in place gets a new mtime, so a new generation.
 * - **Durability**: a put or delete is acknowledged after the temporary file and the directory (and
 *   any directory it created) are fsynced. `fsync: false` skips that for throwaway data.
 * - **Listing** walks only the directories that can hold keys in the requested window, in key
 *   order, stops after one page, and `stat`s each listed file for its generation and size.
 * - **Batched reads** (`getMany`, which the ledger uses to catch up) go to a worker thread shared by
 *   every store of the process (`file-batch-reader.ts`): it reads each file as `get` does (open,
 *   `fstat`, read from the same descriptor) while the caller's thread folds the previous batch.
 *
 * Directories are never removed, so a create never races a cleanup of its directory.
 */
import type { BigIntStats } from 'node:fs';
import { type FileHandle, link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, isServoError, ServoError } from '../errors.js';
import { FileBatchReader, FileReadError } from './file-batch-reader.js';
import { acquireFileLock, errorCode, type FileLockOptions } from './file-lock.js';
import { listWindow, pageTokenAfter } from './list-paging.js';
import {
  generationOf,
  type KeyPaths,
  keyIsAlsoPrefix,
  keyPathResolver,
  pathTooLong,
  prefixDirectory,
  tempPath,
  versionTime,
  walk,
} from './local-disk-layout.js';
import {
  assertValidKey,
  type DeleteOptions,
  type ListOptions,
  type ListPage,
  type ObjectMeta,
  type ObjectStore,
  type PutOptions,
} from './object-store.js';
import { assertPutOptions, preconditionFailed, storageUnavailable } from './object-store-errors.js';

export interface LocalDiskObjectStoreOptions {
  /** Fsync files and directories before acknowledging a write. Default true. */
  fsync?: boolean;
  /** A lock older than this is broken even if its owner may be alive. Default 5000 ms. */
  staleLockMs?: number;
  /** How long a write waits for a live lock holder before failing `UNAVAILABLE`. Default 15000 ms. */
  lockTimeoutMs?: number;
}

const TEMP_FILE_MAX_AGE_MS = 60 * 60 * 1000;
const STAT_CONCURRENCY = 16;

/** One reader thread for every local-disk store of the process, started by the first `getMany`. */
const batchReader = new FileBatchReader();

/**
 * An `ObjectStore` over the files under `rootDir` (created on first write). Any number of stores, in
 * this process or others, may share the directory.
 */
export function createLocalDiskObjectStore(
  rootDir: string,
  options: LocalDiskObjectStoreOptions = {},
): ObjectStore {
  const durable = options.fsync ?? true;
  const lockOptions: FileLockOptions = {
    staleMs: options.staleLockMs ?? 5000,
    timeoutMs: options.lockTimeoutMs ?? 15_000,
  };
  const knownDirs = new Set<string>();
  const pathsOf = keyPathResolver(rootDir);
  const queues = new Map<string, Promise<unknown>>();

  /** Runs `task` after earlier tasks on the same key in this process, then under the key's lock file. */
  async function withKeyLock<T>(paths: KeyPaths, task: () => Promise<T>): Promise<T> {
    const previous = queues.get(paths.lock) ?? Promise.resolve();
    const run = previous.then(async () => {
      const lock = await acquireFileLock(paths.lock, lockOptions);
      try {
        return await task();
      } finally {
        await lock.release();
      }
    });
    const settled = run.catch(() => undefined);
    queues.set(paths.lock, settled);
    try {
      return await run;
    } finally {
      if (queues.get(paths.lock) === settled) queues.delete(paths.lock);
    }
  }

  async function ensureDir(key: string, dir: string): Promise<void> {
    if (knownDirs.has(dir)) return;
    let firstCreated: string | undefined;
    try {
      firstCreated = await mkdir(dir, { recursive: true });
    } catch (error) {
      // ENOTDIR: a parent is an object file; EEXIST: the directory itself is one.
      const code = errorCode(error);
      if (code === 'ENOTDIR' || code === 'EEXIST') throw keyIsAlsoPrefix(key);
      throw error;
    }
    if (firstCreated !== undefined && durable) {
      // Each new directory's entry lives in its parent: fsync from the deepest parent upwards.
      for (let created = dir; created.length >= firstCreated.length; created = dirname(created)) {
        await fsyncDir(dirname(created));
      }
    }
    knownDirs.add(dir);
  }

  async function fsyncDir(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Writes the body to a new temporary file, stamps its mtime and returns its path and metadata. */
  async function writeTemp(key: string, paths: KeyPaths, body: Uint8Array) {
    await ensureDir(key, paths.dir);
    const path = tempPath(paths);
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(body);
      const time = versionTime();
      await handle.utimes(time, time);
      if (durable) await handle.sync();
      const meta = metaOf(key, await handle.stat({ bigint: true }));
      await handle.close();
      return { path, meta };
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw error;
    }
  }

  async function createOnly(key: string, paths: KeyPaths, body: Uint8Array): Promise<ObjectMeta> {
    const temp = await writeTemp(key, paths, body);
    try {
      await link(temp.path, paths.file);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      if (await isDirectory(paths.file)) throw keyIsAlsoPrefix(key);
      throw preconditionFailed(key, 'object already exists');
    } finally {
      await unlink(temp.path);
    }
    if (durable) await fsyncDir(paths.dir);
    return temp.meta;
  }

  async function replace(key: string, paths: KeyPaths, body: Uint8Array, ifGenerationMatch?: string) {
    // A stale generation fails here, before paying for a temporary file; the check that counts is
    // repeated under the lock.
    if (
      ifGenerationMatch !== undefined &&
      (await readMeta(key, paths.file))?.generation !== ifGenerationMatch
    ) {
      throw preconditionFailed(key, 'generation does not match');
    }
    const temp = await writeTemp(key, paths, body);
    let renamed = false;
    try {
      return await withKeyLock(paths, async () => {
        if (
          ifGenerationMatch !== undefined &&
          (await readMeta(key, paths.file))?.generation !== ifGenerationMatch
        ) {
          throw preconditionFailed(key, 'generation does not match');
        }
        try {
          await rename(temp.path, paths.file);
        } catch (error) {
          if (await isDirectory(paths.file)) throw keyIsAlsoPrefix(key);
          throw error;
        }
        renamed = true;
        if (durable) await fsyncDir(paths.dir);
        return temp.meta;
      });
    } finally {
      if (!renamed) await unlink(temp.path);
    }
  }

  async function listPage(options: ListOptions): Promise<ListPage> {
    const window = listWindow(options);
    const start = prefixDirectory(rootDir, window.prefix);
    if (start === undefined) return { objects: [] };
    const candidates: { key: string; file: string }[] = [];
    const tempFiles: string[] = [];
    for await (const candidate of walk(start.dir, start.keyPrefix, window.prefix, window.after, tempFiles)) {
      candidates.push(candidate);
      if (candidates.length > window.maxResults) break;
    }
    await removeOldTempFiles(tempFiles);
    const more = candidates.length > window.maxResults;
    const pageCandidates = candidates.slice(0, window.maxResults);
    const metas: (ObjectMeta | undefined)[] = [];
    for (let i = 0; i < pageCandidates.length; i += STAT_CONCURRENCY) {
      const batch = pageCandidates.slice(i, i + STAT_CONCURRENCY);
      metas.push(...(await Promise.all(batch.map(({ key, file }) => readMeta(key, file)))));
    }
    // A key deleted since the directory was read is simply absent from the page.
    const objects = metas.filter((meta): meta is ObjectMeta => meta !== undefined);
    const last = pageCandidates.at(-1);
    return more && last !== undefined ? { objects, nextPageToken: pageTokenAfter(last.key) } : { objects };
  }

  const guarded =
    <A extends unknown[], R>(operation: string, body: (key: string, ...rest: A) => Promise<R>) =>
    async (key: string, ...rest: A): Promise<R> => {
      assertValidKey(key);
      try {
        return await body(key, ...rest);
      } catch (error) {
        if (isServoError(error) || error instanceof TypeError) throw error;
        if (errorCode(error) === 'ENAMETOOLONG') throw pathTooLong(key, error);
        throw storageUnavailable(operation, key, error);
      }
    };

  return {
    get: guarded('get', async (key) => {
      const handle = await openIfExists(pathsOf(key).file);
      if (handle === undefined) return undefined;
      try {
        const stats = await handle.stat({ bigint: true });
        if (!stats.isFile()) return undefined;
        const meta = metaOf(key, stats);
        const body = new Uint8Array(meta.size);
        await readFully(handle, body);
        return { ...meta, body };
      } finally {
        await handle.close();
      }
    }),

    async getMany(keys) {
      const files = keys.map((key) => {
        assertValidKey(key);
        return pathsOf(key).file;
      });
      let reads: Awaited<ReturnType<FileBatchReader['read']>>;
      try {
        reads = await batchReader.read(files);
      } catch (error) {
        if (!(error instanceof FileReadError)) throw storageUnavailable('get', keys[0] ?? '', error);
        const key = keys[files.indexOf(error.path)] ?? '';
        if (error.code === 'ENAMETOOLONG') throw pathTooLong(key, error);
        if (error.code === 'ESHRUNK')
          throw new ServoError(ErrorCode.Corrupt, error.message, { details: { key } });
        throw storageUnavailable('get', key, error);
      }
      return reads.map((read, index) =>
        read === undefined
          ? undefined
          : {
              key: keys[index]!,
              generation: generationOf(read),
              size: read.body.byteLength,
              body: read.body,
            },
      );
    },

    head: guarded('head', async (key) => readMeta(key, pathsOf(key).file)),

    put: guarded('put', async (key, body: Uint8Array, putOptions: PutOptions = {}) => {
      assertPutOptions(putOptions);
      const paths = pathsOf(key);
      return putOptions.ifNotExists === true
        ? createOnly(key, paths, body)
        : replace(key, paths, body, putOptions.ifGenerationMatch);
    }),

    async list(options) {
      try {
        return await listPage(options);
      } catch (error) {
        throw isServoError(error) || error instanceof TypeError
          ? error
          : storageUnavailable('list', options.prefix, error);
      }
    },

    delete: guarded('delete', async (key, deleteOptions: DeleteOptions = {}) => {
      const paths = pathsOf(key);
      // Without a lock: the key was absent at this instant, and only a create (which never locks)
      // could have changed that since. It also keeps deletes of absent keys from making directories.
      if ((await readMeta(key, paths.file)) === undefined) return false;
      return withKeyLock(paths, async () => {
        const current = await readMeta(key, paths.file);
        if (current === undefined) return false;
        if (
          deleteOptions.ifGenerationMatch !== undefined &&
          deleteOptions.ifGenerationMatch !== current.generation
        ) {
          throw preconditionFailed(key, 'generation does not match');
        }
        await unlink(paths.file);
        if (durable) await fsyncDir(paths.dir);
        return true;
      });
    }),
  };
}

function metaOf(key: string, stats: BigIntStats): ObjectMeta {
  return { key, generation: generationOf(stats), size: Number(stats.size) };
}

/** The metadata of the object file at `file`, from one `stat`; undefined if there is none. */
async function readMeta(key: string, file: string): Promise<ObjectMeta | undefined> {
  let stats: BigIntStats;
  try {
    stats = await stat(file, { bigint: true });
  } catch (error) {
    // ENOTDIR: a key whose path crosses an object file is simply absent.
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  // A directory (of keys below this one) is not an object.
  return stats.isFile() ? metaOf(key, stats) : undefined;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (error) {
    // ENOTDIR/EISDIR: a key whose path crosses an object file or a directory is simply absent.
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw error;
  }
}

/** Fills `target` from the file's start; object files never change once visible, so a short one is corrupt. */
async function readFully(handle: FileHandle, target: Uint8Array): Promise<void> {
  let filled = 0;
  while (filled < target.byteLength) {
    const { bytesRead } = await handle.read(target, filled, target.byteLength - filled, filled);
    if (bytesRead === 0) {
      throw new ServoError(
        ErrorCode.Corrupt,
        `object file shrank while being read: ${filled} of ${target.byteLength} bytes`,
      );
    }
    filled += bytesRead;
  }
}

/** Temporary files a crashed writer left behind; an hour is far longer than any write takes. */
async function removeOldTempFiles(paths: readonly string[]): Promise<void> {
  const cutoff = Date.now() - TEMP_FILE_MAX_AGE_MS;
  await Promise.all(
    paths.map(async (path) => {
      try {
        if ((await stat(path)).mtimeMs < cutoff) await unlink(path);
      } catch {
        // Best effort: another process may have removed it first.
      }
    }),
  );
}
