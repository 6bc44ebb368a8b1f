import { isSensorRunning, userRunKey } from '../controllers/sensors.js';
import { invalidInput } from '../errors.js';
import type { ProjectionTables } from '../fold/state.js';
import type { ErrorInfo } from '../model/common.js';
import { instigatorId } from '../model/ids.js';
import type {
  QuarantinedMessageRow,
  SensorDefinitionRow,
  SensorEvalRow,
  SensorStateRow,
} from '../projections/tables/index.js';

/** Read models of sensors for the API: state, evaluation history and quarantined push messages. */

export interface SensorSelector {
  codeLocation: string;
  name: string;
}

export interface SensorEvaluationView {
  evalId: string;
  sensorId: string;
  trigger: 'poll' | 'push';
  /** The poll's due time, or null for a push evaluation. */
  dueAt: number | null;
  messageId: string | null;
  /** SUCCESS, SKIPPED or FAILURE; a stale evaluation is SKIPPED with `stale` set. */
  status: string;
  stale: boolean;
  skipReason: string | null;
  error: ErrorInfo | null;
  cursorBefore: string | null;
  cursorAfter: string | null;
  expectedStateVersion: number | null;
  /** The run keys the sensor chose (without the sensor scope) and the scoped keys Servo recorded. */
  runKeys: string[];
  scopedRunKeys: string[];
  runIds: string[];
  durationMs: number | null;
  evaluatedAt: number;
}

