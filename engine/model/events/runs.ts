import { z } from 'zod';
import {
  Actor,
  AssetKey,
  ErrorInfo,
  Id,
  Lane,
  Name,
  PartitionKey,
  PositiveInt,
  RunSource,
  Tags,
} from '../common.js';
import { defineEvent } from '../event-type.js';
import { sha256Hex } from '../hashing.js';

export const RunRequested = defineEvent({
  type: 'run.requested.v1',
  keyFormat: 'runreq:{runKey}:{sha256(requestFingerprint)}',
  dedupe: { by: 'key' },
  description:
    'Something asked for a run under a run key. The first request for a key wins; a later one with another fingerprint is recorded as a conflict.',
  payload: z.object({
    runKey: Id,
    /** See engine/model/fingerprint.ts: the one function every requesting path uses. */
    requestFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    assetSelection: z.array(AssetKey).min(1).max(10_000),
    /** Partitions this run materializes; absent for unpartitioned assets. */
    partitionKeys: z.array(PartitionKey).max(100_000).optional(),
    source: RunSource,
    lane: Lane,
    /** Higher runs first within a lane. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    tags: Tags,
    codeVersion: z.string().min(1).max(256).optional(),
    /** One task per asset covering every partition (single-run backfills), instead of asset × partition. */
    singleRun: z.boolean().default(false),
  }),
  idempotencyKey: (p) => `runreq:${p.runKey}:${sha256Hex(p.requestFingerprint)}`,
});

export const TaskDefinition = z.object({
  taskKey: z.string().min(1).max(1200),
  assetKey: AssetKey,
  /** One key for asset × partition tasks; several for single-run tasks; absent when unpartitioned. */
  partitionKeys: z.array(PartitionKey).max(100_000).optional(),
  dependsOn: z.array(z.string().min(1).max(1200)).max(1000),
  maxAttempts: PositiveInt.max(100),
  retryBackoffSeconds: PositiveInt.max(86_400),
  heartbeatTimeoutSeconds: PositiveInt.max(86_400),
  pool: Name.optional(),
  codeVersion: z.string().min(1).max(256).optional(),
});
export type TaskDefinition = z.infer<typeof TaskDefinition>;

export const RunTriggered = defineEvent({
  type: 'run.triggered.v1',
  keyFormat: 'run:{runKey}',
  dedupe: {
    by: 'state',
    guard:
      "applies only while the run key's index entry is PENDING; triggering marks it TRIGGERED, and run keys never expire",
  },
  description: 'The run for a run key was created; with its plan it waits in its lane for admission.',
  payload: z.object({
    runId: Id,
    runKey: Id,
    source: RunSource,
    lane: Lane,
    priority: z.number().int().min(-1000).max(1000),
    assetSelection: z.array(AssetKey).min(1).max(10_000),
    partitionKeys: z.array(PartitionKey).max(100_000).optional(),
    tags: Tags,
    codeVersion: z.string().min(1).max(256).optional(),
  }),
  idempotencyKey: (p) => `run:${p.runKey}`,
});

export const PlanCreated = defineEvent({
  type: 'run.plan-created.v1',
  keyFormat: 'plan:{runId}',
  dedupe: {
    by: 'state',
    guard: 'applies only to a run without tasks that has not ended; a plan gives it at least one task',
  },
  description: "A run's tasks (asset × partition, or asset × chunk for single-run) and their dependencies.",
  payload: z.object({ runId: Id, tasks: z.array(TaskDefinition).min(1).max(100_000) }),
  idempotencyKey: (p) => `plan:${p.runId}`,
});

export const PlanFailed = defineEvent({
  type: 'run.plan-failed.v1',
  keyFormat: 'plan_failed:{runId}',
  dedupe: {
    by: 'state',
    guard: 'applies only to a run without tasks that has not ended; the failure ends it',
  },
  description:
    'A run could not be planned (for example an asset it names is no longer defined); it ends FAILURE with the reason.',
  payload: z.object({ runId: Id, reason: z.string().min(1).max(16_384) }),
  idempotencyKey: (p) => `plan_failed:${p.runId}`,
});

export const RunAdmitted = defineEvent({
  type: 'run.admitted.v1',
  keyFormat: 'run_admit:{runId}',
  dedupe: { by: 'state', guard: 'applies only to a QUEUED run; admission makes it STARTING' },
  description: 'Admission control let a queued run start: its lane, rate limits and pools had room.',
  payload: z.object({ runId: Id, pools: z.array(Name).max(100) }),
  idempotencyKey: (p) => `run_admit:${p.runId}`,
});

export const RunCancelRequested = defineEvent({
  type: 'run.cancel-requested.v1',
  keyFormat: 'run_cancel:{runId}:{force ? force : cooperative}',
  dedupe: { by: 'key' },
  description:
    'An operator (or a canceling backfill) asked to terminate a run. Queued work is canceled at once; running tasks are asked to stop, and forced termination fails them.',
  payload: z.object({
    runId: Id,
    force: z.boolean(),
    requestedBy: Actor,
    reason: z.string().max(4096).optional(),
  }),
  idempotencyKey: (p) => `run_cancel:${p.runId}:${p.force ? 'force' : 'cooperative'}`,
});

