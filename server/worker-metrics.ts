import type { Automation } from '../engine/automation/automation.js';
import type { CompactionLoop } from '../engine/runtime/compaction-loop.js';
import type { LedgerFollower } from '../engine/runtime/ledger-follower.js';
import type { ResponseCacheStats } from './graphql-response-cache.js';
import type { MetricSample } from './metrics.js';

/** What a worker process reports on `GET /metrics`, for its workspace. */
export async function workerMetrics(
  automation: Automation,
  follower: LedgerFollower,
  compaction: CompactionLoop | undefined,
  /** The api role's reuse of GraphQL answers, when this process serves the API. */
  responseCache?: ResponseCacheStats,
): Promise<MetricSample[]> {
  const health = await automation.workspace.health();
  const labels = {
    tenant: automation.workspace.scope.tenantId,
    workspace: automation.workspace.scope.workspaceId,
  };
  const gauge = (name: string, help: string, value: number): MetricSample => ({
    name,
    help,
    type: 'gauge',
    labels,
    value,
  });
  const counter = (name: string, help: string, value: number): MetricSample => ({
    name,
    help,
    type: 'counter',
    labels,
    value,
  });
  return [
    gauge('servo_ledger_head_seq', 'Newest ledger segment.', health.ledgerHead.seq),
    gauge('servo_projection_folded_seq', 'Newest segment folded into this process.', health.folded.seq),
    counter(
      'servo_follower_polls_total',
      'Polls of the ledger for segments appended elsewhere.',
      follower.stats.polls,
    ),
    counter(
      'servo_follower_segments_total',
      'Segments folded by following the ledger (appended by other processes, or by this one before it folded them).',
      follower.stats.segmentsFolded,
    ),
    gauge(
      'servo_follower_healthy',
      '1 while following the ledger works, 0 after a failed poll.',
      follower.stats.lastError === undefined ? 1 : 0,
    ),
    counter(
      'servo_reactor_failures_total',
      'Reactor runs that failed (retried after the next change).',
      automation.reactorFailures,
    ),
    // Only the compactor knows what is published now; other processes saw it at start-up.
    ...(compaction === undefined
      ? []
      : [
          gauge(
            'servo_projection_published_seq',
            'Newest segment in the published projections.',
            health.published.seq,
          ),
          gauge('servo_compaction_lag_segments', 'Segments not yet published.', health.compactionLagSegments),
          gauge(
            'servo_compaction_healthy',
            '1 while compaction works, 0 after a failure.',
            compaction.lastError === undefined ? 1 : 0,
          ),
        ]),
    ...(responseCache === undefined
      ? []
      : (
          [
            ['hit', responseCache.hits],
            ['stored', responseCache.stored],
            ['not_stored', responseCache.notStored],
          ] as const
        ).map(([outcome, value]) => ({
          name: 'servo_graphql_response_cache_total',
          help: 'GraphQL queries answered by reusing an answer (hit), computed and kept (stored), or computed only (not_stored).',
          type: 'counter' as const,
          labels: { outcome },
          value,
        }))),
  ];
}
