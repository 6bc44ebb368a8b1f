import type {
  AssetKeyModel,
  AssetModel,
  AssetNodeModel,
  AssetSelectionModel,
  BackfillModel,
  CodeLocationModel,
  InstigationStateModel,
  PartitionSetModel,
  PipelineModel,
  RunModel,
  ScheduleModel,
  SensorModel,
  TickModel,
} from '../resolvers/models.js';
import { builder } from './builder.js';

/**
 * References to the object types that more than one schema module uses. Each is implemented once,
 * by the module named beside it; others only point at it.
 */
export const RunRef = builder.objectRef<RunModel>('Run'); // types/run.ts
export const ScheduleRef = builder.objectRef<ScheduleModel>('Schedule'); // types/schedule.ts
export const SensorRef = builder.objectRef<SensorModel>('Sensor'); // types/sensor.ts
export const InstigationStateRef = builder.objectRef<InstigationStateModel>('InstigationState'); // types/instigation.ts
export const InstigationTickRef = builder.objectRef<TickModel>('InstigationTick'); // types/tick.ts
export const PartitionBackfillRef = builder.objectRef<BackfillModel>('PartitionBackfill'); // types/backfill.ts
/** Runs and backfills in one feed (Dagster's `RunsFeedEntry`); `Run` and `PartitionBackfill` implement it. */
export const RunsFeedEntryRef = builder.interfaceRef<RunModel | BackfillModel>('RunsFeedEntry'); // types/runs-feed.ts
export const PartitionSetRef = builder.objectRef<PartitionSetModel>('PartitionSet'); // types/partition-set.ts
export const PipelineRef = builder.objectRef<PipelineModel>('Pipeline'); // types/pipeline.ts
export const RepositoryRef = builder.objectRef<CodeLocationModel>('Repository'); // types/repository.ts
export const RepositoryLocationRef = builder.objectRef<CodeLocationModel>('RepositoryLocation'); // types/repository.ts
export const AssetNodeRef = builder.objectRef<AssetNodeModel>('AssetNode'); // types/asset.ts
export const AssetRef = builder.objectRef<AssetModel>('Asset'); // types/asset-selection.ts
export const AssetSelectionRef = builder.objectRef<AssetSelectionModel>('AssetSelection'); // types/asset-selection.ts
export const AssetKeyRef = builder.objectRef<AssetKeyModel>('AssetKey'); // types/common.ts
// Errors of launching runs and backfills (PipelineNotFoundError, RunConflict, RunConfigValidationInvalid, …)
// are exported by types/execution-errors.ts, with PIPELINE_EXECUTION_ERRORS for result unions.
