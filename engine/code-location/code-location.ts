import { z } from 'zod';
import {
  AssetKey,
  InstigatorStatus,
  Name,
  PartitionKey,
  PartitionsDefinition,
  PositiveInt,
  Tags,
} from '../model/common.js';
import {
  CatchupOrder,
  DstGapPolicy,
  DstOverlapPolicy,
  OverlapPolicy,
  SchedulePartitionSelection,
  SensorKind,
} from '../model/events/definitions.js';

/**
 * The code-location port: the user's definitions and code, as Servo sees them. Adapters: in-process
 * (embedded mode loads the module) and HTTP (`servo code-server`, see docs/code-location-protocol.md).
 * Every payload crossing the port is plain JSON and validated with the schemas below.
 */

export const AssetDefinitionSpec = z.object({
  key: AssetKey,
  partitions: PartitionsDefinition.optional(),
  dependsOn: z.array(AssetKey).max(1000).default([]),
  codeVersion: z.string().min(1).max(256).optional(),
  description: z.string().max(4096).optional(),
  groupName: Name.optional(),
  pool: Name.optional(),
  maxAttempts: PositiveInt.max(100).optional(),
  retryBackoffSeconds: PositiveInt.max(86_400).optional(),
  heartbeatTimeoutSeconds: PositiveInt.max(86_400).optional(),
  freshnessSeconds: PositiveInt.optional(),
  tags: Tags.optional(),
});
export type AssetDefinitionSpec = z.infer<typeof AssetDefinitionSpec>;

export const ScheduleDefinitionSpec = z.object({
  name: Name,
  cronSchedule: z.string().min(1).max(256),
  executionTimezone: z.string().min(1).max(64).default('UTC'),
  assetSelection: z.array(AssetKey).min(1).max(10_000),
  description: z.string().max(4096).optional(),
  catchupWindowSeconds: PositiveInt.optional(),
  maxCatchupTicks: z.number().int().min(1, 'must be at least 1').max(10_000).optional(),
  catchupOrder: CatchupOrder.optional(),
  overlapPolicy: OverlapPolicy.optional(),
  dstGapPolicy: DstGapPolicy.optional(),
  dstOverlapPolicy: DstOverlapPolicy.optional(),
  partitionSelection: SchedulePartitionSelection.optional(),
  defaultStatus: InstigatorStatus.default('RUNNING'),
  tags: Tags.optional(),
});
export type ScheduleDefinitionSpec = z.infer<typeof ScheduleDefinitionSpec>;

export const SensorDefinitionSpec = z.object({
  name: Name,
  kind: SensorKind,
  targetAssets: z.array(AssetKey).max(10_000).default([]),
  minimumIntervalSeconds: PositiveInt.max(86_400 * 7).optional(),
  defaultStatus: InstigatorStatus.default('RUNNING'),
  description: z.string().max(4096).optional(),
  /** Cap of run requests per evaluation (default: the platform limit, 100). */
  maxRunRequests: PositiveInt.max(10_000).optional(),
  evaluationTimeoutSeconds: PositiveInt.max(3600).optional(),
  tags: Tags.optional(),
});
export type SensorDefinitionSpec = z.infer<typeof SensorDefinitionSpec>;

/** Everything a code location defines, as it reports it when deployed. */
export const CodeLocationDefinitions = z.object({
  codeLocation: Name,
  codeVersion: z.string().min(1).max(256),
  assets: z.array(AssetDefinitionSpec).max(100_000),
  schedules: z.array(ScheduleDefinitionSpec).max(10_000),
  sensors: z.array(SensorDefinitionSpec).max(10_000),
});
export type CodeLocationDefinitions = z.infer<typeof CodeLocationDefinitions>;

/** A run a sensor asks for. The run key identifies the work; asking again for it requests nothing. */
export const SensorRunRequest = z.object({
  runKey: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  /** Defaults to the sensor's target assets. */
  assetSelection: z.array(AssetKey).min(1).max(10_000).optional(),
  partitionKeys: z.array(PartitionKey).max(10_000).optional(),
  tags: Tags.optional(),
});
export type SensorRunRequest = z.infer<typeof SensorRunRequest>;

/** Keys a sensor adds to or deletes from a dynamic partitions definition (before its run requests). */
export const DynamicPartitionsRequest = z.object({
  partitionsDefName: Name,
  add: z.array(PartitionKey).max(10_000).default([]),
  delete: z.array(PartitionKey).max(10_000).default([]),
});
export type DynamicPartitionsRequest = z.infer<typeof DynamicPartitionsRequest>;

export const SensorResult = z.object({
  runRequests: z.array(SensorRunRequest).default([]),
  dynamicPartitions: z.array(DynamicPartitionsRequest).max(100).default([]),
  /** The new cursor; absent keeps the cursor as it was. */
  cursor: z.string().max(65_536).nullable().optional(),
  skipReason: z.string().max(4096).optional(),
});
export type SensorResult = z.infer<typeof SensorResult>;

export interface SensorContext {
  cursor: string | null;
  lastRunKey: string | null;
  /** ISO-8601: the due time of the poll (virtual time in time-skipping mode). */
  now: string;
}

export interface PushMessage {
  messageId: string;
  /** The message body: parsed JSON when it was JSON, else the text. */
  data: unknown;
  attributes: Record<string, string>;
  publishTime?: string;
}

export interface CodeLocation {
  readonly name: string;
  /** The location's definitions and code version (what a deploy records). */
  describe(signal?: AbortSignal): Promise<CodeLocationDefinitions>;
  /** Evaluates a poll sensor from its cursor. Rejects with the user code's error. */
  evaluateSensor(sensorName: string, context: SensorContext, signal: AbortSignal): Promise<SensorResult>;
  /** Evaluates a push sensor on one message. */
  handleMessage(sensorName: string, message: PushMessage, signal: AbortSignal): Promise<SensorResult>;
}

/** The code locations a workspace knows, by name. */
export interface CodeLocationRegistry {
  get(name: string): CodeLocation | undefined;
  names(): string[];
}

export function createCodeLocationRegistry(locations: readonly CodeLocation[]): CodeLocationRegistry {
  const byName = new Map(locations.map((location) => [location.name, location]));
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()].sort(),
  };
}
