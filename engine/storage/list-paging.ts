import type { ListOptions } from './object-store.js';

/**
 * Paging shared by the adapters that list from their own index (memory, local disk). A page token is
 * the last key of the previous page, base64url-encoded: it stays valid across writes to the store
 * and needs no server-side cursor state.
 */

/** Default page size of `ObjectStore.list`, as the port documents. */
export const DEFAULT_MAX_RESULTS = 1000;

export interface ListWindow {
  prefix: string;
  /** Exclusive lower bound: the greater of `startAfter` and the page token's key. */
  after: string | undefined;
  maxResults: number;
}

/** Normalises list options; throws `TypeError` for a page size that is not a positive integer. */
export function listWindow(options: ListOptions): ListWindow {
  const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw new TypeError(`list: maxResults must be a positive integer, got ${maxResults}`);
  }
  const tokenKey =
    options.pageToken === undefined
      ? undefined
      : Buffer.from(options.pageToken, 'base64url').toString('utf8');
  return { prefix: options.prefix, after: greaterKey(options.startAfter, tokenKey), maxResults };
}

export function pageTokenAfter(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

function greaterKey(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
