import type {
  AssetKeyModel,
  AssetNodeModel,
  BackfillModel,
  CodeLocationModel,
  InstigationStateModel,
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
export const InstigationTickRef = builder.objectRef<TickModel>('InstigationTick'); // types/instigation.ts
export const PartitionBackfillRef = builder.objectRef<BackfillModel>('PartitionBackfill'); // types/backfill.ts
export const RepositoryRef = builder.objectRef<CodeLocationModel>('Repository'); // types/repository.ts
export const RepositoryLocationRef = builder.objectRef<CodeLocationModel>('RepositoryLocation'); // types/repository.ts
export const AssetNodeRef = builder.objectRef<AssetNodeModel>('AssetNode'); // types/asset.ts
export const AssetKeyRef = builder.objectRef<AssetKeyModel>('AssetKey'); // types/common.ts
