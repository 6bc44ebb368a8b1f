import { z } from 'zod';
import { canonicalJson } from '../canonical-json.js';
import {
  Actor,
  AssetKey,
  Id,
  InstigatorStatus,
  Lane,
  Name,
  NonNegativeInt,
  PartitionKey,
  PartitionSelector,
  PartitionsDefinition,
  PositiveInt,
  Tags,
} from '../common.js';
import { defineEvent } from '../event-type.js';
import { sha256Hex } from '../hashing.js';

/** Where a definition came from: a code-location deploy, or the API (definition CRUD). */
export const DefinitionSource = z.enum(['code', 'api']);

export const CodeLocationDeployed = defineEvent({
  type: 'codelocation.deployed.v1',
  keyFormat: 'codeloc_deploy:{codeLocation}:{sha256(codeVersion, assets, schedules, sensors)}',
  dedupe: { by: 'key' },
  description:
    'A code location was deployed with this code version; its asset, schedule and sensor definitions follow in the same segment.',
  payload: z.object({
    codeLocation: Name,
    codeVersion: z.string().min(1).max(256),
    assets: z.array(AssetKey).max(100_000),
    schedules: z.array(Name).max(10_000),
    sensors: z.array(Name).max(10_000),
    deployedBy: Actor,
  }),
  idempotencyKey: (p) =>
    `codeloc_deploy:${p.codeLocation}:${sha256Hex(canonicalJson([p.codeVersion, p.assets, p.schedules, p.sensors]))}`,
});

export const AssetDefinitionUpserted = defineEvent({
  type: 'asset.definition-upserted.v1',
  keyFormat: 'asset_def:{assetKey}:{requestId}',
  dedupe: { by: 'key' },
  description: 'An asset definition was created or replaced by a deploy.',
  payload: z.object({
    assetKey: AssetKey,
    codeLocation: Name,
    codeVersion: z.string().min(1).max(256).optional(),
    partitions: PartitionsDefinition.optional(),
    dependsOn: z.array(AssetKey).max(1000),
    description: z.string().max(4096).optional(),
    groupName: Name.optional(),
    /** Concurrency pool the asset's tasks occupy (admission control). */
    pool: Name.optional(),
    maxAttempts: PositiveInt.max(100).optional(),
    retryBackoffSeconds: PositiveInt.max(86_400).optional(),
    heartbeatTimeoutSeconds: PositiveInt.max(86_400).optional(),
    /** Materializations older than this are stale (freshness policy). */
    freshnessSeconds: PositiveInt.optional(),
    tags: Tags.optional(),
    requestId: Id,
  }),
  idempotencyKey: (p) => `asset_def:${p.assetKey}:${p.requestId}`,
});

export const AssetDefinitionRemoved = defineEvent({
  type: 'asset.definition-removed.v1',
  keyFormat: 'asset_def_removed:{assetKey}:{requestId}',
  dedupe: { by: 'key' },
  description: 'A deploy no longer defines this asset.',
  payload: z.object({ assetKey: AssetKey, codeLocation: Name, requestId: Id }),
  idempotencyKey: (p) => `asset_def_removed:${p.assetKey}:${p.requestId}`,
});

export const DynamicPartitionsChanged = defineEvent({
  type: 'partitions.dynamic-changed.v1',
  keyFormat: 'dynparts:{partitionsDefName}:{requestId}',
  dedupe: { by: 'key' },
  description: 'Keys were added to or deleted from a dynamic partitions definition.',
  payload: z.object({
    partitionsDefName: Name,
    added: z.array(PartitionKey).max(100_000),
    deleted: z.array(PartitionKey).max(100_000),
    requestId: Id,
    changedBy: Actor,
  }),
  idempotencyKey: (p) => `dynparts:${p.partitionsDefName}:${p.requestId}`,
});

export const CatchupOrder = z.enum(['NEWEST_FIRST', 'OLDEST_FIRST']);
export const OverlapPolicy = z.enum(['ALLOW', 'SKIP']);
export const DstGapPolicy = z.enum(['SHIFT', 'SKIP']);
export const DstOverlapPolicy = z.enum(['LATER', 'EARLIER', 'BOTH']);

