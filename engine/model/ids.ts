import type { TimerKind } from './events/timers.js';
import { base32Lower, hmacSha256, sha256Bytes, sha256Hex } from './hashing.js';
import { keyedHmacSha256 } from './keyed-hmac.js';

/**
 * Deterministic identifiers. Every id Servo derives is a pure function of its inputs, so two
 * processes making the same decision produce the same id, and the fold dedupes the second.
 * Fixed test vectors live in ids.test.ts: changing any function here breaks them on purpose.
 */

/**
 * `run_` + 26 base32 characters of HMAC-SHA256(tenant secret, `{tenant}:{workspace}:{runKey}`).
 * Every process that folds uses the same per-tenant secret, so run ids agree everywhere; the secret
 * keeps run ids unguessable from run keys.
 */
export function runIdFor(secret: Uint8Array, tenantId: string, workspaceId: string, runKey: string): string {
  if (secret.length === 0) throw new Error('the tenant secret must not be empty');
  const mac = hmacSha256(secret, `${tenantId}:${workspaceId}:${runKey}`);
  return `run_${base32Lower(mac.subarray(0, 16)).slice(0, 26)}`;
}

/**
 * `runIdFor` with the secret and scope fixed: the same ids, several times faster per run key (the
 * secret's HMAC pads are hashed once). For the fold, which derives one for every new run key.
 */
export function runIdDeriver(
  secret: Uint8Array,
  tenantId: string,
  workspaceId: string,
): (runKey: string) => string {
  if (secret.length === 0) throw new Error('the tenant secret must not be empty');
  const mac = keyedHmacSha256(secret);
  const prefix = `${tenantId}:${workspaceId}:`;
  return (runKey) => `run_${base32Lower(mac(prefix + runKey).subarray(0, 16)).slice(0, 26)}`;
}

/** Schedules and sensors are identified by `{codeLocation}:{name}` (names cannot contain `:`). */
export function instigatorId(codeLocation: string, name: string): string {
  return `${codeLocation}:${name}`;
}

export function scheduleTickId(scheduleId: string, scheduledForMs: number): string {
  return `${scheduleId}:${Math.floor(scheduledForMs / 1000)}`;
}

export function manualTickId(scheduleId: string, requestId: string): string {
  return `${scheduleId}:manual:${requestId}`;
}

export function scheduleRunKey(scheduleId: string, scheduledForMs: number): string {
  return `sched:${scheduleId}:${Math.floor(scheduledForMs / 1000)}`;
}

export function manualScheduleRunKey(scheduleId: string, requestId: string): string {
  return `sched:${scheduleId}:manual:${requestId}`;
}

export function pollEvalId(sensorId: string, dueAtMs: number): string {
  return `${sensorId}:poll:${Math.floor(dueAtMs / 1000)}`;
}

export function pushEvalId(sensorId: string, messageId: string): string {
  return `${sensorId}:msg:${messageId}`;
}

/** `bf_` + 16 base32 characters of SHA-256 over the scope and the client's request id. */
export function backfillIdFor(tenantId: string, workspaceId: string, requestId: string): string {
  return `bf_${base32Lower(sha256Bytes(`backfill:${tenantId}:${workspaceId}:${requestId}`)).slice(0, 16)}`;
}

export function backfillChunkId(backfillId: string, chunkIndex: number): string {
  return `${backfillId}:${chunkIndex}`;
}

export function backfillChunkRunKey(backfillId: string, chunkIndex: number): string {
  return `backfill:${backfillId}:chunk:${chunkIndex}`;
}

/** A task of a run: `asset`, `asset[partition]`, or `asset[first..last]` for a single-run task. */
export function taskKeyFor(assetKey: string, partitionKeys: readonly string[] | undefined): string {
  if (partitionKeys === undefined || partitionKeys.length === 0) return assetKey;
  if (partitionKeys.length === 1) return `${assetKey}[${partitionKeys[0]}]`;
  return `${assetKey}[${partitionKeys[0]}..${partitionKeys[partitionKeys.length - 1]}]`;
}

export function dispatchIdFor(runId: string, taskKey: string, attempt: number): string {
  return `dispatch:${runId}:${taskKey}:${attempt}`;
}

/** `att_` + 24 hex characters of SHA-256(`attempt:{dispatchId}`). */
export function attemptIdFor(dispatchId: string): string {
  return `att_${sha256Hex(`attempt:${dispatchId}`).slice(0, 24)}`;
}

export function timerIdFor(kind: TimerKind, subjectId: string, fireAtMs: number, attempt?: number): string {
  const epoch = Math.floor(fireAtMs / 1000);
  return attempt === undefined
    ? `timer:${kind}:${subjectId}:${epoch}`
    : `timer:${kind}:${subjectId}:${attempt}:${epoch}`;
}

/**
 * A queue-safe name for an internal id (Cloud Tasks task names allow `[A-Za-z0-9_-]`, 500 chars):
 * `{prefix}_` + 26 base32 characters of SHA-256(id). Deterministic, so re-creating dedupes.
 */
export function queueTaskName(prefix: 'd' | 't', internalId: string): string {
  return `${prefix}_${base32Lower(sha256Bytes(internalId)).slice(0, 26)}`;
}
