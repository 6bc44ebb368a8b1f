import { z } from 'zod';
import { AssetKey, Id, Name, PartitionKey, PositiveInt, Tags } from '../model/common.js';
import { FailureCategory } from '../model/events/runs.js';

/**
 * The task protocol between Servo and a code location (docs/code-location-protocol.md): Servo
 * delivers a dispatch envelope for each task attempt; the code location runs the asset and reports
 * back through three callbacks, authenticated by the envelope's task token. Every message is JSON
 * and validated with these schemas on both sides.
 */

export const TASK_PROTOCOL_VERSION = 1;

/** What Servo sends to run one attempt of one task (`POST /tasks/execute`). */
export const DispatchEnvelope = z.object({
  protocolVersion: z.literal(TASK_PROTOCOL_VERSION),
  tenantId: z.string().min(1).max(63),
  workspaceId: z.string().min(1).max(63),
  codeLocation: Name,
  runId: Id,
  runKey: Id,
  taskKey: z.string().min(1).max(1200),
  assetKey: AssetKey,
  /** The partitions this task materializes (one, or several for a single-run task); absent when unpartitioned. */
  partitionKeys: z.array(PartitionKey).max(100_000).optional(),
  attempt: PositiveInt.max(100),
  attemptId: Id,
  dispatchId: Id,
  /** Heartbeat at least this often or the attempt is presumed lost. */
  heartbeatTimeoutSeconds: PositiveInt,
  codeVersion: z.string().max(256).optional(),
  tags: Tags,
  /** Base URL of Servo's task callbacks; `{callbackBaseUrl}/tasks/started` etc. */
  callbackBaseUrl: z.string().url(),
  /** Bearer token for the callbacks, bound to this attempt, expiring at `tokenExpiresAt`. */
  taskToken: z.string().min(16).max(4096),
  tokenExpiresAt: z.iso.datetime({ offset: true }),
});
export type DispatchEnvelope = z.infer<typeof DispatchEnvelope>;

const AttemptRef = {
  runId: Id,
  taskKey: z.string().min(1).max(1200),
  attempt: PositiveInt.max(100),
  attemptId: Id,
  workerId: z.string().min(1).max(256),
};

export const TaskStartedBody = z.object({ ...AttemptRef });
export type TaskStartedBody = z.infer<typeof TaskStartedBody>;

export const TaskHeartbeatBody = z.object({
  ...AttemptRef,
  /** Increasing per attempt: repeats of the same beat are recognised. */
  sequence: z.number().int().min(0),
  message: z.string().max(4096).optional(),
});
export type TaskHeartbeatBody = z.infer<typeof TaskHeartbeatBody>;

export const TaskFinishedBody = z.object({
  ...AttemptRef,
  outcome: z.enum(['SUCCEEDED', 'FAILED', 'CANCELED']),
  error: z
    .object({
      message: z.string().max(16_384),
      className: z.string().max(256).optional(),
      stack: z.string().max(65_536).optional(),
      category: FailureCategory.default('USER_CODE'),
      /** Whether trying again can help. Defaults to true for USER_CODE, INFRASTRUCTURE and TIMEOUT. */
      retryable: z.boolean().optional(),
    })
    .optional(),
  /** For single-run tasks: partitions whose outcome differs from `outcome`. */
  partitionOutcomes: z.record(PartitionKey, z.enum(['SUCCEEDED', 'FAILED'])).optional(),
  /** Metadata of the materialization (row counts, paths, …): JSON values, at most 64 KiB. */
  metadata: z.record(z.string().max(256), z.unknown()).optional(),
  /** Log lines the worker captured (the last ones, at most 256 KiB). */
  logs: z.string().max(262_144).optional(),
});
export type TaskFinishedBody = z.infer<typeof TaskFinishedBody>;

/** Answer to `started` and `heartbeat`: whether the worker should stop (the run is being terminated). */
export const TaskCallbackReply = z.object({
  acknowledged: z.boolean(),
  shouldCancel: z.boolean(),
  serverTime: z.string(),
});
export type TaskCallbackReply = z.infer<typeof TaskCallbackReply>;

/**
 * Servo's side of the callbacks, as a port: the HTTP endpoints call it after checking the token, and
 * the in-process code location of embedded mode calls it directly with the same bodies. Rejections
 * are `ServoError`s: UNAUTHORIZED for a bad or expired token, ILLEGAL_STATE (HTTP 409) for an attempt
 * that is not the current one or a task already finished.
 */
export interface TaskCallbacks {
  started(token: string, body: TaskStartedBody): Promise<TaskCallbackReply>;
  heartbeat(token: string, body: TaskHeartbeatBody): Promise<TaskCallbackReply>;
  finished(token: string, body: TaskFinishedBody): Promise<{ acknowledged: boolean; serverTime: string }>;
}

/** Default retryability of a failure category when the worker does not say. */
export function defaultRetryable(category: z.infer<typeof FailureCategory>): boolean {
  return (
    category === 'USER_CODE' ||
    category === 'INFRASTRUCTURE' ||
    category === 'TIMEOUT' ||
    category === 'HEARTBEAT_TIMEOUT'
  );
}

/** What the HTTP or in-process executor of a code location accepts: start running the attempt. */
export interface TaskExecutor {
  /** Resolves once the attempt is accepted (not when it finishes); rejects when it cannot be. */
  execute(envelope: DispatchEnvelope, signal: AbortSignal): Promise<void>;
}

/** A code location name and its task executor, for the dispatcher. */
export interface ExecutorRegistry {
  executorFor(codeLocation: string): TaskExecutor | undefined;
}

export const ExecuteReply = z.object({ accepted: z.boolean(), reason: z.string().optional() });
