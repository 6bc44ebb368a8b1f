import { z } from 'zod';
import {
  Actor,
  AssetKey,
  Id,
  NonNegativeInt,
  PartitionKey,
  PartitionSelector,
  PositiveInt,
  Tags,
} from '../common.js';
import { defineEvent } from '../event-type.js';

/**
 * Backfill states. They map onto Dagster's `BulkActionStatus`; PAUSED is Servo's own. Terminal:
 * COMPLETED_SUCCESS, COMPLETED_FAILED, FAILED, CANCELED.
 */
export const BackfillState = z.enum([
  'REQUESTED',
  'PAUSED',
  'CANCELING',
  'CANCELED',
  'COMPLETED_SUCCESS',
  'COMPLETED_FAILED',
  'FAILED',
]);
export type BackfillState = z.infer<typeof BackfillState>;

export const BackfillCreated = defineEvent({
  type: 'backfill.created.v1',
  keyFormat: 'backfill_create:{requestId}',
  dedupe: { by: 'key' },
  description:
    'A backfill was requested for a selection of assets and a compact partition selector; partitions are resolved lazily while planning.',
  payload: z.object({
    backfillId: Id,
    /** Client idempotency token; the same request id never creates a second backfill. */
    requestId: Id,
    assetSelection: z.array(AssetKey).min(1).max(10_000),
    selector: PartitionSelector,
    totalPartitions: NonNegativeInt,
    chunkSize: PositiveInt.max(100_000),
    maxConcurrentRuns: PositiveInt.max(10_000),
    singleRun: z.boolean(),
    parentBackfillId: Id.optional(),
    title: z.string().max(1024).optional(),
    description: z.string().max(4096).optional(),
    tags: Tags,
    codeVersion: z.string().min(1).max(256).optional(),
    requestedBy: Actor,
  }),
  idempotencyKey: (p) => `backfill_create:${p.requestId}`,
});

export const BackfillChunkPlanned = defineEvent({
  type: 'backfill.chunk-planned.v1',
  keyFormat: 'backfill_chunk:{backfillId}:{chunkIndex}',
  dedupe: {
    by: 'state',
    guard: "applies only to the backfill's next chunk index; planning moves the index on",
  },
  description:
    'The next chunk of a backfill was planned; the same segment carries its run request under the chunk run key.',
  payload: z.object({
    backfillId: Id,
    chunkId: Id,
    chunkIndex: NonNegativeInt,
    partitionKeys: z.array(PartitionKey).min(1).max(100_000),
    runKey: Id,
  }),
  idempotencyKey: (p) => `backfill_chunk:${p.backfillId}:${p.chunkIndex}`,
});

export const BackfillStateChanged = defineEvent({
  type: 'backfill.state-changed.v1',
  keyFormat: 'backfill_state:{backfillId}:{stateVersion}:{toState}',
  dedupe: { by: 'key' },
  description:
    'An operator paused, resumed or canceled a backfill. The fold applies it only from the stated state and version.',
  payload: z.object({
    backfillId: Id,
    fromState: BackfillState,
    toState: BackfillState,
    /** Must equal the backfill's current state version + 1. */
    stateVersion: PositiveInt,
    changedBy: Actor,
    /** For cancel: also terminate the backfill's running runs. */
    terminateRuns: z.boolean().optional(),
    reason: z.string().max(4096).optional(),
  }),
  idempotencyKey: (p) => `backfill_state:${p.backfillId}:${p.stateVersion}:${p.toState}`,
});
