import { listWindow, pageTokenAfter } from './list-paging.js';
import {
  assertValidKey,
  type DeleteOptions,
  type ListOptions,
  type ListPage,
  type ObjectMeta,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store.js';
import { assertPutOptions, preconditionFailed } from './object-store-errors.js';

/**
 * The in-process `ObjectStore`: for unit tests, simulations and single-process tools. Bodies are
 * copied on the way in and out, so neither the writer nor a reader can change stored bytes by
 * mutating a buffer after the call. Each operation runs to completion without awaiting, so
 * preconditions are atomic without locks.
 *
 * Generations come from one counter per store, so a key that is deleted and re-created never gets a
 * generation it had before.
 */
export function createMemoryObjectStore(): ObjectStore {
  const objects = new Map<string, StoredObject>();
  /** Every stored key in ascending order, so a page costs O(log n + page size). */
  const sortedKeys: string[] = [];
  let lastGeneration = 0;

  const metaOf = ({ key, generation, size }: StoredObject): ObjectMeta => ({ key, generation, size });

  return {
    async get(key) {
      assertValidKey(key);
      const stored = objects.get(key);
      return stored === undefined ? undefined : { ...metaOf(stored), body: new Uint8Array(stored.body) };
    },

    async head(key) {
      assertValidKey(key);
      const stored = objects.get(key);
      return stored === undefined ? undefined : metaOf(stored);
    },

    async put(key, body, options: PutOptions = {}) {
      assertValidKey(key);
      assertPutOptions(options);
      const current = objects.get(key);
      if (options.ifNotExists === true && current !== undefined) {
        throw preconditionFailed(key, 'object already exists');
      }
      if (options.ifGenerationMatch !== undefined && options.ifGenerationMatch !== current?.generation) {
        throw preconditionFailed(key, 'generation does not match');
      }
      lastGeneration += 1;
      const stored: StoredObject = {
        key,
        generation: String(lastGeneration),
        size: body.byteLength,
        // A copy: Buffer#slice would share memory with the caller's buffer.
        body: new Uint8Array(body),
      };
      objects.set(key, stored);
      if (current === undefined) sortedKeys.splice(lowerBound(sortedKeys, key), 0, key);
      return metaOf(stored);
    },

    async list(options: ListOptions): Promise<ListPage> {
      const { prefix, after, maxResults } = listWindow(options);
      let index = lowerBound(sortedKeys, after !== undefined && after > prefix ? after : prefix);
      if (sortedKeys[index] === after) index += 1;
      const page: ObjectMeta[] = [];
      for (; index < sortedKeys.length && page.length < maxResults; index += 1) {
        const key = sortedKeys[index]!;
        if (!key.startsWith(prefix)) break;
        page.push(metaOf(objects.get(key)!));
      }
      const next = sortedKeys[index];
      const last = page.at(-1);
      return last !== undefined && next?.startsWith(prefix)
        ? { objects: page, nextPageToken: pageTokenAfter(last.key) }
        : { objects: page };
    },

    async delete(key, options: DeleteOptions = {}) {
      assertValidKey(key);
      const current = objects.get(key);
      // A missing key answers false even under a generation precondition, as GCS answers 404.
      if (current === undefined) return false;
      if (options.ifGenerationMatch !== undefined && options.ifGenerationMatch !== current.generation) {
        throw preconditionFailed(key, 'generation does not match');
      }
      objects.delete(key);
      sortedKeys.splice(lowerBound(sortedKeys, key), 1);
      return true;
    },
  };
}

/** Index of the first element >= `value`, in UTF-16 code unit order as the port specifies. */
function lowerBound(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
