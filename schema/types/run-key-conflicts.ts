import type { RunKeyConflictView } from '../../engine/queries/run-key-conflicts.js';
import { runKeyConflictsPage } from '../../resolvers/health.js';
import { builder } from '../builder.js';

const RunKeyConflict = builder.objectRef<RunKeyConflictView>('RunKeyConflict').implement({
  description:
    'A run request that reused a run key for other work (other assets or partitions). The first request for a key won; this one requested no run.',
  fields: (t) => ({
    runKey: t.exposeString('runKey'),
    runId: t.string({
      nullable: true,
      description: 'The run the key belongs to (the first request made it).',
      resolve: (conflict) => conflict.runId,
    }),
    conflictingEventId: t.exposeString('conflictingEventId'),
    existingFingerprint: t.exposeString('existingFingerprint'),
    conflictingFingerprint: t.exposeString('conflictingFingerprint'),
    sourceKind: t.string({
      description: 'What made the conflicting request: schedule, sensor, backfill or manual.',
      resolve: (conflict) => conflict.source.kind,
    }),
    sourceId: t.string({
      description: 'Its schedule, sensor or backfill id, or who requested it by hand.',
      resolve: (conflict) => {
        const source = conflict.source;
        if (source.kind === 'schedule') return source.scheduleId;
        if (source.kind === 'sensor') return source.sensorId;
        if (source.kind === 'backfill') return source.backfillId;
        return source.requestedBy;
      },
    }),
    detectedAt: t.float({ description: 'Epoch seconds.', resolve: (conflict) => conflict.detectedAt / 1000 }),
  }),
});

const RunKeyConflictConnection = builder
  .objectRef<ReturnType<typeof runKeyConflictsPage>>('RunKeyConflictConnection')
  .implement({
    fields: (t) => ({
      results: t.field({ type: [RunKeyConflict], resolve: (page) => page.items }),
      cursor: t.string({ nullable: true, resolve: (page) => page.cursor }),
      hasMore: t.exposeBoolean('hasMore'),
    }),
  });

builder.queryField('runKeyConflicts', (t) =>
  t.field({
    type: RunKeyConflictConnection,
    description: 'Servo: run-key conflicts, newest first (limit default 50, at most 1,000).',
    args: { limit: t.arg.int(), cursor: t.arg.string() },
    resolve: (_root, args, context) => runKeyConflictsPage(context, args),
  }),
);