export interface SensorView {
  sensorId: string;
  codeLocation: string;
  name: string;
  kind: string;
  /** What the sensor does now: the operator's choice, else the definition's default. */
  status: 'RUNNING' | 'STOPPED';
  /** Whether `status` comes from an operator action or from the definition's default. */
  statusSource: 'operator' | 'default';
  defaultStatus: string;
  /** The last evaluation failed (errored), whatever the status. */
  errored: boolean;
  consecutiveFailures: number;
  cursor: string | null;
  stateVersion: number;
  minimumIntervalSeconds: number;
  targetAssets: string[];
  description: string | null;
  source: string;
  lastEvaluatedAt: number | null;
  /** The last run key the sensor chose, as it chose it. */
  lastRunKey: string | null;
  lastEvaluation: SensorEvaluationView | null;
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 200;

export function evaluationView(row: SensorEvalRow): SensorEvaluationView {
  return {
    evalId: row.evalId,
    sensorId: row.sensorId,
    trigger: row.triggerKind === 'push' ? 'push' : 'poll',
    dueAt: row.dueAt,
    messageId: row.messageId,
    status: row.status,
    stale: row.stale,
    skipReason: row.skipReason,
    error: row.error,
    cursorBefore: row.cursorBefore,
    cursorAfter: row.cursorAfter,
    expectedStateVersion: row.expectedStateVersion,
    runKeys: row.runKeys.map((key) => userRunKey(row.sensorId, key) ?? key),
    scopedRunKeys: row.runKeys,
    runIds: row.runIds,
    durationMs: row.durationMs,
    evaluatedAt: row.evaluatedAt,
  };
}

export function sensorView(
  tables: ProjectionTables,
  definition: SensorDefinitionRow,
  state: SensorStateRow | undefined,
): SensorView {
  const last = state?.lastEvalId == null ? undefined : tables.sensorEvals.get(state.lastEvalId);
  const lastRunKey = state?.lastRunKey ?? null;
  return {
    sensorId: definition.sensorId,
    codeLocation: definition.codeLocation,
    name: definition.name,
    kind: definition.kind,
    status: isSensorRunning(definition, state) ? 'RUNNING' : 'STOPPED',
    statusSource: state?.status == null ? 'default' : 'operator',
    defaultStatus: definition.defaultStatus,
    errored: state?.lastEvalStatus === 'FAILURE',
    consecutiveFailures: state?.consecutiveFailures ?? 0,
    cursor: state?.cursor ?? null,
    stateVersion: state?.stateVersion ?? 0,
    minimumIntervalSeconds: definition.minimumIntervalSeconds,
    targetAssets: definition.targetAssets,
    description: definition.description,
    source: definition.source,
    lastEvaluatedAt: state?.lastEvaluatedAt ?? null,
    lastRunKey: lastRunKey === null ? null : (userRunKey(definition.sensorId, lastRunKey) ?? lastRunKey),
    lastEvaluation: last === undefined ? null : evaluationView(last),
  };
}

/** One sensor, or undefined when no such sensor is defined. */
export function findSensor(tables: ProjectionTables, selector: SensorSelector): SensorView | undefined {
  const sensorId = instigatorId(selector.codeLocation, selector.name);
  const definition = tables.sensorDefinitions.get(sensorId);
  return definition === undefined
    ? undefined
    : sensorView(tables, definition, tables.sensorState.get(sensorId));
}

/** Every defined sensor (of one code location when given), by code location and name. */
export function listSensors(tables: ProjectionTables, filter: { codeLocation?: string } = {}): SensorView[] {
  const out: SensorView[] = [];
  for (const definition of tables.sensorDefinitions.values()) {
    if (filter.codeLocation !== undefined && definition.codeLocation !== filter.codeLocation) continue;
    out.push(sensorView(tables, definition, tables.sensorState.get(definition.sensorId)));
  }
  return out.sort((a, b) => compare(a.sensorId, b.sensorId));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Validates a page request; a page cursor is the opaque base64url of the last row's sort key. */
function pageBounds(request: PageRequest): { limit: number; after: string | null } {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw invalidInput(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, { limit });
  }
  if (request.cursor == null || request.cursor === '') return { limit, after: null };
  const decoded = /^[A-Za-z0-9_-]+$/.test(request.cursor)
    ? Buffer.from(request.cursor, 'base64url').toString('utf8')
    : '';
  if (!/^v1:[\x21-\x7e]+$/.test(decoded))
    throw invalidInput('malformed page cursor', { cursor: request.cursor });
  return { limit, after: decoded.slice(3) };
}

/** Newest first by a sort key that orders rows oldest to newest; `limit` rows after the cursor. */
function paginate<R>(
  rows: R[],
  keyOf: (row: R) => string,
  request: PageRequest,
): { items: R[]; nextCursor: string | null } {
  const { limit, after } = pageBounds(request);
  const keyed = rows.map((row) => ({ row, key: keyOf(row) })).sort((a, b) => compare(b.key, a.key));
  const start = after === null ? 0 : keyed.findIndex((entry) => entry.key < after);
  const from = start < 0 ? keyed.length : start;
  const slice = keyed.slice(from, from + limit);
  const last = slice[slice.length - 1];
  const more = from + limit < keyed.length;
  return {
    items: slice.map((entry) => entry.row),
    nextCursor:
      more && last !== undefined ? Buffer.from(`v1:${last.key}`, 'utf8').toString('base64url') : null,
  };
}

export interface EvaluationFilter extends PageRequest {
  /** Only evaluations with this status (SUCCESS, SKIPPED, FAILURE). */
  status?: 'SUCCESS' | 'SKIPPED' | 'FAILURE';
}

/**
 * A sensor's evaluation history, newest first, paginated. History outlives the definition (a
 * deleted sensor's evaluations stay until retention expires them).
 */
export function sensorEvaluations(
  tables: ProjectionTables,
  selector: SensorSelector,
  filter: EvaluationFilter = {},
): Page<SensorEvaluationView> {
  const sensorId = instigatorId(selector.codeLocation, selector.name);
  const rows: SensorEvalRow[] = [];
  for (const row of tables.sensorEvals.values()) {
    if (row.sensorId === sensorId && (filter.status === undefined || row.status === filter.status))
      rows.push(row);
  }
  const page = paginate(rows, (row) => row.rowVersion, filter);
  return { items: page.items.map(evaluationView), nextCursor: page.nextCursor };
}

export interface QuarantinedMessageView {
  quarantineId: string;
  sensorName: string | null;
  messageId: string | null;
  reason: string;
  receivedAt: number;
  sizeBytes: number;
  /** Whether the body was kept (it can be replayed only then). */
  bodyKept: boolean;
  replayedAt: number | null;
  replayedBy: string | null;
  replayOutcome: string | null;
}

function quarantineView(row: QuarantinedMessageRow): QuarantinedMessageView {
  return {
    quarantineId: row.quarantineId,
    sensorName: row.sensorName,
    messageId: row.messageId,
    reason: row.reason,
    receivedAt: row.receivedAt,
    sizeBytes: row.sizeBytes,
    bodyKept: row.bodyBase64 !== null,
    replayedAt: row.replayedAt,
    replayedBy: row.replayedBy,
    replayOutcome: row.replayOutcome,
  };
}

/** Quarantined push messages, newest first, paginated; `pending` keeps only those not yet replayed. */
export function quarantinedMessages(
  tables: ProjectionTables,
  request: PageRequest & { pending?: boolean } = {},
): Page<QuarantinedMessageView> {
  const rows: QuarantinedMessageRow[] = [];
  for (const row of tables.quarantinedMessages.values()) {
    if (request.pending !== true || row.replayedAt === null) rows.push(row);
  }
  // Received time, then id: a replay rewrites the row but does not move it in the list.
  const page = paginate(
    rows,
    (row) => `${String(row.receivedAt).padStart(16, '0')}:${row.quarantineId}`,
    request,
  );
  return { items: page.items.map(quarantineView), nextCursor: page.nextCursor };
}
