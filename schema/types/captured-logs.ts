import { type CapturedLogsModel, capturedLogs } from '../../resolvers/captured-logs.js';
import { builder } from '../builder.js';

const CapturedLogs = builder.objectRef<CapturedLogsModel>('CapturedLogs').implement({
  description:
    'What a step logged. Servo captures one stream per task attempt: its lines are in `stdout`; `stderr` is null.',
  fields: (t) => ({
    logKey: t.exposeStringList('logKey'),
    stdout: t.exposeString('stdout', { nullable: true }),
    stderr: t.exposeString('stderr', { nullable: true }),
    cursor: t.exposeString('cursor', {
      nullable: true,
      description: 'Lines read so far: pass it back to read the lines logged after them.',
    }),
  }),
});

builder.queryField('capturedLogs', (t) =>
  t.field({
    type: CapturedLogs,
    description:
      'The lines a task attempt logged. `logKey` is `[runId, "compute_logs", stepKey]` for the latest attempt, or with the attempt number as a fourth element; `cursor` is a line number, `limit` lines (default 1,000, at most 10,000).',
    args: {
      logKey: t.arg.stringList({ required: true }),
      cursor: t.arg.string(),
      limit: t.arg.int(),
    },
    resolve: (_root, args, context) => capturedLogs(context, args),
  }),
);
