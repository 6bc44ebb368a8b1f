import { compositeKey } from '../engine/projections/table-def.js';
import type { ApiContext } from './context.js';
import { badRequest } from './errors.js';

/** Dagster's `CapturedLogs`: one step's captured lines, from `cursor`, with the cursor after them. */
export interface CapturedLogsModel {
  logKey: string[];
  stdout: string | null;
  stderr: string | null;
  cursor: string | null;
}

/** Lines one call returns when the caller gives no limit, and at most. */
export const DEFAULT_LOG_LINES = 1000;
export const MAX_LOG_LINES = 10_000;

/**
 * `capturedLogs(logKey, cursor, limit)`: what a task attempt logged. `logKey` is Dagster's
 * `[runId, "compute_logs", stepKey]` (Servo's step key is the task key, e.g.
 * `sales/cleaned_orders[2026-11-03]`), for the step's latest attempt, or the same with the attempt
 * number as a fourth element. `cursor` is the number of lines already read (`"0"` or none: from the
 * start) and `limit` how many to return; the returned cursor continues after them. Servo captures
 * one stream: the lines are in `stdout`, `stderr` is null. A run, step or attempt this workspace
 * does not have, or one that logged nothing, gives null `stdout` — never another workspace's lines.
 */
export async function capturedLogs(
  context: ApiContext,
  args: { logKey: readonly string[]; cursor?: string | null; limit?: number | null },
): Promise<CapturedLogsModel> {
  const logKey = [...args.logKey];
  const limit = args.limit ?? DEFAULT_LOG_LINES;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LINES) {
    throw badRequest(`limit must be between 1 and ${MAX_LOG_LINES}, got ${limit}`);
  }
  const from =
    args.cursor === undefined || args.cursor === null || args.cursor === '' ? 0 : Number(args.cursor);
  if (!Number.isSafeInteger(from) || from < 0) {
    throw badRequest(
      `cursor must be a line number returned by capturedLogs, got ${JSON.stringify(args.cursor)}`,
    );
  }
  const empty: CapturedLogsModel = { logKey, stdout: null, stderr: null, cursor: null };
  const [runId, kind, stepKey, attemptText] = logKey;
  if (
    logKey.length < 3 ||
    logKey.length > 4 ||
    kind !== 'compute_logs' ||
    runId === undefined ||
    stepKey === undefined
  ) {
    return empty;
  }
  const task = context.reads.read((tables) => tables.tasks.get(compositeKey(runId, stepKey)));
  if (task === undefined) return empty;
  const attempt = attemptText === undefined ? task.attempt : Number(attemptText);
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > task.attempt) return empty;
  context.answer.volatile('step logs are read from storage');
  const text = await context.workspace.automation.workspace.taskLogs.read(runId, stepKey, attempt);
  if (text === undefined) return empty;
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const page = lines.slice(from, from + limit);
  return {
    logKey,
    stdout: page.length === 0 ? '' : `${page.join('\n')}\n`,
    stderr: null,
    cursor: String(from + page.length),
  };
}
