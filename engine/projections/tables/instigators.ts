import type { ErrorInfo } from '../../model/common.js';
import { defineTable } from '../table-def.js';

export interface ScheduleDefinitionRow {
  scheduleId: string;
  codeLocation: string;
  name: string;
  /** `code` (deployed) or `api` (created through the API). */
  source: string;
  cronSchedule: string;
  executionTimezone: string;
  assetSelection: string[];
  description: string | null;
  catchupWindowSeconds: number;
  maxCatchupTicks: number;
  catchupOrder: string;
  overlapPolicy: string;
  dstGapPolicy: string;
  dstOverlapPolicy: string;
  partitionSelection: unknown;
  defaultStatus: string;
  codeVersion: string | null;
  lane: string | null;
  tags: Record<string, string> | null;
  createdAt: number;
  updatedAt: number;
  /** Event id of the upsert that wrote this definition; ticks record the version they used. */
  rowVersion: string;
}

export const scheduleDefinitions = defineTable<ScheduleDefinitionRow>(
  'schedule_definitions',
  1,
  {
    scheduleId: 'utf8',
    codeLocation: 'utf8',
    name: 'utf8',
    source: 'utf8',
    cronSchedule: 'utf8',
    executionTimezone: 'utf8',
    assetSelection: 'json',
    description: 'utf8?',
    catchupWindowSeconds: 'int32',
    maxCatchupTicks: 'int32',
    catchupOrder: 'utf8',
    overlapPolicy: 'utf8',
    dstGapPolicy: 'utf8',
    dstOverlapPolicy: 'utf8',
    partitionSelection: 'json?',
    defaultStatus: 'utf8',
    codeVersion: 'utf8?',
    lane: 'utf8?',
    tags: 'json?',
    createdAt: 'timestamp',
    updatedAt: 'timestamp',
    rowVersion: 'utf8',
  },
  (row) => row.scheduleId,
);

export interface ScheduleStateRow {
  scheduleId: string;
  /** Operator's choice (RUNNING/STOPPED); null means the definition's default status applies. */
  status: string | null;
  statusChangedAt: number | null;
  lastTickId: string | null;
  /** Newest due time this schedule has decided (the catch-up high-water mark). */
  lastScheduledFor: number | null;
  lastTickStatus: string | null;
  lastRunKey: string | null;
  lastRunId: string | null;
  ticksRecorded: number;
  rowVersion: string;
}

export const scheduleState = defineTable<ScheduleStateRow>(
  'schedule_state',
  1,
  {
    scheduleId: 'utf8',
    status: 'utf8?',
    statusChangedAt: 'timestamp?',
    lastTickId: 'utf8?',
    lastScheduledFor: 'timestamp?',
    lastTickStatus: 'utf8?',
    lastRunKey: 'utf8?',
    lastRunId: 'utf8?',
    ticksRecorded: 'int32',
    rowVersion: 'utf8',
  },
  (row) => row.scheduleId,
);

export interface ScheduleTickRow {
  tickId: string;
  scheduleId: string;
  scheduledFor: number;
  trigger: string;
  status: string;
  skipReason: string | null;
  error: ErrorInfo | null;
  runKeys: string[];
  /** Derived from the run keys with the tenant secret, so a tick links to its run in any fold order. */
  runIds: string[];
  definitionVersion: string;
  droppedCount: number | null;
  droppedFirstDueFor: number | null;
  droppedLastDueFor: number | null;
  recordedAt: number;
  rowVersion: string;
}

export const scheduleTicks = defineTable<ScheduleTickRow>(
  'schedule_ticks',
  1,
  {
    tickId: 'utf8',
    scheduleId: 'utf8',
    scheduledFor: 'timestamp',
    trigger: 'utf8',
    status: 'utf8',
    skipReason: 'utf8?',
    error: 'json?',
    runKeys: 'json',
    runIds: 'json',
    definitionVersion: 'utf8',
    droppedCount: 'int32?',
    droppedFirstDueFor: 'timestamp?',
    droppedLastDueFor: 'timestamp?',
    recordedAt: 'timestamp',
    rowVersion: 'utf8',
  },
  (row) => row.tickId,
);

