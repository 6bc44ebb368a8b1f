import type { AutomationHealth as AutomationHealthModel } from '../../engine/queries/automation-health.js';
import type { LaneBacklog as LaneBacklogModel } from '../../engine/queries/queue.js';
import { automationHealthOf } from '../../resolvers/health.js';
import { builder } from '../builder.js';

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

const LaneBacklog = builder.objectRef<LaneBacklogModel>('LaneBacklog').implement({
  description: 'The pending work of one admission lane.',
  fields: (t) => ({
    lane: t.exposeString('lane'),
    queuedRuns: t.exposeInt('queuedRuns', { description: 'Runs planned and waiting for admission.' }),
    pendingRequests: t.exposeInt('pendingRequests', { description: 'Run requests not yet made runs.' }),
    oldestPendingAgeSeconds: t.float({
      nullable: true,
      description: 'Age of its oldest pending run or request; null when nothing is pending.',
      resolve: (lane) => seconds(lane.oldestPendingAgeMs),
    }),
  }),
});

const AutomationHealth = builder.objectRef<AutomationHealthModel>('AutomationHealth').implement({
  description: 'How far behind automation is in this workspace (see docs/graphql/runs.md).',
  fields: (t) => ({
    status: t.string({
      description: 'ok, or degraded when the last compaction failed.',
      resolve: (h) => h.status,
    }),
    lanes: t.field({ type: [LaneBacklog], description: 'In admission order.', resolve: (h) => h.lanes }),
    queuedRuns: t.exposeInt('queuedRuns'),
    pendingRequests: t.exposeInt('pendingRequests'),
    oldestPendingAgeSeconds: t.float({ nullable: true, resolve: (h) => seconds(h.oldestPendingAgeMs) }),
    ledgerHeadSeq: t.exposeInt('ledgerHeadSeq'),
    foldedSeq: t.exposeInt('foldedSeq', { description: 'Segments folded into this process.' }),
    publishedSeq: t.exposeInt('publishedSeq', { description: 'Segments in the published projections.' }),
    compactionLagSegments: t.exposeInt('compactionLagSegments'),
    lastCompactionError: t.string({ nullable: true, resolve: (h) => h.lastCompactionError }),
    runKeyConflicts: t.exposeInt('runKeyConflicts'),
    quarantinedMessages: t.exposeInt('quarantinedMessages'),
    pendingTimers: t.int({
      nullable: true,
      description: 'Timers not yet delivered; null when the timer queue cannot tell (Cloud Tasks).',
      resolve: (h) => h.pendingTimers,
    }),
  }),
});

builder.queryField('automationHealth', (t) =>
  t.field({
    type: AutomationHealth,
    description:
      'Servo: backlog per lane, oldest pending age, compaction lag, conflicts, quarantine, timers.',
    resolve: (_root, _args, context) => automationHealthOf(context),
  }),
);
