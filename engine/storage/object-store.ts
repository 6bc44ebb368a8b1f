/**
 * The object storage port. Servo's only concurrency control is the precondition on a write:
 * create-only (`ifNotExists`) for immutable objects (ledger segments, manifests, Parquet files) and
 * generation match for the one mutable object per workspace (the manifest pointer). Adapters:
 * memory (tests), local disk (embedded mode; safe for several processes at once) and Google Cloud
 * Storage. Every adapter passes the conformance suite in `object-store.conformance.ts`.
 */

/** Metadata of one stored object version. */
export interface ObjectMeta {
  key: string;
  /**
   * Opaque version token of this object version, changed by every write of the key (including a
   * delete followed by a re-create). Compare only for equality; pass back as `ifGenerationMatch`.
   */
  generation: string;
  /** Body size in bytes. */
  size: number;
}

export interface StoredObject extends ObjectMeta {
  body: Uint8Array;
}

export interface PutOptions {
  /** Fail with `PRECONDITION_FAILED` if the key exists. */
  ifNotExists?: boolean;
  /** Fail with `PRECONDITION_FAILED` unless the key's current generation equals this one. */
  ifGenerationMatch?: string;
  contentType?: string;
}

export interface DeleteOptions {
  /** Fail with `PRECONDITION_FAILED` unless the key's current generation equals this one. */
  ifGenerationMatch?: string;
}

export interface ListOptions {
  /** Only keys starting with this prefix. */
  prefix: string;
  /** Only keys strictly greater than this one (lexicographic, by UTF-16 code unit). */
  startAfter?: string;
  /** Page size; adapters may return fewer. Default 1000. */
  maxResults?: number;
  /** Token from a previous page's `nextPageToken`. */
  pageToken?: string;
}

export interface ListPage {
  /** Keys in ascending lexicographic order. */
  objects: ObjectMeta[];
  /** Present when more keys follow. */
  nextPageToken?: string;
}

export interface ObjectStore {
  /** The object, or undefined if the key does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * Several objects, in the order of `keys`: what `get` of each key would give, undefined where a
   * key does not exist. Optional: a store implements it when it reads many small objects much
   * faster together than one by one (the local-disk store reads them on another thread); callers
   * fall back to `get`. Bodies may share one buffer.
   */
  getMany?(keys: readonly string[]): Promise<(StoredObject | undefined)[]>;
  /** The object's metadata without its body, or undefined. */
  head(key: string): Promise<ObjectMeta | undefined>;
  /**
   * Writes the whole body atomically: readers see the old version or the new one, never a part.
   * Throws `ServoError` with code `PRECONDITION_FAILED` when a precondition does not hold (and
   * writes nothing).
   */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectMeta>;
  /** Lists one page of keys in ascending order. */
  list(options: ListOptions): Promise<ListPage>;
  /**
   * Deletes the key. Returns false when it did not exist. Throws `PRECONDITION_FAILED` when the
   * generation precondition does not hold.
   */
  delete(key: string, options?: DeleteOptions): Promise<boolean>;
}

/** Keys are `/`-separated relative paths of printable characters; no `.`/`..` segments, no leading `/`. */
export function assertValidKey(key: string): void {
  if (
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    key.includes('//') ||
    hasDotSegment(key) ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: keys must not contain control characters
    /[\u0000-\u001f\u007f\\]/.test(key)
  ) {
    throw new TypeError(`invalid object key: ${JSON.stringify(key)}`);
  }
}

/** Whether a segment of the key is `.` or `..` (checked without splitting: every read checks a key). */
function hasDotSegment(key: string): boolean {
  if (!key.includes('.')) return false;
  return (
    key === '.' ||
    key === '..' ||
    key.startsWith('./') ||
    key.startsWith('../') ||
    key.endsWith('/.') ||
    key.endsWith('/..') ||
    key.includes('/./') ||
    key.includes('/../')
  );
}

/** Iterates every key under a prefix across pages. */
export async function* listAll(
  store: ObjectStore,
  options: Omit<ListOptions, 'pageToken'>,
): AsyncGenerator<ObjectMeta> {
  let pageToken: string | undefined;
  do {
    const page = await store.list(pageToken === undefined ? options : { ...options, pageToken });
    yield* page.objects;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}
