import { randomBytes, randomInt } from 'node:crypto';
import type { BigIntStats, Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ErrorCode, ServoError } from '../errors.js';
import { errorCode } from './file-lock.js';

/**
 * How the local-disk object store lays keys out on disk. Other tools read this layout directly:
 * the object `a/b/c.parquet` is the file `<root>/a/b/c.parquet` and holds exactly the object's
 * bytes, so DuckDB or any Parquet reader can open the projections and ordinary tools can browse
 * the ledger's JSON segments.
 *
 * - Each `/`-separated key segment is one path component, written as is (file names are the
 *   segment's UTF-8 bytes). Servo's keys use letters, digits, `_ - . = @ :` and `/`. Other
 *   characters go to the file system unchanged, so its own rules apply (Windows refuses `<>:"|?*`).
 * - `~` is reserved: a name containing it belongs to the store. Beside an object file `x` live its
 *   lock `x~lock` (and `x~lock.break` while a stale lock is being broken) and writers' temporary
 *   files `x~tmp.<pid>.<random>`. Listing skips them, and a key with a `~` in any segment is
 *   rejected with `INVALID_INPUT`.
 * - A path component is either a file or a directory, so here a key cannot also be the prefix of
 *   another key: while `a/b` is stored (or ever was: directories are never removed) `a` is a
 *   directory, and putting `a` fails with `INVALID_INPUT`, as does putting `a/b` while the object
 *   `a` exists. The memory and GCS stores allow both; Servo's keys never need it.
 * - A file name may have at most 255 bytes. The last segment must leave room for the longest
 *   sidecar suffix, so it may have at most 215 bytes; directory segments may have 255.
 * - A version's generation comes from its file's inode number, mtime and size (see
 *   `generationOf`); every write sets the new file's mtime to the current second plus a random
 *   fraction (see `versionTime`).
 *
 * On case-insensitive file systems (macOS, Windows defaults) keys that differ only in case would
 * share a file, and HFS+ returns decomposed (NFD) names from listings: Servo's keys are ASCII and
 * never differ only in case.
 */

const RESERVED = '~';
const LOCK_SUFFIX = '~lock';
const TEMP_MARKER = '~tmp.';
const MAX_NAME_BYTES = 255;
/** Longest sidecar suffix: `~lock.break~tmp.<pid, up to 10 digits>.<12 hex digits>` is 39 bytes. */
const SIDECAR_SUFFIX_BYTES = 40;
export const MAX_OBJECT_NAME_BYTES = MAX_NAME_BYTES - SIDECAR_SUFFIX_BYTES;
/** Names that cannot be key segments: the store's own files and what keys may not contain. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: keys never contain control characters
const NOT_A_SEGMENT = /[~\\\u0000-\u001f\u007f]/;

/** The files that belong to one key. */
export interface KeyPaths {
  /** Directory that holds the object file and its sidecars. */
  dir: string;
  /** The object file: exactly the object's bytes. */
  file: string;
  /** Lock file guarding read-check-replace of the object file. */
  lock: string;
}

/** The paths of a (valid) key; throws `INVALID_INPUT` for a key this layout cannot hold. */
export function keyPaths(rootDir: string, key: string): KeyPaths {
  const segments = key.split('/');
  segments.forEach((segment, i) => {
    checkSegment(segment, i === segments.length - 1 ? MAX_OBJECT_NAME_BYTES : MAX_NAME_BYTES, key);
  });
  const name = segments.pop()!;
  const dir = join(rootDir, ...segments);
  return { dir, file: join(dir, name), lock: join(dir, name + LOCK_SUFFIX) };
}

/** Directories a `keyPathResolver` remembers at most (Servo's keys use a few dozen). */
const MAX_REMEMBERED_DIRECTORIES = 10_000;

/**
 * `keyPaths` for a store's many keys in few directories (a ledger's segments share one): each
 * directory part of a key is checked and joined once, then only the last segment is.
 */
export function keyPathResolver(rootDir: string): (key: string) => KeyPaths {
  const directories = new Map<string, string>();
  return (key) => {
    const slash = key.lastIndexOf('/');
    const directoryKey = key.slice(0, slash + 1);
    const known = directories.get(directoryKey);
    if (known === undefined) {
      const paths = keyPaths(rootDir, key);
      if (directories.size < MAX_REMEMBERED_DIRECTORIES) directories.set(directoryKey, paths.dir);
      return paths;
    }
    const name = key.slice(slash + 1);
    checkSegment(name, MAX_OBJECT_NAME_BYTES, key);
    const file = known.endsWith(sep) ? known + name : known + sep + name;
    return { dir: known, file, lock: file + LOCK_SUFFIX };
  };
}

/** A fresh, unique temporary file name next to the object file. */
export function tempPath(paths: KeyPaths): string {
  return `${paths.file}${TEMP_MARKER}${process.pid}.${randomBytes(6).toString('hex')}`;
}

/**
 * The directory holding the keys that start with `prefix`, and the key text that its entries'
 * names continue: `a/b/c` → directory of `a/b/`, key prefix `a/b/`. Undefined when no key can
 * start with `prefix` because a whole segment of it is not a key segment.
 */
