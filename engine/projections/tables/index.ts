import type { TableDef } from '../table-def.js';
import { type BackfillChunkRow, type BackfillRow, backfillChunks, backfills } from './backfills.js';
import {
  type AssetDefinitionRow,
  assetDefinitions,
  type CodeLocationRow,
  codeLocations,
  type DynamicPartitionRow,
  dynamicPartitions,
  type IdempotencyKeyRow,
  idempotencyKeys,
  type PartitionStatusRow,
  partitionStatus,
  type QuarantinedMessageRow,
  quarantinedMessages,
} from './definitions.js';
import {
  type ScheduleDefinitionRow,
  type ScheduleStateRow,
  type ScheduleTickRow,
  type SensorDefinitionRow,
  type SensorEvalRow,
  type SensorStateRow,
  scheduleDefinitions,
  scheduleState,
  scheduleTicks,
  sensorDefinitions,
  sensorEvals,
  sensorState,
} from './instigators.js';
import {
  type DispatchOutboxRow,
  dispatchOutbox,
  type RunKeyConflictRow,
  type RunKeyIndexRow,
  type RunRow,
  runKeyConflicts,
  runKeyIndex,
  runs,
  type TaskRow,
  type TimerRow,
  tasks,
  timers,
} from './runs.js';

/** The row type of every table. */
export interface TableRows {
  codeLocations: CodeLocationRow;
  assetDefinitions: AssetDefinitionRow;
  dynamicPartitions: DynamicPartitionRow;
  scheduleDefinitions: ScheduleDefinitionRow;
  scheduleState: ScheduleStateRow;
  scheduleTicks: ScheduleTickRow;
  sensorDefinitions: SensorDefinitionRow;
  sensorState: SensorStateRow;
  sensorEvals: SensorEvalRow;
  runKeyIndex: RunKeyIndexRow;
  runKeyConflicts: RunKeyConflictRow;
  runs: RunRow;
  tasks: TaskRow;
  dispatchOutbox: DispatchOutboxRow;
  timers: TimerRow;
  backfills: BackfillRow;
  backfillChunks: BackfillChunkRow;
  partitionStatus: PartitionStatusRow;
  quarantinedMessages: QuarantinedMessageRow;
  idempotencyKeys: IdempotencyKeyRow;
}

/**
 * Every projection table, by the property name the fold state uses. The order is the order tables
 * appear in manifests and rebuild output.
 */
export const TABLES: { readonly [T in keyof TableRows]: TableDef<TableRows[T]> } = {
  codeLocations,
  assetDefinitions,
  dynamicPartitions,
  scheduleDefinitions,
  scheduleState,
  scheduleTicks,
  sensorDefinitions,
  sensorState,
  sensorEvals,
  runKeyIndex,
  runKeyConflicts,
  runs,
  tasks,
  dispatchOutbox,
  timers,
  backfills,
  backfillChunks,
  partitionStatus,
  quarantinedMessages,
  idempotencyKeys,
};

export type TableName = keyof TableRows;
export type RowOf<T extends TableName> = TableRows[T];

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

export * from './backfills.js';
export * from './definitions.js';
export * from './instigators.js';
export * from './runs.js';
