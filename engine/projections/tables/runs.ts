import type { ErrorInfo, RunSource } from '../../model/common.js';
import { compositeKey, defineTable } from '../table-def.js';

export interface RunKeyIndexRow {
  runKey: string;
  runId: string;
  requestFingerprint: string;
  /** PENDING until the run-requests processor triggers the run, then TRIGGERED. */
  status: string;
  source: RunSource;
  sourceKind: string;
  lane: string;
  priority: number;
  assetSelection: string[];
  partitionKeys: string[] | null;
  singleRun: boolean;
  tags: Record<string, string>;
  codeVersion: string | null;
  requestedAt: number;
  triggeredAt: number | null;
  rowVersion: string;
}

export const runKeyIndex = defineTable<RunKeyIndexRow>(
  'run_key_index',
  1,
  {
    runKey: 'utf8',
    runId: 'utf8',
    requestFingerprint: 'utf8',
    status: 'utf8',
    source: 'json',
    sourceKind: 'utf8',
    lane: 'utf8',
    priority: 'int32',
    assetSelection: 'json',
    partitionKeys: 'json?',
    singleRun: 'boolean',
    tags: 'json',
    codeVersion: 'utf8?',
    requestedAt: 'timestamp',
    triggeredAt: 'timestamp?',
    rowVersion: 'utf8',
  },
  (row) => row.runKey,
);

export interface RunKeyConflictRow {
  runKey: string;
  conflictingEventId: string;
  existingFingerprint: string;
  conflictingFingerprint: string;
  source: RunSource;
  detectedAt: number;
}

export const runKeyConflicts = defineTable<RunKeyConflictRow>(
  'run_key_conflicts',
  1,
  {
    runKey: 'utf8',
    conflictingEventId: 'utf8',
    existingFingerprint: 'utf8',
    conflictingFingerprint: 'utf8',
    source: 'json',
    detectedAt: 'timestamp',
  },
  (row) => compositeKey(row.runKey, row.conflictingEventId),
);

