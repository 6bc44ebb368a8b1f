import type { ChangeSet } from '../engine/projections/projection-store.js';
import type { RowOf, TableName } from '../engine/projections/tables/index.js';
import type { ApiWorkspace } from './context.js';

/** Most change batches a slow subscriber may have waiting before older ones are merged. */
const MAX_PENDING_BATCHES = 64;

/**
 * The keys of `table` that changed, as an async stream of batches, from the workspace's change
 * feed — which reports every fold, whichever process appended the segment. Keys that change again
 * before the subscriber reads them are merged into one batch, so a slow subscriber gets the latest
 * state rather than a growing backlog. The stream ends when the consumer returns (the socket
 * closes) and unsubscribes from the feed.
 */
export function changedKeys(
  workspace: ApiWorkspace,
  tables: readonly TableName[],
  accept: (table: TableName, key: string) => boolean = () => true,
): AsyncIterableIterator<Map<TableName, Set<string>>> {
  const pending: Map<TableName, Set<string>>[] = [];
  let wake: (() => void) | undefined;
  let done = false;

  const unsubscribe = workspace.subscribe((changes: ChangeSet) => {
    let batch: Map<TableName, Set<string>> | undefined;
    for (const table of tables) {
      const keys = changes.tables.get(table);
      if (keys === undefined) continue;
      for (const key of keys) {
        if (!accept(table, key)) continue;
        batch ??= new Map();
        let set = batch.get(table);
        if (set === undefined) {
          set = new Set();
          batch.set(table, set);
        }
        set.add(key);
      }
    }
    if (batch === undefined) return;
    if (pending.length >= MAX_PENDING_BATCHES) {
      const merged = pending.shift() as Map<TableName, Set<string>>;
      const next = pending[0];
      if (next !== undefined) {
        for (const [table, keys] of merged) {
          const set = next.get(table) ?? new Set<string>();
          for (const key of keys) set.add(key);
          next.set(table, set);
        }
      }
    }
    pending.push(batch);
    wake?.();
  });

  const finish = (): void => {
    if (done) return;
    done = true;
    unsubscribe();
    wake?.();
  };

  const iterator: AsyncIterableIterator<Map<TableName, Set<string>>> = {
    async next() {
      for (;;) {
        if (done) return { done: true, value: undefined };
        const batch = pending.shift();
        if (batch !== undefined) return { done: false, value: batch };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
    async return() {
      finish();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Each changed row of `table` (its state when delivered), one at a time, for subscriptions that
 * yield one object per change. Deleted rows are skipped.
 */
export async function* changedRows<T extends TableName>(
  workspace: ApiWorkspace,
  table: T,
  accept: (key: string) => boolean = () => true,
): AsyncGenerator<RowOf<T>> {
  const batches = changedKeys(workspace, [table], (_table, key) => accept(key));
  try {
    for await (const batch of batches) {
      const keys = batch.get(table);
      if (keys === undefined) continue;
      const rows = workspace.automation.tables()[table];
      for (const key of keys) {
        const row = rows.get(key) as RowOf<T> | undefined;
        if (row !== undefined) yield row;
      }
    }
  } finally {
    await batches.return?.();
  }
}
