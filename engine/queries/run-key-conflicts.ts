import type { ProjectionTables } from '../fold/state.js';
import type { RunSource } from '../model/common.js';

/**
 * Run-key conflicts for operators: requests that reused a run key for different work (another
 * asset selection or partitions), newest first. The first request for a key won; the conflicting
 * one was recorded here instead of requesting a second run.
 */

export interface RunKeyConflictView {
  runKey: string;
  /** The run the key belongs to (the first request's). */
  runId: string | null;
  conflictingEventId: string;
  existingFingerprint: string;
  conflictingFingerprint: string;
  source: RunSource;
  detectedAt: number;
}

export interface ConflictPage {
  items: RunKeyConflictView[];
  /** The last conflict's event id: pass it back to read on. */
  cursor: string | null;
  hasMore: boolean;
}

/**
 * One page, newest first (by the conflicting event's id, which orders them as they were
 * recorded), after the conflict whose event id is `cursor`. The table is small (conflicts are
 * rare and expire), so it is sorted per call.
 */
export function listRunKeyConflicts(
  tables: ProjectionTables,
  cursor: string | undefined,
  limit: number,
): ConflictPage {
  const rows = [...tables.runKeyConflicts.values()]
    .filter((row) => cursor === undefined || row.conflictingEventId < cursor)
    .sort((a, b) => (a.conflictingEventId < b.conflictingEventId ? 1 : -1));
  const items = rows.slice(0, limit).map(
    (row): RunKeyConflictView => ({
      runKey: row.runKey,
      runId: tables.runKeyIndex.get(row.runKey)?.runId ?? null,
      conflictingEventId: row.conflictingEventId,
      existingFingerprint: row.existingFingerprint,
      conflictingFingerprint: row.conflictingFingerprint,
      source: row.source,
      detectedAt: row.detectedAt,
    }),
  );
  return {
    items,
    cursor: items[items.length - 1]?.conflictingEventId ?? cursor ?? null,
    hasMore: rows.length > limit,
  };
}
