import type { ProjectionTables } from '../engine/fold/state.js';
import type { Workspace } from '../engine/runtime/workspace.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  mode: string;
  tenantId: string;
  workspaceId: string;
  ledgerHead: { seq: number; lastEventId: string | null };
  projectionWatermark: {
    published: { seq: number; eventId: string | null };
    folded: { seq: number; eventId: string | null };
  };
  compactionLagSegments: number;
  lastCompactionError: string | null;
  /** What automation has done so far in this workspace (present when automation runs here). */
  automation?: AutomationSummary;
}

export interface AutomationSummary {
  codeLocations: string[];
  schedules: { total: number; running: number };
  sensors: { total: number; running: number; cursors: Record<string, string | null> };
  ticks: { success: number; skipped: number; failure: number };
  sensorEvaluations: number;
  runs: Record<string, number>;
  materializedPartitions: number;
  backfills: Record<string, number>;
  pendingTimers: number;
}

/** Counts for the health report: enough to see at a glance that ticks, runs and materializations happen. */
export function automationSummary(tables: ProjectionTables, pendingTimers: number): AutomationSummary {
  const count = <T>(rows: Iterable<T>, keyOf: (row: T) => string) => {
    const counts: Record<string, number> = {};
    for (const row of rows) counts[keyOf(row)] = (counts[keyOf(row)] ?? 0) + 1;
    return counts;
  };
  // Read without building the rows of ticks still held as loaded from a base (`TableState.scan`).
  const ticks: Record<string, number> = {};
  tables.scheduleTicks.scan((tick) => {
    ticks[tick.status] = (ticks[tick.status] ?? 0) + 1;
  });
  let materialized = 0;
  for (const row of tables.partitionStatus.values())
    if (row.lastMaterializationRunId !== null) materialized += 1;
  const schedules = [...tables.scheduleDefinitions.values()];
  const sensors = [...tables.sensorDefinitions.values()];
  return {
    codeLocations: [...tables.codeLocations.values()].map((row) => `${row.codeLocation}@${row.codeVersion}`),
    schedules: {
      total: schedules.length,
      running: schedules.filter(
        (row) => (tables.scheduleState.get(row.scheduleId)?.status ?? row.defaultStatus) === 'RUNNING',
      ).length,
    },
    sensors: {
      total: sensors.length,
      running: sensors.filter(
        (row) => (tables.sensorState.get(row.sensorId)?.status ?? row.defaultStatus) === 'RUNNING',
      ).length,
      cursors: Object.fromEntries(
        sensors.map((row) => [row.sensorId, tables.sensorState.get(row.sensorId)?.cursor ?? null]),
      ),
    },
    ticks: { success: ticks.SUCCESS ?? 0, skipped: ticks.SKIPPED ?? 0, failure: ticks.FAILURE ?? 0 },
    sensorEvaluations: tables.sensorEvals.size,
    runs: count(tables.runs.values(), (run) => run.status),
    materializedPartitions: materialized,
    backfills: count(tables.backfills.values(), (backfill) => backfill.state),
    pendingTimers,
  };
}

/** The body of `GET /healthz`: ledger head, projection watermarks and compaction lag. */
export async function healthReport(
  workspace: Workspace,
  mode: string,
  lastCompactionError: Error | undefined,
  automation?: AutomationSummary,
): Promise<HealthReport> {
  const health = await workspace.health();
  return {
    status: lastCompactionError === undefined ? 'ok' : 'degraded',
    mode,
    tenantId: workspace.scope.tenantId,
    workspaceId: workspace.scope.workspaceId,
    ledgerHead: { seq: health.ledgerHead.seq, lastEventId: health.ledgerHead.lastEventId ?? null },
    projectionWatermark: { published: health.published, folded: health.folded },
    compactionLagSegments: health.compactionLagSegments,
    lastCompactionError: lastCompactionError?.message ?? null,
    ...(automation === undefined ? {} : { automation }),
  };
}