/** Run statuses, named as Dagster's `RunStatus`. */
export const RunStatus = {
  Queued: 'QUEUED',
  Starting: 'STARTING',
  Started: 'STARTED',
  Success: 'SUCCESS',
  Failure: 'FAILURE',
  Canceling: 'CANCELING',
  Canceled: 'CANCELED',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export interface RunRow {
  runId: string;
  runKey: string;
  status: RunStatus;
  lane: string;
  priority: number;
  source: RunSource;
  sourceKind: string;
  assetSelection: string[];
  partitionKeys: string[] | null;
  tags: Record<string, string>;
  codeVersion: string | null;
  taskKeys: string[];
  tasksTotal: number;
  tasksSucceeded: number;
  tasksFailed: number;
  tasksSkipped: number;
  tasksCanceled: number;
  pools: string[];
  cancelRequested: boolean;
  forceCancel: boolean;
  backfillId: string | null;
  chunkId: string | null;
  /** Why the run failed without running (a plan that could not be made), if it did. */
  failureReason: string | null;
  createdAt: number;
  admittedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  rowVersion: string;
}

export const runs = defineTable<RunRow>(
  'runs',
  1,
  {
    runId: 'utf8',
    runKey: 'utf8',
    status: 'utf8',
    lane: 'utf8',
    priority: 'int32',
    source: 'json',
    sourceKind: 'utf8',
    assetSelection: 'json',
    partitionKeys: 'json?',
    tags: 'json',
    codeVersion: 'utf8?',
    taskKeys: 'json',
    tasksTotal: 'int32',
    tasksSucceeded: 'int32',
    tasksFailed: 'int32',
    tasksSkipped: 'int32',
    tasksCanceled: 'int32',
    pools: 'json',
    cancelRequested: 'boolean',
    forceCancel: 'boolean',
    backfillId: 'utf8?',
    chunkId: 'utf8?',
    failureReason: 'utf8?',
    createdAt: 'timestamp',
    admittedAt: 'timestamp?',
    startedAt: 'timestamp?',
    endedAt: 'timestamp?',
    rowVersion: 'utf8',
  },
  (row) => row.runId,
);

export const TaskState = {
  Blocked: 'BLOCKED',
  Ready: 'READY',
  Dispatched: 'DISPATCHED',
  Running: 'RUNNING',
  RetryWait: 'RETRY_WAIT',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Skipped: 'SKIPPED',
  Canceled: 'CANCELED',
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export interface TaskRow {
  runId: string;
  taskKey: string;
  assetKey: string;
  partitionKeys: string[] | null;
  dependsOn: string[];
  dependents: string[];
  /** Upstream task keys that succeeded; a task becomes READY when this covers `dependsOn`. */
  depsSatisfied: string[];
  state: TaskState;
  attempt: number;
  attemptId: string | null;
  maxAttempts: number;
  retryBackoffSeconds: number;
  heartbeatTimeoutSeconds: number;
  pool: string | null;
  codeVersion: string | null;
  readyAt: number | null;
  retryNotBefore: number | null;
  startedAt: number | null;
  lastHeartbeatAt: number | null;
  heartbeatSequence: number | null;
  endedAt: number | null;
  workerId: string | null;
  error: (ErrorInfo & { category: string; retryable: boolean }) | null;
  rowVersion: string;
}

export const tasks = defineTable<TaskRow>(
  'tasks',
  1,
  {
    runId: 'utf8',
    taskKey: 'utf8',
    assetKey: 'utf8',
    partitionKeys: 'json?',
    dependsOn: 'json',
    dependents: 'json',
    depsSatisfied: 'json',
    state: 'utf8',
    attempt: 'int32',
    attemptId: 'utf8?',
    maxAttempts: 'int32',
    retryBackoffSeconds: 'int32',
    heartbeatTimeoutSeconds: 'int32',
    pool: 'utf8?',
    codeVersion: 'utf8?',
    readyAt: 'timestamp?',
    retryNotBefore: 'timestamp?',
    startedAt: 'timestamp?',
    lastHeartbeatAt: 'timestamp?',
    heartbeatSequence: 'int64?',
    endedAt: 'timestamp?',
    workerId: 'utf8?',
    error: 'json?',
    rowVersion: 'utf8',
  },
  (row) => compositeKey(row.runId, row.taskKey),
);

export interface DispatchOutboxRow {
  dispatchId: string;
  runId: string;
  taskKey: string;
  attempt: number;
  attemptId: string;
  queue: string;
  /** PENDING until the queue accepts it, then ENQUEUED; the row is removed when the attempt starts. */
  status: string;
  externalId: string | null;
  createdAt: number;
  rowVersion: string;
}

export const dispatchOutbox = defineTable<DispatchOutboxRow>(
  'dispatch_outbox',
  1,
  {
    dispatchId: 'utf8',
    runId: 'utf8',
    taskKey: 'utf8',
    attempt: 'int32',
    attemptId: 'utf8',
    queue: 'utf8',
    status: 'utf8',
    externalId: 'utf8?',
    createdAt: 'timestamp',
    rowVersion: 'utf8',
  },
  (row) => row.dispatchId,
);

export interface TimerRow {
  timerId: string;
  kind: string;
  subjectId: string;
  attempt: number | null;
  fireAt: number;
  /** SCHEDULED or FIRED. */
  state: string;
  requestedAt: number | null;
  firedAt: number | null;
  rowVersion: string;
}

export const timers = defineTable<TimerRow>(
  'timers',
  1,
  {
    timerId: 'utf8',
    kind: 'utf8',
    subjectId: 'utf8',
    attempt: 'int32?',
    fireAt: 'timestamp',
    state: 'utf8',
    requestedAt: 'timestamp?',
    firedAt: 'timestamp?',
    rowVersion: 'utf8',
  },
  (row) => row.timerId,
);
