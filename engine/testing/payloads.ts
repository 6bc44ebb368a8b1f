import type { PayloadOf } from '../model/catalog.js';
import type { RunSource } from '../model/common.js';
import type { TaskDefinition } from '../model/events/runs.js';
import { requestFingerprint } from '../model/fingerprint.js';
import { attemptIdFor, dispatchIdFor, runIdFor, taskKeyFor } from '../model/ids.js';
import { TEST_SCOPE } from './event-factory.js';

/** Typical payloads for tests, each overridable. */

export function scheduleDefinition(
  overrides: Partial<PayloadOf<'schedule.definition-upserted.v1'>> = {},
): PayloadOf<'schedule.definition-upserted.v1'> {
  return {
    scheduleId: 'etl:daily',
    codeLocation: 'etl',
    name: 'daily',
    source: 'api',
    cronSchedule: '0 0 * * *',
    executionTimezone: 'UTC',
    assetSelection: ['raw/orders'],
    catchupWindowSeconds: 86_400,
    maxCatchupTicks: 5,
    catchupOrder: 'NEWEST_FIRST',
    overlapPolicy: 'ALLOW',
    dstGapPolicy: 'SHIFT',
    dstOverlapPolicy: 'LATER',
    defaultStatus: 'RUNNING',
    changedBy: 'test',
    requestId: 'req-1',
    ...overrides,
  };
}

export function sensorDefinition(
  overrides: Partial<PayloadOf<'sensor.definition-upserted.v1'>> = {},
): PayloadOf<'sensor.definition-upserted.v1'> {
  return {
    sensorId: 'etl:files',
    codeLocation: 'etl',
    name: 'files',
    source: 'code',
    kind: 'poll',
    targetAssets: ['raw/orders'],
    minimumIntervalSeconds: 30,
    defaultStatus: 'RUNNING',
    changedBy: 'test',
    requestId: 'req-1',
    ...overrides,
  };
}

export function runRequest(
  runKey: string,
  source: RunSource,
  overrides: Partial<PayloadOf<'run.requested.v1'>> = {},
): PayloadOf<'run.requested.v1'> {
  const assetSelection = overrides.assetSelection ?? ['raw/orders'];
  const partitionKeys = overrides.partitionKeys;
  return {
    runKey,
    requestFingerprint: requestFingerprint({ assetSelection, partitionKeys }),
    assetSelection,
    ...(partitionKeys === undefined ? {} : { partitionKeys }),
    source,
    lane: 'manual',
    priority: 0,
    tags: {},
    singleRun: false,
    ...overrides,
  };
}

export const testSecret = new TextEncoder().encode('test-secret');

export function testRunId(runKey: string): string {
  return runIdFor(testSecret, TEST_SCOPE.tenantId, TEST_SCOPE.workspaceId, runKey);
}

export function taskDefinition(
  assetKey: string,
  partitionKeys: string[] | undefined,
  dependsOn: string[] = [],
  overrides: Partial<TaskDefinition> = {},
): TaskDefinition {
  return {
    taskKey: taskKeyFor(assetKey, partitionKeys),
    assetKey,
    ...(partitionKeys === undefined ? {} : { partitionKeys }),
    dependsOn,
    maxAttempts: 3,
    retryBackoffSeconds: 30,
    heartbeatTimeoutSeconds: 300,
    ...overrides,
  };
}

export function taskAttempt(runId: string, taskKey: string, attempt: number) {
  const dispatchId = dispatchIdFor(runId, taskKey, attempt);
  return { runId, taskKey, attempt, attemptId: attemptIdFor(dispatchId), dispatchId };
}
