import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../errors.js';
import { listAll, type ObjectMeta, type ObjectStore } from './object-store.js';

/**
 * The one conformance suite every `ObjectStore` adapter passes. Each test gets a fresh, empty store
 * from `makeStore` and calls `cleanup` afterwards. The suite only uses the port, so an adapter that
 * passes it can replace any other without the code above the port noticing.
 */
export interface ObjectStoreFixture {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

/** Documented limits of one adapter; each one skips or narrows only the tests it affects. */
export interface ObjectStoreConformanceOptions {
  /**
   * Whether a key may also be the prefix of other keys (`a` beside `a/b`). Default true (memory,
   * GCS). The local-disk store keeps each key as a file, which cannot also be a directory.
   */
  keyMayBePrefix?: boolean;
  /** Characters the adapter reserves and rejects in keys with `INVALID_INPUT` (local disk: `~`). */
  reservedKeyCharacters?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (body: Uint8Array | undefined): string | undefined =>
  body === undefined ? undefined : decoder.decode(body);

async function expectPreconditionFailed(operation: Promise<unknown>): Promise<void> {
  const error = await operation.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(
    isServoError(error, ErrorCode.PreconditionFailed),
    `expected PRECONDITION_FAILED, got ${String(error)}`,
  ).toBe(true);
}

async function listPages(store: ObjectStore, prefix: string, maxResults: number): Promise<ObjectMeta[][]> {
  const pages: ObjectMeta[][] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.list(
      pageToken === undefined ? { prefix, maxResults } : { prefix, maxResults, pageToken },
    );
    pages.push(page.objects);
    pageToken = page.nextPageToken;
    if (pages.length > 100) throw new Error('listing did not terminate');
  } while (pageToken !== undefined);
  return pages;
}

async function listKeys(store: ObjectStore, prefix: string, startAfter?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const meta of listAll(store, startAfter === undefined ? { prefix } : { prefix, startAfter })) {
    keys.push(meta.key);
  }
  return keys;
}

