import DataLoader from 'dataloader';
import type { ApiContext } from './context.js';

/**
 * Per-request caches (DataLoaders and the lookups built on them) live as long as a request's
 * context. A subscription keeps one context for its whole life, so before each event it delivers
 * they are reset: every event is resolved from the projections as they are then.
 */
const resetters = new Set<(context: ApiContext) => void>();

/** Registers how to forget one request's entries of a cache kept outside `context.loaders`. */
export function registerRequestCache(reset: (context: ApiContext) => void): void {
  resetters.add(reset);
}

/** Forgets everything the request's loaders and registered caches remember. */
export function resetRequestCaches(context: ApiContext): void {
  clearLoaders(context.loaders);
  for (const reset of resetters) reset(context);
}

/** Clears every DataLoader in a (possibly nested) record of loaders. */
function clearLoaders(loaders: object): void {
  for (const loader of Object.values(loaders) as unknown[]) {
    if (loader instanceof DataLoader) loader.clearAll();
    else if (loader !== null && typeof loader === 'object') clearLoaders(loader);
  }
}

/** Passes a subscription's events through, resetting the request's caches before each one. */
export async function* freshPerEvent<T>(context: ApiContext, events: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = events[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      resetRequestCaches(context);
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}
