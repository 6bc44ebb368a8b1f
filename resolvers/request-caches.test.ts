import DataLoader from 'dataloader';
import { describe, expect, it } from 'vitest';
import type { ApiContext } from './context.js';
import { freshPerEvent, registerRequestCache } from './request-caches.js';

describe('freshPerEvent', () => {
  it('resolves each subscription event from fresh loaders and registered caches', async () => {
    let version = 0;
    const loader = new DataLoader<string, number>(async (keys) => keys.map(() => version));
    const nested = new DataLoader<string, number>(async (keys) => keys.map(() => version * 10));
    const context = { loaders: { value: loader, group: { nested } } } as unknown as ApiContext;
    const remembered = new WeakMap<ApiContext, number>();
    registerRequestCache((request) => remembered.delete(request));

    async function* events() {
      for (let event = 1; event <= 3; event += 1) {
        version = event;
        remembered.set(context, event);
        yield event;
      }
    }
    const seen: { loaded: number; nested: number; cached: boolean }[] = [];
    for await (const _event of freshPerEvent(context, events())) {
      seen.push({
        loaded: await loader.load('k'),
        nested: await nested.load('k'),
        cached: remembered.has(context),
      });
    }
    // Without the reset the loaders would answer 1 and 10 for every event.
    expect(seen).toEqual([
      { loaded: 1, nested: 10, cached: false },
      { loaded: 2, nested: 20, cached: false },
      { loaded: 3, nested: 30, cached: false },
    ]);
  });

  it('closes the source when the subscriber stops', async () => {
    let closed = false;
    async function* events() {
      try {
        for (;;) yield 1;
      } finally {
        closed = true;
      }
    }
    const context = { loaders: {} } as unknown as ApiContext;
    for await (const _event of freshPerEvent(context, events())) break;
    expect(closed).toBe(true);
  });
});