/** Registers the conformance tests for one adapter under `describe(name)`. */
export function describeObjectStoreConformance(
  name: string,
  makeStore: () => Promise<ObjectStoreFixture>,
  options: ObjectStoreConformanceOptions = {},
): void {
  const reserved = [...(options.reservedKeyCharacters ?? '')];
  const isReserved = (key: string): boolean => reserved.some((char) => key.includes(char));
  /** Tests whose keys include one that is also a prefix (`a` and `a/b`); skipped where unsupported. */
  const itWithKeyAsPrefix = it.skipIf(options.keyMayBePrefix === false);

  describe(`${name} (ObjectStore conformance)`, () => {
    let fixture: ObjectStoreFixture;
    let store: ObjectStore;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('reading and writing', () => {
      it('returns undefined from get and head for a key that does not exist', async () => {
        expect(await store.get('missing/key.json')).toBeUndefined();
        expect(await store.head('missing/key.json')).toBeUndefined();
      });

      it('round-trips every byte value exactly', async () => {
        const body = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) % 256);
        await store.put('bin/all-bytes', body);
        const got = await store.get('bin/all-bytes');
        expect(got?.size).toBe(body.byteLength);
        expect(Buffer.from(got!.body).equals(Buffer.from(body))).toBe(true);
      });

      it('stores an empty body', async () => {
        const meta = await store.put('empty', new Uint8Array(0));
        expect(meta.size).toBe(0);
        const got = await store.get('empty');
        expect(got?.body.byteLength).toBe(0);
        expect((await store.head('empty'))?.size).toBe(0);
      });

      it('stores a 5 MB body byte for byte', async () => {
        const body = randomBytes(5 * 1024 * 1024);
        await store.put('large/blob.bin', body);
        const got = await store.get('large/blob.bin');
        expect(got?.size).toBe(body.byteLength);
        expect(Buffer.from(got!.body).equals(body)).toBe(true);
      });

      it('accepts unicode keys and returns them unchanged from get and list', async () => {
        const keys = ['uni/café/ü.json', 'uni/日本語/キー', 'uni/emoji-😀.txt'];
        for (const key of keys) await store.put(key, bytes(key));
        for (const key of keys) expect(text((await store.get(key))?.body)).toBe(key);
        expect(await listKeys(store, 'uni/')).toEqual([...keys].sort());
      });

      it('accepts keys with characters that are special on file systems', async () => {
        const keys = [
          'sp/a:b',
          'sp/100%',
          'sp/~tilde~',
          'sp/q?*"<>|',
          'sp/.hidden',
          'sp/..dots',
          'sp/with space',
        ].filter((key) => !isReserved(key));
        for (const key of keys) await store.put(key, bytes(key));
        for (const key of keys) expect(text((await store.get(key))?.body)).toBe(key);
        expect(await listKeys(store, 'sp/')).toEqual([...keys].sort());
      });

      it.skipIf(reserved.length === 0)(
        'rejects keys with a reserved character with INVALID_INPUT',
        async () => {
          for (const char of reserved) {
            const error = await store.put(`sp/a${char}b`, bytes('x')).catch((caught: unknown) => caught);
            expect(isServoError(error, ErrorCode.InvalidInput), `${char}: ${String(error)}`).toBe(true);
          }
          expect(await listKeys(store, '')).toEqual([]);
        },
      );

      itWithKeyAsPrefix('stores a key and keys below it as a prefix side by side', async () => {
        await store.put('node', bytes('leaf'));
        await store.put('node/child', bytes('child'));
        expect(text((await store.get('node'))?.body)).toBe('leaf');
        expect(text((await store.get('node/child'))?.body)).toBe('child');
        expect(await listKeys(store, 'node')).toEqual(['node', 'node/child']);
      });

      it('reports the same generation and size from put, head, get and list', async () => {
        const meta = await store.put('meta/object', bytes('hello'));
        expect(meta).toEqual({ key: 'meta/object', generation: meta.generation, size: 5 });
        expect(await store.head('meta/object')).toEqual(meta);
        const { body, ...fromGet } = (await store.get('meta/object'))!;
        expect(fromGet).toEqual(meta);
        expect((await store.list({ prefix: 'meta/' })).objects).toEqual([meta]);
      });

      it('keeps stored bytes independent of the buffers passed to put and returned by get', async () => {
        const body = Buffer.from('original');
        await store.put('copy/object', body);
        body.fill(0);
        const first = await store.get('copy/object');
        first!.body.fill(0);
        expect(text((await store.get('copy/object'))?.body)).toBe('original');
      });
    });

    describe('getMany (adapters that implement it)', () => {
      it('gives, in order, what get gives for each key, and undefined for a missing one', async () => {
        if (store.getMany === undefined) return;
        const large = Uint8Array.from({ length: 3 * 1024 * 1024 + 7 }, (_, i) => (i * 31) % 256);
        await store.put('many/a', bytes('first'));
        await store.put('many/empty', new Uint8Array());
        await store.put('many/large', large);
        await store.put('many/nested/b', bytes('second'));
        const keys = [
          'many/a',
          'many/missing',
          'many/empty',
          'many/large',
          'many/nested/b',
          'many/a',
          'many',
        ];
        const many = await store.getMany(keys);
        expect(many).toHaveLength(keys.length);
        for (const [index, key] of keys.entries()) {
          const single = await store.get(key);
          if (single === undefined) {
            expect(many[index], key).toBeUndefined();
            continue;
          }
          const { body, ...meta } = many[index]!;
          const { body: singleBody, ...singleMeta } = single;
          expect(meta, key).toEqual(singleMeta);
          expect(Buffer.from(body).equals(Buffer.from(singleBody)), key).toBe(true);
        }
        expect(await store.getMany([])).toEqual([]);
      });

      it('reads hundreds of keys in one call', async () => {
        if (store.getMany === undefined) return;
        const keys = Array.from({ length: 300 }, (_, i) => `batch/${String(i).padStart(4, '0')}`);
        await Promise.all(keys.slice(0, 250).map((key) => store.put(key, bytes(key))));
        const many = await store.getMany(keys);
        expect(many.map((object) => text(object?.body))).toEqual(
          keys.map((key, i) => (i < 250 ? key : undefined)),
        );
      });

      it('rejects an invalid key', async () => {
        if (store.getMany === undefined) return;
        await expect(store.getMany(['ok/key', 'a//b'])).rejects.toThrow(TypeError);
      });
    });

    describe('preconditions', () => {
      it('creates a key once with ifNotExists and rejects the second create, keeping the first body', async () => {
        const created = await store.put('once', bytes('first'), { ifNotExists: true });
        await expectPreconditionFailed(store.put('once', bytes('second'), { ifNotExists: true }));
        const got = await store.get('once');
        expect(text(got?.body)).toBe('first');
        expect(got?.generation).toBe(created.generation);
      });

      it('replaces the body when ifGenerationMatch names the current generation', async () => {
        const first = await store.put('cas', bytes('v1'));
        const second = await store.put('cas', bytes('v2'), { ifGenerationMatch: first.generation });
        expect(second.generation).not.toBe(first.generation);
        expect(text((await store.get('cas'))?.body)).toBe('v2');
      });

      it('rejects ifGenerationMatch with a stale generation and leaves the body unchanged', async () => {
        const first = await store.put('cas', bytes('v1'));
        const second = await store.put('cas', bytes('v2'), { ifGenerationMatch: first.generation });
        await expectPreconditionFailed(
          store.put('cas', bytes('v3'), { ifGenerationMatch: first.generation }),
        );
        const got = await store.get('cas');
        expect(text(got?.body)).toBe('v2');
        expect(got?.generation).toBe(second.generation);
      });

      it('rejects ifGenerationMatch on a key that does not exist', async () => {
        const other = await store.put('other', bytes('x'));
        await expectPreconditionFailed(
          store.put('absent', bytes('x'), { ifGenerationMatch: other.generation }),
        );
        expect(await store.head('absent')).toBeUndefined();
      });

      it('changes the generation on every write, even of identical bytes', async () => {
        const generations = new Set<string>();
        for (let i = 0; i < 5; i += 1) generations.add((await store.put('gen', bytes('same'))).generation);
        expect(generations.size).toBe(5);
      });

      it('gives a re-created key a new generation that the old one no longer matches', async () => {
        const first = await store.put('phoenix', bytes('v1'));
        expect(await store.delete('phoenix')).toBe(true);
        const again = await store.put('phoenix', bytes('v2'), { ifNotExists: true });
        expect(again.generation).not.toBe(first.generation);
        await expectPreconditionFailed(
          store.put('phoenix', bytes('v3'), { ifGenerationMatch: first.generation }),
        );
        await expectPreconditionFailed(store.delete('phoenix', { ifGenerationMatch: first.generation }));
        expect(text((await store.get('phoenix'))?.body)).toBe('v2');
      });
    });

    describe('delete', () => {
      it('returns false when deleting a key that does not exist', async () => {
        expect(await store.delete('never/written')).toBe(false);
      });

      it('deletes an existing key so get, head and list no longer see it', async () => {
        await store.put('del/a', bytes('a'));
        await store.put('del/b', bytes('b'));
        expect(await store.delete('del/a')).toBe(true);
        expect(await store.get('del/a')).toBeUndefined();
        expect(await store.head('del/a')).toBeUndefined();
        expect(await listKeys(store, 'del/')).toEqual(['del/b']);
        expect(await store.delete('del/a')).toBe(false);
      });

      it('refuses to delete when ifGenerationMatch is stale and keeps the object', async () => {
        const first = await store.put('del/cas', bytes('v1'));
        await store.put('del/cas', bytes('v2'));
        await expectPreconditionFailed(store.delete('del/cas', { ifGenerationMatch: first.generation }));
        expect(text((await store.get('del/cas'))?.body)).toBe('v2');
      });

      it('deletes when ifGenerationMatch names the current generation', async () => {
        const meta = await store.put('del/cas', bytes('v1'));
        expect(await store.delete('del/cas', { ifGenerationMatch: meta.generation })).toBe(true);
        expect(await store.head('del/cas')).toBeUndefined();
      });
    });

    describe('list', () => {
      itWithKeyAsPrefix('lists keys in ascending order whatever order they were written in', async () => {
        const keys = ['l/b', 'l/a/b/c', 'l/a.b', 'l/A', 'l/a', 'l/a-c', 'l/a/b', 'l/a0', 'l/a/a', 'l/!'];
        for (const key of keys) await store.put(key, bytes(key));
        const page = await store.list({ prefix: 'l/' });
        expect(page.objects.map((meta) => meta.key)).toEqual([...keys].sort());
        expect(page.nextPageToken).toBeUndefined();
      });

      itWithKeyAsPrefix('matches the prefix as a string, so a/ does not match ab/', async () => {
        for (const key of ['a', 'a/1', 'a/2/x', 'ab/1', 'abc', 'b/1', 'a/x1', 'a/xy/z']) {
          await store.put(key, bytes(key));
        }
        expect(await listKeys(store, 'a/')).toEqual(['a/1', 'a/2/x', 'a/x1', 'a/xy/z']);
        expect(await listKeys(store, 'a')).toEqual(['a', 'a/1', 'a/2/x', 'a/x1', 'a/xy/z', 'ab/1', 'abc']);
        expect(await listKeys(store, 'a/x')).toEqual(['a/x1', 'a/xy/z']);
        expect(await listKeys(store, 'ab')).toEqual(['ab/1', 'abc']);
        expect(await listKeys(store, 'zzz/')).toEqual([]);
        expect(await listKeys(store, '')).toHaveLength(8);
      });

      itWithKeyAsPrefix('starts strictly after startAfter, whether or not that key exists', async () => {
        for (const key of ['s/1', 's/2', 's/3', 's/4', 's/2/a', 's/2/b']) await store.put(key, bytes(key));
        expect(await listKeys(store, 's/', 's/2')).toEqual(['s/2/a', 's/2/b', 's/3', 's/4']);
        expect(await listKeys(store, 's/', 's/2/a')).toEqual(['s/2/b', 's/3', 's/4']);
        expect(await listKeys(store, 's/', 's/2/b')).toEqual(['s/3', 's/4']);
        expect(await listKeys(store, 's/', 's/2x')).toEqual(['s/3', 's/4']);
        expect(await listKeys(store, 's/', 'a')).toEqual(['s/1', 's/2', 's/2/a', 's/2/b', 's/3', 's/4']);
        expect(await listKeys(store, 's/', 's/4')).toEqual([]);
      });

      itWithKeyAsPrefix('pages through every key exactly once with maxResults 2', async () => {
        const keys = ['p/1', 'p/2/a', 'p/2/b', 'p/2/c', 'p/3', 'p/3/a', 'p/4', 'p/5'];
        for (const key of keys) await store.put(key, bytes(key));
        await store.put('q/outside', bytes('x'));
        const pages = await listPages(store, 'p/', 2);
        for (const page of pages) expect(page.length).toBeLessThanOrEqual(2);
        expect(pages.flat().map((meta) => meta.key)).toEqual(keys);
      });

      it('orders, filters and pages keys around nested prefixes, none of them also a key', async () => {
        const keys = ['l/b', 'l/a/b/c', 'l/a.b', 'l/A', 'l/a-c', 'l/a/b.x', 'l/a0', 'l/a/a', 'l/!', 'l/a/b0'];
        for (const key of keys) await store.put(key, bytes(key));
        await store.put('lz/outside', bytes('x'));
        const sorted = [...keys].sort();
        expect(sorted.slice(3, 8)).toEqual(['l/a.b', 'l/a/a', 'l/a/b.x', 'l/a/b/c', 'l/a/b0']);
        expect(await listKeys(store, 'l/')).toEqual(sorted);
        expect(await listKeys(store, 'l/a')).toEqual(sorted.filter((key) => key.startsWith('l/a')));
        expect(await listKeys(store, 'l/a/b')).toEqual(['l/a/b.x', 'l/a/b/c', 'l/a/b0']);
        expect(await listKeys(store, 'l/a/b/')).toEqual(['l/a/b/c']);
        expect(await listKeys(store, 'l/zzz/')).toEqual([]);
        expect(await listKeys(store, 'l/', 'l/a/b')).toEqual(['l/a/b.x', 'l/a/b/c', 'l/a/b0', 'l/a0', 'l/b']);
        expect(await listKeys(store, 'l/', 'l/a/b/c')).toEqual(['l/a/b0', 'l/a0', 'l/b']);
        expect(await listKeys(store, 'l/', 'l/a/')).toEqual(sorted.slice(4));
        const pages = await listPages(store, 'l/', 2);
        expect(pages.flat().map((meta) => meta.key)).toEqual(sorted);
        expect(pages.every((page) => page.length <= 2)).toBe(true);
      });

      it('iterates every key under a prefix with listAll', async () => {
        const keys = Array.from({ length: 12 }, (_, i) => `all/${String(i).padStart(2, '0')}`);
        for (const key of keys) await store.put(key, bytes(key));
        const seen: string[] = [];
        for await (const meta of listAll(store, { prefix: 'all/', maxResults: 5 })) seen.push(meta.key);
        expect(seen).toEqual(keys);
      });
    });

    describe('concurrent writers', () => {
      it('lets exactly one of 20 concurrent create-only puts win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            store.put('race/create', bytes(`writer-${i}`), { ifNotExists: true }),
          ),
        );
        const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') await expectPreconditionFailed(Promise.reject(result.reason));
        }
        expect(text((await store.get('race/create'))?.body)).toBe(`writer-${winners[0]}`);
      });

      it('loses no increment when 10 writers race compare-and-swap loops', async () => {
        await store.put('race/counter', bytes('0'), { ifNotExists: true });
        const increment = async (): Promise<void> => {
          for (;;) {
            const current = (await store.get('race/counter'))!;
            const next = bytes(String(Number(text(current.body)) + 1));
            try {
              await store.put('race/counter', next, { ifGenerationMatch: current.generation });
              return;
            } catch (error) {
              if (!isServoError(error, ErrorCode.PreconditionFailed)) throw error;
            }
          }
        };
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            for (let i = 0; i < 5; i += 1) await increment();
          }),
        );
        expect(text((await store.get('race/counter'))?.body)).toBe('50');
      });
    });

    describe('keys', () => {
      it('rejects invalid keys in get, head, put and delete without writing', async () => {
        const invalid = [
          '',
          '/lead',
          'trail/',
          'a//b',
          'a/./b',
          '../up',
          'back\\slash',
          'new\nline',
          'nul\u0000',
        ];
        for (const key of invalid) {
          await expect(store.get(key), key).rejects.toThrow(TypeError);
          await expect(store.head(key), key).rejects.toThrow(TypeError);
          await expect(store.put(key, bytes('x')), key).rejects.toThrow(TypeError);
          await expect(store.delete(key), key).rejects.toThrow(TypeError);
        }
        expect(await listKeys(store, '')).toEqual([]);
      });
    });
  });
}
