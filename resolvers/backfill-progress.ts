import type { BackfillRow } from '../engine/projections/tables/index.js';
import type { ApiContext } from './context.js';
import { badRequest } from './errors.js';
import { changedKeys } from './subscriptions.js';

/** States after which nothing about a backfill changes any more (FAILED can be resumed). */
const FINAL_STATES: ReadonlySet<string> = new Set(['COMPLETED_SUCCESS', 'COMPLETED_FAILED', 'CANCELED']);

/**
 * `backfillProgress`: the backfill now, then again whenever it or one of its chunks changes (any
 * process's change), until it reaches a final state (COMPLETED_SUCCESS, COMPLETED_FAILED,
 * CANCELED), after which the stream completes. An unknown backfill fails at once with NOT_FOUND.
 */
export function backfillProgress(context: ApiContext, backfillId: string): AsyncGenerator<BackfillRow> {
  const first = context.reads.read((tables) => tables.backfills.get(backfillId));
  if (first === undefined)
    throw badRequest(`backfill ${backfillId} does not exist`, 'NOT_FOUND', { backfillId });
  return followBackfill(context, first);
}

async function* followBackfill(context: ApiContext, first: BackfillRow): AsyncGenerator<BackfillRow> {
  const { backfillId } = first;
  const changes = changedKeys(context.workspace, ['backfills', 'backfillChunks'], (table, key) =>
    table === 'backfills' ? key === backfillId : key.startsWith(`${backfillId}:`),
  );
  try {
    let row = first;
    yield row;
    let version = row.rowVersion;
    while (!FINAL_STATES.has(row.state)) {
      const next = await changes.next();
      if (next.done === true) return;
      const current = context.reads.read((tables) => tables.backfills.get(backfillId));
      if (current === undefined) return;
      row = current;
      // A chunk change without a backfill change (a chunk's run started) is still progress.
      if (row.rowVersion === version && !next.value.has('backfillChunks')) continue;
      version = row.rowVersion;
      yield row;
    }
  } finally {
    await changes.return?.();
  }
}