export interface SensorDefinitionRow {
  sensorId: string;
  codeLocation: string;
  name: string;
  source: string;
  kind: string;
  targetAssets: string[];
  minimumIntervalSeconds: number;
  defaultStatus: string;
  description: string | null;
  maxRunRequests: number | null;
  evaluationTimeoutSeconds: number | null;
  codeVersion: string | null;
  lane: string | null;
  tags: Record<string, string> | null;
  createdAt: number;
  updatedAt: number;
  rowVersion: string;
}

export const sensorDefinitions = defineTable<SensorDefinitionRow>(
  'sensor_definitions',
  1,
  {
    sensorId: 'utf8',
    codeLocation: 'utf8',
    name: 'utf8',
    source: 'utf8',
    kind: 'utf8',
    targetAssets: 'json',
    minimumIntervalSeconds: 'int32',
    defaultStatus: 'utf8',
    description: 'utf8?',
    maxRunRequests: 'int32?',
    evaluationTimeoutSeconds: 'int32?',
    codeVersion: 'utf8?',
    lane: 'utf8?',
    tags: 'json?',
    createdAt: 'timestamp',
    updatedAt: 'timestamp',
    rowVersion: 'utf8',
  },
  (row) => row.sensorId,
);

export interface SensorStateRow {
  sensorId: string;
  status: string | null;
  statusChangedAt: number | null;
  cursor: string | null;
  /** Compare-and-swap version: bumped by every accepted evaluation and every cursor change. */
  stateVersion: number;
  lastEvalId: string | null;
  lastEvaluatedAt: number | null;
  lastEvalStatus: string | null;
  lastRunKey: string | null;
  consecutiveFailures: number;
  rowVersion: string;
}

export const sensorState = defineTable<SensorStateRow>(
  'sensor_state',
  1,
  {
    sensorId: 'utf8',
    status: 'utf8?',
    statusChangedAt: 'timestamp?',
    cursor: 'utf8?',
    stateVersion: 'int32',
    lastEvalId: 'utf8?',
    lastEvaluatedAt: 'timestamp?',
    lastEvalStatus: 'utf8?',
    lastRunKey: 'utf8?',
    consecutiveFailures: 'int32',
    rowVersion: 'utf8',
  },
  (row) => row.sensorId,
);

export interface SensorEvalRow {
  evalId: string;
  sensorId: string;
  triggerKind: string;
  dueAt: number | null;
  messageId: string | null;
  cursorBefore: string | null;
  cursorAfter: string | null;
  expectedStateVersion: number | null;
  /** SUCCESS, SKIPPED or FAILURE as reported; a stale evaluation is recorded as SKIPPED with `stale`. */
  status: string;
  stale: boolean;
  skipReason: string | null;
  error: ErrorInfo | null;
  runKeys: string[];
  runIds: string[];
  durationMs: number | null;
  evaluatedAt: number;
  rowVersion: string;
}

export const sensorEvals = defineTable<SensorEvalRow>(
  'sensor_evals',
  1,
  {
    evalId: 'utf8',
    sensorId: 'utf8',
    triggerKind: 'utf8',
    dueAt: 'timestamp?',
    messageId: 'utf8?',
    cursorBefore: 'utf8?',
    cursorAfter: 'utf8?',
    expectedStateVersion: 'int32?',
    status: 'utf8',
    stale: 'boolean',
    skipReason: 'utf8?',
    error: 'json?',
    runKeys: 'json',
    runIds: 'json',
    durationMs: 'int32?',
    evaluatedAt: 'timestamp',
    rowVersion: 'utf8',
  },
  (row) => row.evalId,
);