export function prefixDirectory(
  rootDir: string,
  prefix: string,
): { dir: string; keyPrefix: string } | undefined {
  const segments = prefix.split('/');
  segments.pop(); // the partial last segment is matched against names inside the directory
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  if (segments.some((segment) => NOT_A_SEGMENT.test(segment))) return undefined;
  return { dir: join(rootDir, ...segments), keyPrefix: segments.map((segment) => `${segment}/`).join('') };
}

type EntryKind = 'object' | 'prefix' | 'temp' | 'other';

/** What a name found in the tree is: an object file, a directory of keys, a temporary file or neither. */
function entryKind(name: string, type: { isFile(): boolean; isDirectory(): boolean }): EntryKind {
  if (name.includes(RESERVED)) return name.includes(TEMP_MARKER) && type.isFile() ? 'temp' : 'other';
  if (NOT_A_SEGMENT.test(name)) return 'other';
  if (type.isDirectory()) return 'prefix';
  return type.isFile() ? 'object' : 'other';
}

/**
 * Yields the objects under `dir` whose keys start with `prefix` and sort after `after`, in key
 * order. Sorting each directory's entries by key text, with a sub-directory standing for
 * `its key + '/'`, gives the global order: no key outside a sub-directory can fall between two keys
 * inside it, because they all share a prefix ending in `/` that no sibling name contains.
 */
export async function* walk(
  dir: string,
  keyPrefix: string,
  prefix: string,
  after: string | undefined,
  tempFiles: string[],
): AsyncGenerator<{ key: string; file: string }> {
  let names: Dirent[];
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
    throw error;
  }
  const entries: { sortKey: string; path: string; isPrefix: boolean }[] = [];
  for (const dirent of names) {
    const kind = entryKind(dirent.name, dirent);
    const path = join(dir, dirent.name);
    if (kind === 'temp') tempFiles.push(path);
    if (kind === 'object') {
      const key = keyPrefix + dirent.name;
      if (key.startsWith(prefix) && (after === undefined || key > after)) {
        entries.push({ sortKey: key, path, isPrefix: false });
      }
    } else if (kind === 'prefix') {
      const subPrefix = `${keyPrefix}${dirent.name}/`;
      const overlapsPrefix = subPrefix.startsWith(prefix) || prefix.startsWith(subPrefix);
      const reachesPastAfter = after === undefined || subPrefix > after || after.startsWith(subPrefix);
      if (overlapsPrefix && reachesPastAfter) entries.push({ sortKey: subPrefix, path, isPrefix: true });
    }
  }
  entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : 1));
  for (const entry of entries) {
    if (entry.isPrefix) yield* walk(entry.path, entry.sortKey, prefix, after, tempFiles);
    else yield { key: entry.sortKey, file: entry.path };
  }
}

/**
 * The generation of the version a file holds: its inode number, mtime in nanoseconds and size, in
 * base 36. None of them changes while the file is visible: `link`, `rename` and unlinking the
 * temporary name change the ctime, which is why the ctime is not part of it.
 */
export function generationOf(stats: Pick<BigIntStats, 'ino' | 'mtimeNs' | 'size'>): string {
  return `${stats.ino.toString(36)}.${stats.mtimeNs.toString(36)}.${stats.size.toString(36)}`;
}

/**
 * The mtime (in seconds, for `utimes`) a write gives its new file: the current second plus a random
 * fraction in whole microseconds, the precision `utimes` passes through (the half microsecond
 * keeps its truncation from landing on the neighbour).
 */
export function versionTime(): number {
  return Math.floor(Date.now() / 1000) + (randomInt(1_000_000) + 0.5) / 1_000_000;
}

/** The key needs a file where a directory is, or a directory where a file is. */
export function keyIsAlsoPrefix(key: string): ServoError {
  return new ServoError(
    ErrorCode.InvalidInput,
    `object key ${JSON.stringify(key)} conflicts with another key: the local-disk store cannot keep ` +
      'a key that is also a prefix of another key (like a and a/b)',
    { details: { key } },
  );
}

/** The file system refused a path as too long (the whole path, not one name). */
export function pathTooLong(key: string, cause: unknown): ServoError {
  return new ServoError(ErrorCode.InvalidInput, `object key too long for a path on this file system`, {
    details: { key },
    cause,
  });
}

function checkSegment(segment: string, maxBytes: number, key: string): void {
  if (segment.includes(RESERVED)) {
    throw new ServoError(
      ErrorCode.InvalidInput,
      `object key ${JSON.stringify(key)} contains ${RESERVED}, which the local-disk store reserves for its own files`,
      { details: { key } },
    );
  }
  if (/\p{Cs}/u.test(segment)) {
    throw new ServoError(
      ErrorCode.InvalidInput,
      `object key has an unpaired surrogate: ${JSON.stringify(key)}`,
      { details: { key } },
    );
  }
  const bytes = Buffer.byteLength(segment);
  if (bytes > maxBytes) {
    throw new ServoError(
      ErrorCode.InvalidInput,
      `object key segment of ${bytes} bytes is too long for a file name: the local-disk store allows ` +
        `${MAX_OBJECT_NAME_BYTES} bytes for the last segment (file names have at most ${MAX_NAME_BYTES}, ` +
        `and lock and temporary files add a suffix) and ${MAX_NAME_BYTES} for the others`,
      { details: { key, segmentBytes: bytes } },
    );
  }
}