/** Which partitions each tick of a schedule requests. */
export const SchedulePartitionSelection = z.discriminatedUnion('kind', [
  /** The latest complete time window as of the tick's scheduled time (Dagster's partitioned schedules). */
  z.object({ kind: z.literal('latestWindow') }),
  z.object({ kind: z.literal('selector'), selector: PartitionSelector }),
]);

export const ScheduleDefinitionUpserted = defineEvent({
  type: 'schedule.definition-upserted.v1',
  keyFormat: 'sched_def:{scheduleId}:{requestId}',
  dedupe: { by: 'key' },
  description: 'A schedule definition was created or replaced (by a deploy or through the API).',
  payload: z.object({
    scheduleId: Id,
    codeLocation: Name,
    name: Name,
    source: DefinitionSource,
    cronSchedule: z.string().min(1).max(256),
    executionTimezone: z.string().min(1).max(64),
    assetSelection: z.array(AssetKey).min(1).max(10_000),
    description: z.string().max(4096).optional(),
    catchupWindowSeconds: PositiveInt,
    maxCatchupTicks: NonNegativeInt.max(10_000),
    catchupOrder: CatchupOrder,
    overlapPolicy: OverlapPolicy,
    dstGapPolicy: DstGapPolicy,
    dstOverlapPolicy: DstOverlapPolicy,
    partitionSelection: SchedulePartitionSelection.optional(),
    defaultStatus: InstigatorStatus,
    codeVersion: z.string().min(1).max(256).optional(),
    lane: Lane.optional(),
    tags: Tags.optional(),
    changedBy: Actor,
    /** Unique per request (API request id or deploy id), so returning to an earlier config is not deduplicated away. */
    requestId: Id,
  }),
  idempotencyKey: (p) => `sched_def:${p.scheduleId}:${p.requestId}`,
});

export const ScheduleDeleted = defineEvent({
  type: 'schedule.deleted.v1',
  keyFormat: 'sched_del:{scheduleId}:{requestId}',
  dedupe: { by: 'key' },
  description: 'A schedule definition was deleted; its tick history is kept.',
  payload: z.object({ scheduleId: Id, deletedBy: Actor, requestId: Id }),
  idempotencyKey: (p) => `sched_del:${p.scheduleId}:${p.requestId}`,
});

export const SensorKind = z.enum(['poll', 'push']);

export const SensorDefinitionUpserted = defineEvent({
  type: 'sensor.definition-upserted.v1',
  keyFormat: 'sensor_def:{sensorId}:{requestId}',
  dedupe: { by: 'key' },
  description: 'A sensor definition was created or replaced (by a deploy or through the API).',
  payload: z.object({
    sensorId: Id,
    codeLocation: Name,
    name: Name,
    source: DefinitionSource,
    kind: SensorKind,
    targetAssets: z.array(AssetKey).max(10_000),
    minimumIntervalSeconds: PositiveInt.max(86_400 * 7),
    defaultStatus: InstigatorStatus,
    description: z.string().max(4096).optional(),
    maxRunRequests: PositiveInt.max(10_000).optional(),
    evaluationTimeoutSeconds: PositiveInt.max(3600).optional(),
    codeVersion: z.string().min(1).max(256).optional(),
    lane: Lane.optional(),
    tags: Tags.optional(),
    changedBy: Actor,
    requestId: Id,
  }),
  idempotencyKey: (p) => `sensor_def:${p.sensorId}:${p.requestId}`,
});

export const SensorDeleted = defineEvent({
  type: 'sensor.deleted.v1',
  keyFormat: 'sensor_del:{sensorId}:{requestId}',
  dedupe: { by: 'key' },
  description: 'A sensor definition was deleted; its evaluation history is kept.',
  payload: z.object({ sensorId: Id, deletedBy: Actor, requestId: Id }),
  idempotencyKey: (p) => `sensor_del:${p.sensorId}:${p.requestId}`,
});
