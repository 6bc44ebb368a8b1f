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
}

/** The body of `GET /healthz`: ledger head, projection watermarks and compaction lag. */
export async function healthReport(
  workspace: Workspace,
  mode: string,
  lastCompactionError: Error | undefined,
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
  };
}
