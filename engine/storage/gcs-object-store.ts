/**
 * The `ObjectStore` of distributed mode, on Google Cloud Storage through the official client.
 * Generation-match preconditions are the only concurrency control: create-only is
 * `ifGenerationMatch: 0`, compare-and-swap passes the object's GCS generation (a decimal string).
 *
 * Errors: HTTP 412 becomes `PRECONDITION_FAILED`; 404 becomes `undefined` (get, head) or `false`
 * (delete); anything else, including network failures and download checksum mismatches, becomes a
 * retryable `UNAVAILABLE` carrying the client's error as `cause`. The client itself already retries
 * transient failures of idempotent and precondition-guarded calls.
 *
 * Caveats of GCS itself: a create-only upload that the client retried after a lost response can
 * report `PRECONDITION_FAILED` although its own first attempt created the object. GCS lists names in
 * UTF-8 byte order, which differs from the port's UTF-16 order only for keys that mix characters
 * above U+FFFF with characters in U+E000–U+FFFF.
 */
import type { File, Storage } from '@google-cloud/storage';
import { isServoError } from '../errors.js';
import { DEFAULT_MAX_RESULTS } from './list-paging.js';
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
import { assertPutOptions, preconditionFailed, storageUnavailable } from './object-store-errors.js';

export interface GcsObjectStoreOptions {
  /** A configured client; tests pass `new Storage({ apiEndpoint, projectId })`. */
  storage: Storage;
  bucket: string;
  /**
   * Prepended verbatim to every key (usually ending in `/`) and removed from listed names, so several
   * deployments can share a bucket. Default: none.
   */
  prefix?: string;
}

const DECIMAL = /^\d+$/;

/** An `ObjectStore` over one bucket (and optional key prefix) of a configured client. */
export function createGcsObjectStore({
  storage,
  bucket: bucketName,
  prefix = '',
}: GcsObjectStoreOptions): ObjectStore {
  const bucket = storage.bucket(bucketName);
  const fileOf = (key: string): File => {
    assertValidKey(key);
    return bucket.file(prefix + key);
  };

  /** Runs one client call, mapping its errors; a 404 becomes `onNotFound()` where the port allows it. */
  async function call<T>(
    operation: string,
    key: string,
    action: () => Promise<T>,
    onNotFound?: () => T,
  ): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (isServoError(error) || error instanceof TypeError) throw error;
      const status = httpStatus(error);
      if (status === 404 && onNotFound !== undefined) return onNotFound();
      if (status === 412) throw preconditionFailed(key, 'generation does not match', error);
      throw storageUnavailable(operation, key, error);
    }
  }

  async function head(key: string): Promise<ObjectMeta | undefined> {
    const file = fileOf(key);
    return call(
      'head',
      key,
      async () => metaOf(key, (await file.getMetadata())[0]),
      () => undefined,
    );
  }

  return {
    async get(key) {
      const file = fileOf(key);
      return call(
        'get',
        key,
        () => download(key, file),
        () => undefined,
      );
    },

    head,

    async put(key, body, options: PutOptions = {}) {
      const file = fileOf(key);
      assertPutOptions(options);
      let ifGenerationMatch: string | undefined;
      if (options.ifNotExists === true) ifGenerationMatch = '0';
      else if (options.ifGenerationMatch !== undefined) {
        // Anything but a GCS generation can never match; GCS would reject it as a bad request.
        if (!DECIMAL.test(options.ifGenerationMatch))
          throw preconditionFailed(key, 'generation does not match');
        ifGenerationMatch = options.ifGenerationMatch;
      }
      return call(
        'put',
        key,
        async () => {
          await file.save(Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
            resumable: false,
            contentType: options.contentType ?? 'application/octet-stream',
            ...(ifGenerationMatch === undefined ? {} : { preconditionOpts: { ifGenerationMatch } }),
          });
          return metaOf(key, file.metadata);
        },
        // A 404 here means the bucket is missing: a configuration problem, not a lost race.
      );
    },

    async list(options: ListOptions): Promise<ListPage> {
      const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
      if (!Number.isInteger(maxResults) || maxResults < 1) {
        throw new TypeError(`list: maxResults must be a positive integer, got ${maxResults}`);
      }
      const fullPrefix = prefix + options.prefix;
      // startOffset is inclusive, so the startAfter key itself is dropped from the page below.
      const startOffset = options.startAfter === undefined ? undefined : prefix + options.startAfter;
      return call('list', options.prefix, async () => {
        const [files, nextQuery] = await bucket.getFiles({
          prefix: fullPrefix,
          maxResults,
          autoPaginate: false,
          ...(startOffset === undefined ? {} : { startOffset }),
          ...(options.pageToken === undefined ? {} : { pageToken: options.pageToken }),
        });
        const objects = files
          .filter((file) => file.name !== startOffset)
          .map((file) => metaOf(file.name.slice(prefix.length), file.metadata));
        const nextPageToken = (nextQuery as { pageToken?: string } | null)?.pageToken;
        return nextPageToken === undefined ? { objects } : { objects, nextPageToken };
      });
    },

    async delete(key, options: DeleteOptions = {}) {
      const file = fileOf(key);
      const { ifGenerationMatch } = options;
      if (ifGenerationMatch !== undefined && !DECIMAL.test(ifGenerationMatch)) {
        // Never a match; but a missing key still answers false, as GCS does.
        if ((await head(key)) === undefined) return false;
        throw preconditionFailed(key, 'generation does not match');
      }
      return call(
        'delete',
        key,
        async () => {
          await file.delete(ifGenerationMatch === undefined ? {} : { ifGenerationMatch });
          return true;
        },
        () => false,
      );
    },
  };
}

/**
 * One request for body and generation together: the media response carries `x-goog-generation`, so
 * the body can never be paired with another version's generation.
 */
async function download(key: string, file: File): Promise<StoredObject> {
  const chunks: Buffer[] = [];
  let generation: string | undefined;
  const stream = file.createReadStream();
  stream.on('response', (response: { headers?: Record<string, string | string[] | undefined> }) => {
    const header = response.headers?.['x-goog-generation'];
    generation = Array.isArray(header) ? header[0] : header;
  });
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  if (generation === undefined) throw new Error('download response had no x-goog-generation header');
  // Copied into memory of its own: small Buffers share a pooled slab.
  const body = new Uint8Array(Buffer.concat(chunks));
  return { key, generation, size: body.byteLength, body };
}

function metaOf(key: string, metadata: { generation?: string | number; size?: string | number }): ObjectMeta {
  if (metadata.generation === undefined) throw new Error(`object metadata for ${key} has no generation`);
  return { key, generation: String(metadata.generation), size: Number(metadata.size ?? 0) };
}

function httpStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;
}
