import type { AdmissionPolicy } from '../controllers/admission.js';
import type { ProjectionTables } from '../fold/state.js';
import type { WorkspaceHealth } from '../runtime/workspace.js';
import { type LaneBacklog, laneBacklog } from './queue.js';

/**
 * How far behind automation is, at a glance: the backlog of each admission lane and the age of the
 * oldest pending work, how far the published projections trail the ledger, run-key conflicts and
 * quarantined push messages waiting for an operator, and timers not yet delivered.
 */
export interface AutomationHealth {
  /** `degraded` when the last compaction failed; `ok` otherwise. */
  status: 'ok' | 'degraded';
  lanes: LaneBacklog[];
  /** Queued runs and untriggered run requests, over every lane. */
  queuedRuns: number;
  pendingRequests: number;
  /** Age of the oldest pending work in any lane, in ms; null when nothing is pending. */
  oldestPendingAgeMs: number | null;
  ledgerHeadSeq: number;
  foldedSeq: number;
  publishedSeq: number;
  /** Ledger segments not yet in the published projections. */
  compactionLagSegments: number;
  lastCompactionError: string | null;
  /** Run requests that reused a run key with a different request (see `runKeyConflicts`). */
  runKeyConflicts: number;
  quarantinedMessages: number;
  /** Timers scheduled and not yet delivered; null when the timer queue cannot tell. */
  pendingTimers: number | null;
}

export function automationHealth(
  tables: ProjectionTables,
  policy: AdmissionPolicy,
  now: number,
  workspace: WorkspaceHealth,
  pendingTimers: number | null,
): AutomationHealth {
  const lanes = laneBacklog(tables, policy, now);
  const ages = lanes.flatMap((lane) => (lane.oldestPendingAgeMs === null ? [] : [lane.oldestPendingAgeMs]));
  return {
    status: workspace.lastCompactionError === null ? 'ok' : 'degraded',
    lanes,
    queuedRuns: lanes.reduce((sum, lane) => sum + lane.queuedRuns, 0),
    pendingRequests: lanes.reduce((sum, lane) => sum + lane.pendingRequests, 0),
    oldestPendingAgeMs: ages.length === 0 ? null : Math.max(...ages),
    ledgerHeadSeq: workspace.ledgerHead.seq,
    foldedSeq: workspace.folded.seq,
    publishedSeq: workspace.published.seq,
    compactionLagSegments: workspace.compactionLagSegments,
    lastCompactionError: workspace.lastCompactionError,
    runKeyConflicts: tables.runKeyConflicts.size,
    quarantinedMessages: tables.quarantinedMessages.size,
    pendingTimers,
  };
}
