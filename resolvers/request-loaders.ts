import type DataLoader from 'dataloader';
import type { ProjectionTables } from '../engine/fold/state.js';
import type { ApiContext } from './context.js';
import { batchLoader } from './loaders.js';
import { registerRequestCache } from './request-caches.js';

const byRequest = new WeakMap<ApiContext, Map<string, DataLoader<unknown, unknown, string>>>();
registerRequestCache((context) => byRequest.delete(context));

/**
 * A DataLoader of one request that needs more than the tables (the request's `now`, a workspace
 * index): created on first use under `name`, it lives as long as the request's context, and each
 * batch is one counted projection read — like the loaders of `loaders.ts`.
 */
export function requestLoader<K, V>(
  context: ApiContext,
  name: string,
  load: (tables: ProjectionTables, keys: readonly K[]) => V[],
  cacheKeyFn?: (key: K) => string,
): DataLoader<K, V, string> {
  let loaders = byRequest.get(context);
  if (loaders === undefined) {
    loaders = new Map();
    byRequest.set(context, loaders);
  }
  let loader = loaders.get(name) as DataLoader<K, V, string> | undefined;
  if (loader === undefined) {
    loader = batchLoader(context.reads, load, cacheKeyFn);
    loaders.set(name, loader as DataLoader<unknown, unknown, string>);
  }
  return loader;
}
