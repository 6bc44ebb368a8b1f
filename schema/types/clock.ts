import { advanceClock } from '../../resolvers/clock.js';
import { builder } from '../builder.js';
import { ErrorInterface, PythonError, UnauthorizedError } from './errors.js';

const ClockAdvanced = builder
  .objectRef<{ __typename: 'ClockAdvanced'; now: Date; advancedBySeconds: number }>('ClockAdvanced')
  .implement({
    description: 'The virtual clock moved and everything that fell due has run.',
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'ClockAdvanced',
    fields: (t) => ({
      now: t.string({
        description: 'The new time, ISO-8601 UTC.',
        resolve: (result) => result.now.toISOString(),
      }),
      timestamp: t.float({
        description: 'The new time in epoch seconds.',
        resolve: (result) => result.now.getTime() / 1000,
      }),
      advancedBySeconds: t.exposeInt('advancedBySeconds'),
    }),
  });

const ClockNotVirtualError = builder
  .objectRef<{ __typename: 'ClockNotVirtualError'; message: string }>('ClockNotVirtualError')
  .implement({
    description: 'The server runs on the real clock; only `SERVO_CLOCK=virtual` lets time be moved.',
    interfaces: [ErrorInterface],
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'ClockNotVirtualError',
    fields: (t) => ({ message: t.exposeString('message') }),
  });

const AdvanceClockResult = builder.unionType('AdvanceClockResult', {
  types: [ClockAdvanced, ClockNotVirtualError, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.mutationField('advanceClock', (t) =>
  t.field({
    type: AdvanceClockResult,
    description:
      'Moves the virtual clock forward by `seconds` (admin; embedded mode with SERVO_CLOCK=virtual only). Everything that falls due runs in due-time order as if Servo had been up; returns once the system is quiet.',
    args: { seconds: t.arg.int({ required: true }) },
    resolve: (_root, args, context) => advanceClock(context, args.seconds),
  }),
);
