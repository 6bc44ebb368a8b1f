import type { PartitionsDefinition } from '../../model/common.js';
import { compositeKey, defineTable } from '../table-def.js';

export interface CodeLocationRow {
  codeLocation: string;
  codeVersion: string;
  assets: string[];
  schedules: string[];
  sensors: string[];
  deployedBy: string;
  deployedAt: number;
  rowVersion: string;
}

export const codeLocations = defineTable<CodeLocationRow>(
  'code_locations',
  1,
  {
    codeLocation: 'utf8',
    codeVersion: 'utf8',
    assets: 'json',
    schedules: 'json',
    sensors: 'json',
    deployedBy: 'utf8',
    deployedAt: 'timestamp',
    rowVersion: 'utf8',
  },
  (row) => row.codeLocation,
);

export interface AssetDefinitionRow {
  assetKey: string;
  codeLocation: string;
  codeVersion: string | null;
  partitions: PartitionsDefinition | null;
  dependsOn: string[];
  description: string | null;
  groupName: string | null;
  pool: string | null;
  maxAttempts: number | null;
  retryBackoffSeconds: number | null;
  heartbeatTimeoutSeconds: number | null;
  freshnessSeconds: number | null;
  tags: Record<string, string> | null;
  updatedAt: number;
  rowVersion: string;
}

export const assetDefinitions = defineTable<AssetDefinitionRow>(
  'asset_definitions',
  1,
  {
    assetKey: 'utf8',
    codeLocation: 'utf8',
    codeVersion: 'utf8?',
    partitions: 'json?',
    dependsOn: 'json',
    description: 'utf8?',
    groupName: 'utf8?',
    pool: 'utf8?',
    maxAttempts: 'int32?',
    retryBackoffSeconds: 'int32?',
    heartbeatTimeoutSeconds: 'int32?',
    freshnessSeconds: 'int32?',
    tags: 'json?',
    updatedAt: 'timestamp',
    rowVersion: 'utf8',
  },
  (row) => row.assetKey,
);

export interface DynamicPartitionRow {
  partitionsDefName: string;
  partitionKey: string;
  addedAt: number;
  rowVersion: string;
}

export const dynamicPartitions = defineTable<DynamicPartitionRow>(
  'dynamic_partitions',
  1,
  { partitionsDefName: 'utf8', partitionKey: 'utf8', addedAt: 'timestamp', rowVersion: 'utf8' },
  (row) => compositeKey(row.partitionsDefName, row.partitionKey),
);

export interface PartitionStatusRow {
  assetKey: string;
  /** `''` for an unpartitioned asset. */
  partitionKey: string;
  lastMaterializationRunId: string | null;
  lastMaterializationAt: number | null;
  lastMaterializationCodeVersion: string | null;
  lastMaterializationMetadata: Record<string, unknown> | null;
  lastAttemptRunId: string | null;
  lastAttemptAt: number | null;
  /** SUCCEEDED, FAILED or CANCELED. */
  lastAttemptOutcome: string | null;
  /** The non-terminal run that plans to materialize this partition, if any (MATERIALIZING). */
  inFlightRunId: string | null;
  rowVersion: string;
}

export const partitionStatus = defineTable<PartitionStatusRow>(
  'partition_status',
  1,
  {
    assetKey: 'utf8',
    partitionKey: 'utf8',
    lastMaterializationRunId: 'utf8?',
    lastMaterializationAt: 'timestamp?',
    lastMaterializationCodeVersion: 'utf8?',
    lastMaterializationMetadata: 'json?',
    lastAttemptRunId: 'utf8?',
    lastAttemptAt: 'timestamp?',
    lastAttemptOutcome: 'utf8?',
    inFlightRunId: 'utf8?',
    rowVersion: 'utf8',
  },
  (row) => compositeKey(row.assetKey, row.partitionKey),
);

export interface IdempotencyKeyRow {
  idempotencyKey: string;
  eventId: string;
  eventType: string;
  recordedAt: number;
}

export const idempotencyKeys = defineTable<IdempotencyKeyRow>(
  'idempotency_keys',
  1,
  { idempotencyKey: 'utf8', eventId: 'utf8', eventType: 'utf8', recordedAt: 'timestamp' },
  (row) => row.idempotencyKey,
);

export interface QuarantinedMessageRow {
  quarantineId: string;
  sensorName: string | null;
  messageId: string | null;
  reason: string;
  receivedAt: number;
  bodyBase64: string | null;
  sizeBytes: number;
  replayedAt: number | null;
  replayedBy: string | null;
  replayOutcome: string | null;
  rowVersion: string;
}

export const quarantinedMessages = defineTable<QuarantinedMessageRow>(
  'quarantined_messages',
  1,
  {
    quarantineId: 'utf8',
    sensorName: 'utf8?',
    messageId: 'utf8?',
    reason: 'utf8',
    receivedAt: 'timestamp',
    bodyBase64: 'utf8?',
    sizeBytes: 'int32',
    replayedAt: 'timestamp?',
    replayedBy: 'utf8?',
    replayOutcome: 'utf8?',
    rowVersion: 'utf8',
  },
  (row) => row.quarantineId,
);