export const RunDeleted = defineEvent({
  type: 'run.deleted.v1',
  keyFormat: 'run_delete:{runId}',
  dedupe: { by: 'key' },
  description: 'An operator deleted a terminal run from the run history.',
  payload: z.object({ runId: Id, deletedBy: Actor }),
  idempotencyKey: (p) => `run_delete:${p.runId}`,
});

const TaskRef = {
  runId: Id,
  taskKey: z.string().min(1).max(1200),
  attempt: PositiveInt.max(100),
  attemptId: Id,
};

export const TaskDispatchRequested = defineEvent({
  type: 'task.dispatch-requested.v1',
  keyFormat: 'dispatch_req:{dispatchId}',
  dedupe: {
    by: 'state',
    guard:
      "applies only when `attempt` is the task's current attempt + 1; the dispatch makes it the current attempt",
  },
  description: 'A ready task attempt was put in the dispatch outbox for delivery to its code location.',
  payload: z.object({ ...TaskRef, dispatchId: Id, queue: Name }),
  idempotencyKey: (p) => `dispatch_req:${p.dispatchId}`,
});

export const TaskDispatchEnqueued = defineEvent({
  type: 'task.dispatch-enqueued.v1',
  keyFormat: 'dispatch_ack:{dispatchId}',
  dedupe: {
    by: 'state',
    guard: 'applies only to a PENDING outbox row of that attempt; it marks the row ENQUEUED',
  },
  description: 'The dispatch queue accepted a task attempt for delivery.',
  payload: z.object({ ...TaskRef, dispatchId: Id, externalId: z.string().min(1).max(512) }),
  idempotencyKey: (p) => `dispatch_ack:${p.dispatchId}`,
});

export const TaskStarted = defineEvent({
  type: 'task.started.v1',
  keyFormat: 'started:{runId}:{taskKey}:{attempt}',
  dedupe: {
    by: 'state',
    guard: 'applies only to a DISPATCHED task on that attempt; starting makes it RUNNING',
  },
  description: 'A worker reported that it started a task attempt.',
  payload: z.object({ ...TaskRef, workerId: z.string().min(1).max(256) }),
  idempotencyKey: (p) => `started:${p.runId}:${p.taskKey}:${p.attempt}`,
});

export const TaskHeartbeat = defineEvent({
  type: 'task.heartbeat.v1',
  keyFormat: 'heartbeat:{runId}:{taskKey}:{attempt}:{sequence}',
  dedupe: {
    by: 'state',
    guard: "applies only to a RUNNING task on that attempt with a `sequence` above the attempt's last one",
  },
  description: 'A worker reported that a task attempt is alive.',
  payload: z.object({
    ...TaskRef,
    workerId: z.string().min(1).max(256),
    /**
     * Increasing within the attempt (workers use epoch milliseconds, which keep increasing across a
     * restarted worker), so repeats dedupe but new beats apply.
     */
    sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    message: z.string().max(4096).optional(),
  }),
  idempotencyKey: (p) => `heartbeat:${p.runId}:${p.taskKey}:${p.attempt}:${p.sequence}`,
});

export const TaskOutcome = z.enum(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELED']);
export type TaskOutcome = z.infer<typeof TaskOutcome>;

export const FailureCategory = z.enum([
  'USER_CODE',
  'INFRASTRUCTURE',
  'TIMEOUT',
  'HEARTBEAT_TIMEOUT',
  'CANCELED',
]);

export const TaskFinished = defineEvent({
  type: 'task.finished.v1',
  keyFormat: 'finished:{runId}:{taskKey}:{attempt}',
  dedupe: {
    by: 'state',
    guard: 'applies only to a DISPATCHED or RUNNING task on that attempt; finishing ends the attempt',
  },
  description:
    'A task attempt ended. Success records a materialization of its partitions; a retryable failure with attempts left waits for a retry.',
  payload: z.object({
    ...TaskRef,
    workerId: z.string().min(1).max(256),
    outcome: TaskOutcome,
    error: ErrorInfo.extend({ category: FailureCategory, retryable: z.boolean() }).optional(),
    /** Per-partition outcomes of a single-run task; absent means every partition shares `outcome`. */
    partitionOutcomes: z.record(PartitionKey, z.enum(['SUCCEEDED', 'FAILED'])).optional(),
    /** Metadata the asset reported with its materialization (row counts, paths, …), JSON values. */
    metadata: z.record(z.string().max(256), z.unknown()).optional(),
  }),
  idempotencyKey: (p) => `finished:${p.runId}:${p.taskKey}:${p.attempt}`,
});
