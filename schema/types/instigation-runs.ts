import { instigatorRunningCount, instigatorRuns, instigatorRunsCount } from '../../resolvers/runs.js';
import { builder } from '../builder.js';
import { InstigationStateRef, RunRef } from '../refs.js';

/**
 * The runs of a schedule or sensor on its `InstigationState`, batched across every state a page
 * shows (one read however many schedules it lists).
 */
builder.objectFields(InstigationStateRef, (t) => ({
  runs: t.field({
    type: [RunRef],
    description: 'Its runs, newest first (at most `limit`, default and maximum 1,000).',
    args: { limit: t.arg.int() },
    resolve: (state, args, context) => instigatorRuns(context, state, args.limit),
  }),
  runsCount: t.int({ resolve: (state, _args, context) => instigatorRunsCount(context, state) }),
  runningCount: t.int({
    description: '1 while the schedule or sensor is running, else 0 (as in Dagster).',
    resolve: (state, _args, context) => instigatorRunningCount(context, state),
  }),
}));
