import {
  type QuarantinedMessageModel,
  type QuarantineReplayedModel,
  quarantinedMessages,
  replayQuarantinedMessage,
  sensorTargetOf,
} from '../../resolvers/quarantine.js';
import { builder } from '../builder.js';
import { PythonError, UnauthorizedError } from './errors.js';

/** Servo's `quarantinedMessages`: push messages that were not accepted, with their reason. */

const QuarantinedMessage = builder.objectRef<QuarantinedMessageModel>('QuarantinedMessage').implement({
  description:
    'A push message Servo did not accept, kept with its reason (malformed JSON or base64, no message id, too large, an unknown, poll or stopped sensor).',
  fields: (t) => ({
    id: t.id({ resolve: (message) => message.quarantineId }),
    messageId: t.exposeString('messageId', {
      nullable: true,
      description: "The message's id (the x-message-id header or the Pub/Sub id); null when it had none.",
    }),
    reason: t.exposeString('reason'),
    receivedTimestamp: t.float({
      description: 'When it arrived, epoch seconds.',
      resolve: (message) => message.receivedAt / 1000,
    }),
    sensorName: t.string({
      nullable: true,
      description: 'The sensor the message was sent to, as it named it.',
      resolve: (message) => sensorTargetOf(message.sensorName).name,
    }),
    repositoryLocationName: t.string({
      nullable: true,
      description: "The sensor's code location, when the message named one.",
      resolve: (message) => sensorTargetOf(message.sensorName).codeLocation,
    }),
    sizeBytes: t.exposeInt('sizeBytes'),
    bodyKept: t.exposeBoolean('bodyKept', {
      description: 'Whether the body was kept (within the push payload limit); only then can it be replayed.',
    }),
    payloadPreview: t.exposeString('payloadPreview', {
      nullable: true,
      description: 'The first 512 bytes of the body as text; null when the body was not kept.',
    }),
    replayedTimestamp: t.float({
      nullable: true,
      description: 'When it was replayed, epoch seconds; null while it waits in quarantine.',
      resolve: (message) => (message.replayedAt === null ? null : message.replayedAt / 1000),
    }),
    replayedBy: t.exposeString('replayedBy', { nullable: true }),
    replayOutcome: t.exposeString('replayOutcome', { nullable: true }),
  }),
});

const QuarantinedMessageConnection = builder
  .objectRef<{ results: QuarantinedMessageModel[]; cursor: string | null }>('QuarantinedMessageConnection')
  .implement({
    fields: (t) => ({
      results: t.field({ type: [QuarantinedMessage], resolve: (page) => page.results }),
      cursor: t.exposeString('cursor', {
        nullable: true,
        description: 'Pass back as `cursor` for the next page; null on the last page.',
      }),
      hasMore: t.boolean({ resolve: (page) => page.cursor !== null }),
    }),
  });

builder.queryField('quarantinedMessages', (t) =>
  t.field({
    type: QuarantinedMessageConnection,
    description:
      'Push messages that were not accepted, newest first. `limit` defaults to 25, at most 1000; `pendingOnly` keeps those not replayed yet.',
    args: {
      limit: t.arg.int(),
      cursor: t.arg.string(),
      pendingOnly: t.arg.boolean({ defaultValue: false }),
    },
    resolve: (_root, args, context) =>
      quarantinedMessages(context, {
        limit: args.limit ?? null,
        cursor: args.cursor ?? null,
        pendingOnly: args.pendingOnly ?? false,
      }),
  }),
);

const QuarantinedMessageReplayed = builder
  .objectRef<QuarantineReplayedModel>('QuarantinedMessageReplayed')
  .implement({
    description: 'The message was handed to its sensor again and left quarantine.',
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'QuarantinedMessageReplayed',
    fields: (t) => ({
      quarantineId: t.exposeString('quarantineId'),
      outcome: t.exposeString('outcome', {
        description:
          '`evaluated` (the sensor ran on it) or `duplicate` (its message id had been evaluated already).',
      }),
      evaluationId: t.exposeString('evaluationId', { nullable: true }),
    }),
  });

const ReplayQuarantinedMessageResult = builder.unionType('ReplayQuarantinedMessageResult', {
  types: [QuarantinedMessageReplayed, UnauthorizedError, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.mutationField('replayQuarantinedMessage', (t) =>
  t.field({
    type: ReplayQuarantinedMessageResult,
    description:
      'Servo: hands a quarantined push message (its `id`) to its sensor again, e.g. after the sensor was started. Operator only. A message that still cannot be accepted stays quarantined and the PythonError says why.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => replayQuarantinedMessage(context, String(args.id)),
  }),
);
