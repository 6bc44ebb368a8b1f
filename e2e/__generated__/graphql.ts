/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type AssetKeyInput = {
  path: Array<string>;
};

export type BackfillChunkState =
  | 'CANCELED'
  | 'FAILED'
  | 'PLANNED'
  | 'RUNNING'
  | 'SUCCEEDED';

/** Servo's backfill states: Dagster's BulkActionStatus values it uses, plus PAUSED (no new chunks are planned; running chunks finish). */
export type BackfillState =
  | 'CANCELED'
  | 'CANCELING'
  | 'COMPLETED_FAILED'
  | 'COMPLETED_SUCCESS'
  | 'FAILED'
  | 'PAUSED'
  | 'REQUESTED';

export type BulkActionStatus =
  | 'CANCELED'
  | 'CANCELING'
  | 'COMPLETED'
  | 'COMPLETED_FAILED'
  | 'COMPLETED_SUCCESS'
  | 'FAILED'
  | 'FAILING'
  | 'REQUESTED';

/** Which due times a schedule runs after downtime when more are due than `maxCatchupTicks`. */
export type CatchupOrder =
  /** Run the newest; the older ones are skipped (recorded on one SKIPPED tick). */
  | 'NEWEST_FIRST'
  /** Run the oldest now and the rest in the next evaluations. */
  | 'OLDEST_FIRST';

/** What a local due time that does not exist (spring forward) does. */
export type DstGapPolicy =
  /** Run when the gap ends. */
  | 'SHIFT'
  /** Skip that day. */
  | 'SKIP';

/** What a local due time that happens twice (fall back) does. */
export type DstOverlapPolicy =
  /** Run at both. */
  | 'BOTH'
  /** Run at the first occurrence. */
  | 'EARLIER'
  /** Run at the second occurrence. */
  | 'LATER';

export type ExecutionTag = {
  key: string;
  value: string;
};

/** A schedule or a sensor, by code location and name. */
export type InstigationSelector = {
  name: string;
  repositoryLocationName: string;
  repositoryName: string;
};

export type InstigationStatus =
  | 'RUNNING'
  | 'STOPPED';

export type InstigationTickStatus =
  | 'FAILURE'
  | 'SKIPPED'
  | 'STARTED'
  | 'SUCCESS';

export type InstigationType =
  | 'AUTO_MATERIALIZE'
  | 'SCHEDULE'
  | 'SENSOR';

export type LogLevel =
  | 'CRITICAL'
  | 'DEBUG'
  | 'ERROR'
  | 'INFO'
  | 'WARNING';

/** What a tick does while the schedule's previous run is still going. */
export type OverlapPolicy =
  /** Request the run anyway. */
  | 'ALLOW'
  /** Skip the tick, with the reason. */
  | 'SKIP';

export type PartitionDefinitionType =
  | 'DYNAMIC'
  | 'MULTIPARTITIONED'
  | 'STATIC'
  | 'TIME_WINDOW';

/** An inclusive range of partition keys, e.g. 2025-01-01 … 2025-12-31 (never expanded into a list). */
export type PartitionRangeSelector = {
  end: string;
  start: string;
};

export type PartitionRangeStatus =
  | 'FAILED'
  | 'MATERIALIZED'
  | 'MATERIALIZING';

/** Which partitions: one range, or several (merged where they overlap). Give exactly one of the two. On two-dimensional partitions a range applies to the time dimension. */
export type PartitionsSelector = {
  range?: PartitionRangeSelector | null | undefined;
  ranges?: Array<PartitionRangeSelector> | null | undefined;
};

/** A code location. `repositoryName` is always `__repository__`. */
export type RepositorySelector = {
  repositoryLocationName: string;
  repositoryName: string;
};

/** A run's status. Servo uses QUEUED (waiting for admission), STARTING, STARTED, SUCCESS, FAILURE, CANCELING and CANCELED; NOT_STARTED and MANAGED exist for clients written against Dagster. */
export type RunStatus =
  | 'CANCELED'
  | 'CANCELING'
  | 'FAILURE'
  | 'MANAGED'
  | 'NOT_STARTED'
  | 'QUEUED'
  | 'STARTED'
  | 'STARTING'
  | 'SUCCESS';

/** Which runs to list. Tags may be derived ones (dagster/schedule_name, dagster/sensor_name, dagster/backfill, dagster/partition — which matches every partition a run covers — servo/lane, servo/run_key, servo/code_location); values given for one key are alternatives, different keys must all match. Times are epoch seconds, bounds exclusive. Servo runs are all pipelineName __ASSET_JOB, mode default, and have no snapshot (a snapshotId matches none). */
export type RunsFilter = {
  createdAfter?: number | null | undefined;
  createdBefore?: number | null | undefined;
  mode?: string | null | undefined;
  pipelineName?: string | null | undefined;
  runIds?: Array<string | null | undefined> | null | undefined;
  snapshotId?: string | null | undefined;
  statuses?: Array<RunStatus> | null | undefined;
  tags?: Array<ExecutionTag> | null | undefined;
  updatedAfter?: number | null | undefined;
  updatedBefore?: number | null | undefined;
};

/** A schedule defined through the API. Defaults: catch-up window and ticks from the platform limits, NEWEST_FIRST, ALLOW, SHIFT, LATER, RUNNING; no partitionSelection means the latest complete window of partitioned assets. */
export type ScheduleDefinitionInput = {
  assetSelection: Array<AssetKeyInput>;
  catchupOrder?: CatchupOrder | null | undefined;
  catchupWindowSeconds?: number | null | undefined;
  /** Unix cron, 5 fields or 6 (with seconds). */
  cronSchedule: string;
  defaultStatus?: InstigationStatus | null | undefined;
  description?: string | null | undefined;
  dstGapPolicy?: DstGapPolicy | null | undefined;
  dstOverlapPolicy?: DstOverlapPolicy | null | undefined;
  /** An IANA time zone, e.g. Europe/Paris. */
  executionTimezone: string;
  maxCatchupTicks?: number | null | undefined;
  name: string;
  overlapPolicy?: OverlapPolicy | null | undefined;
  partitionSelection?: PartitionsSelector | null | undefined;
  repositoryLocationName: string;
};

export type StaleCauseCategory =
  | 'CODE'
  | 'DATA'
  | 'DEPENDENCIES';

export type StaleStatus =
  | 'FRESH'
  | 'MISSING'
  | 'STALE';

export type StepEventStatus =
  | 'FAILURE'
  | 'IN_PROGRESS'
  | 'SKIPPED'
  | 'SUCCESS';

export type SchedulesWithLatestTicksQueryVariables = Exact<{
  location: RepositorySelector;
}>;


export type SchedulesWithLatestTicksQuery = { schedulesOrError:
    | { __typename: 'PythonError' }
    | { __typename: 'RepositoryNotFoundError', message: string }
    | { __typename: 'Schedules', results: Array<{ id: string, name: string, cronSchedule: string, executionTimezone: string | null, scheduleState: { status: InstigationStatus, ticks: Array<{ id: string, status: InstigationTickStatus, timestamp: number, skipReason: string | null, error: { message: string } | null, runs: Array<{ runId: string, status: RunStatus }> }> }, futureTicks: { results: Array<{ timestamp: number | null }> } }> }
   };

export type ScheduleTickHistoryQueryVariables = Exact<{
  schedule: InstigationSelector;
  statuses?: Array<InstigationTickStatus> | InstigationTickStatus | null | undefined;
  cursor?: string | null | undefined;
}>;


export type ScheduleTickHistoryQuery = { instigationStateOrError:
    | { __typename: 'InstigationState', name: string, instigationType: InstigationType, status: InstigationStatus, nextTick: { timestamp: number | null } | null, ticks: Array<{ id: string, status: InstigationTickStatus, timestamp: number, endTimestamp: number | null, runKeys: Array<string>, requestedAssetMaterializationCount: number, skipReason: string | null, error: { message: string } | null }> }
    | { __typename: 'InstigationStateNotFoundError', message: string }
    | { __typename: 'PythonError' }
   };

export type DefineScheduleMutationVariables = Exact<{
  input: ScheduleDefinitionInput;
}>;


export type DefineScheduleMutation = { upsertSchedule:
    | { __typename: 'InvalidDefinitionError', message: string }
    | { __typename: 'PythonError' }
    | { __typename: 'Schedule', id: string, cronSchedule: string, executionTimezone: string | null, scheduleState: { status: InstigationStatus, nextTick: { timestamp: number | null } | null } }
    | { __typename: 'UnauthorizedError', message: string }
   };

export type RecentRunsQueryVariables = Exact<{
  filter?: RunsFilter | null | undefined;
  cursor?: string | null | undefined;
}>;


export type RecentRunsQuery = { runsOrError:
    | { __typename: 'InvalidPipelineRunsFilterError', message: string }
    | { __typename: 'PythonError' }
    | { __typename: 'Runs', count: number | null, results: Array<{ runId: string, status: RunStatus, creationTime: number, endTime: number | null, queuePosition: number | null, queueReason: string | null, tags: Array<{ key: string, value: string }>, stepStats: Array<{ stepKey: string, status: StepEventStatus | null, attempts: Array<{ startTime: number | null, endTime: number | null }> }> }> }
  , automationHealth: { status: string, oldestPendingAgeSeconds: number | null, compactionLagSegments: number, runKeyConflicts: number, quarantinedMessages: number, lanes: Array<{ lane: string, queuedRuns: number, pendingRequests: number }> } };

export type AssetPartitionsQueryVariables = Exact<{
  assetKey: AssetKeyInput;
}>;


export type AssetPartitionsQuery = { assetNodes: Array<{ id: string, groupName: string, staleStatus: StaleStatus | null, partitionDefinition: { type: PartitionDefinitionType, description: string, dimensionTypes: Array<{ name: string, type: PartitionDefinitionType, dynamicPartitionsDefinitionName: string | null }> } | null, partitionKeyConnection: { results: Array<string>, hasMore: boolean, cursor: string } | null, partitionStats: { numPartitions: number, numMaterialized: number, numFailed: number, numMaterializing: number } | null, assetPartitionStatuses:
      | { __typename: 'DefaultPartitionStatuses', materializedPartitions: Array<string>, failedPartitions: Array<string>, materializingPartitions: Array<string>, unmaterializedPartitions: Array<string> }
      | { __typename: 'MultiPartitionStatuses' }
      | { __typename: 'TimePartitionStatuses', ranges: Array<{ startKey: string, endKey: string, status: PartitionRangeStatus }> }
    , staleCauses: Array<{ category: StaleCauseCategory, reason: string, dependency: { path: Array<string> } | null }>, latestRunForPartition: { runId: string, status: RunStatus } | null }> };

export type WatchAssetPartitionsSubscriptionVariables = Exact<{
  assetKey: AssetKeyInput;
}>;


export type WatchAssetPartitionsSubscription = { assetPartitionStatus: { timestamp: number, partitionKeys: Array<string>, partitionStats: { numMaterialized: number, numFailed: number, numMaterializing: number } | null, assetPartitionStatuses:
      | { materializedPartitions: Array<string>, failedPartitions: Array<string>, materializingPartitions: Array<string> }
      | { ranges: Array<{ startKey: string, endKey: string, status: PartitionRangeStatus }> }
      | Record<PropertyKey, never>
     } };

export type BackfillExampleLaunchMutationVariables = Exact<{ [key: string]: never; }>;


export type BackfillExampleLaunchMutation = { launchPartitionBackfill:
    | { __typename: 'ConflictingExecutionParamsError', message: string }
    | { __typename: 'InvalidOutputError' }
    | { __typename: 'InvalidStepError' }
    | { __typename: 'InvalidSubsetError', message: string }
    | { __typename: 'LaunchBackfillSuccess', backfillId: string }
    | { __typename: 'NoModeProvidedError', message: string }
    | { __typename: 'PartitionKeysNotFoundError', message: string }
    | { __typename: 'PartitionSetNotFoundError', message: string }
    | { __typename: 'PipelineNotFoundError', message: string }
    | { __typename: 'PresetNotFoundError', message: string }
    | { __typename: 'PythonError', message: string }
    | { __typename: 'RunConfigValidationInvalid' }
    | { __typename: 'RunConflict', message: string }
    | { __typename: 'UnauthorizedError', message: string }
   };

export type BackfillExampleProgressQueryVariables = Exact<{
  backfillId: string;
}>;


export type BackfillExampleProgressQuery = { partitionBackfillOrError:
    | { __typename: 'BackfillNotFoundError', message: string }
    | { __typename: 'PartitionBackfill', id: string, title: string | null, status: BulkActionStatus, state: BackfillState, numPartitions: number | null, counts: { materializedPartitions: number, failedPartitions: number, inProgressPartitions: number, notRequestedPartitions: number, runningChunks: number }, partitionsTargetedForAssetKey: { ranges: Array<{ start: string, end: string }> | null } | null, assetBackfillData: { assetBackfillStatuses: Array<
          | { numPartitionsTargeted: number, numPartitionsInProgress: number, numPartitionsMaterialized: number, numPartitionsFailed: number, assetKey: { path: Array<string> } }
          | Record<PropertyKey, never>
        > } | null, chunks: Array<{ chunkIndex: number, state: BackfillChunkState, firstPartition: string | null, lastPartition: string | null, runId: string }>, logEvents: { events: Array<{ timestamp: string, level: LogLevel, message: string }> } }
    | { __typename: 'PythonError', message: string }
   };

export type BackfillExampleFollowSubscriptionVariables = Exact<{
  backfillId: string;
}>;


export type BackfillExampleFollowSubscription = { backfillProgress: { id: string, state: BackfillState, counts: { materializedPartitions: number, failedPartitions: number, totalPartitions: number } } };

export type BackfillExamplePauseMutationVariables = Exact<{
  backfillId: string;
}>;


export type BackfillExamplePauseMutation = { pausePartitionBackfill:
    | { __typename: 'BackfillNotFoundError', message: string }
    | { __typename: 'PauseBackfillSuccess' }
    | { __typename: 'PythonError', message: string }
    | { __typename: 'UnauthorizedError', message: string }
   };

export type BackfillExampleResumeMutationVariables = Exact<{
  backfillId: string;
}>;


export type BackfillExampleResumeMutation = { resumePartitionBackfill:
    | { __typename: 'PythonError', message: string }
    | { __typename: 'ResumeBackfillSuccess' }
    | { __typename: 'UnauthorizedError', message: string }
   };

export type BackfillExampleCancelMutationVariables = Exact<{
  backfillId: string;
}>;


export type BackfillExampleCancelMutation = { cancelPartitionBackfill:
    | { __typename: 'CancelBackfillSuccess' }
    | { __typename: 'PythonError', message: string }
    | { __typename: 'UnauthorizedError', message: string }
   };

export type BackfillExampleRetryFailedMutationVariables = Exact<{
  backfillId: string;
}>;


export type BackfillExampleRetryFailedMutation = { reexecutePartitionBackfill:
    | { __typename: 'ConflictingExecutionParamsError', message: string }
    | { __typename: 'InvalidOutputError' }
    | { __typename: 'InvalidStepError' }
    | { __typename: 'InvalidSubsetError', message: string }
    | { __typename: 'LaunchBackfillSuccess', backfillId: string }
    | { __typename: 'NoModeProvidedError', message: string }
    | { __typename: 'PartitionKeysNotFoundError', message: string }
    | { __typename: 'PartitionSetNotFoundError', message: string }
    | { __typename: 'PipelineNotFoundError', message: string }
    | { __typename: 'PresetNotFoundError', message: string }
    | { __typename: 'PythonError', message: string }
    | { __typename: 'RunConfigValidationInvalid' }
    | { __typename: 'RunConflict', message: string }
    | { __typename: 'UnauthorizedError', message: string }
   };


export const SchedulesWithLatestTicksDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SchedulesWithLatestTicks"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"location"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RepositorySelector"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"schedulesOrError"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"repositorySelector"},"value":{"kind":"Variable","name":{"kind":"Name","value":"location"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Schedules"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"results"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"cronSchedule"}},{"kind":"Field","name":{"kind":"Name","value":"executionTimezone"}},{"kind":"Field","name":{"kind":"Name","value":"scheduleState"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"ticks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"skipReason"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"runs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"futureTicks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"results"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RepositoryNotFoundError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<SchedulesWithLatestTicksQuery, SchedulesWithLatestTicksQueryVariables>;
export const ScheduleTickHistoryDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ScheduleTickHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"schedule"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"InstigationSelector"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"statuses"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"InstigationTickStatus"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"cursor"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instigationStateOrError"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instigationSelector"},"value":{"kind":"Variable","name":{"kind":"Name","value":"schedule"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstigationState"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"instigationType"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"nextTick"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}},{"kind":"Field","name":{"kind":"Name","value":"ticks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"10"}},{"kind":"Argument","name":{"kind":"Name","value":"statuses"},"value":{"kind":"Variable","name":{"kind":"Name","value":"statuses"}}},{"kind":"Argument","name":{"kind":"Name","value":"cursor"},"value":{"kind":"Variable","name":{"kind":"Name","value":"cursor"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"endTimestamp"}},{"kind":"Field","name":{"kind":"Name","value":"runKeys"}},{"kind":"Field","name":{"kind":"Name","value":"requestedAssetMaterializationCount"}},{"kind":"Field","name":{"kind":"Name","value":"skipReason"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstigationStateNotFoundError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ScheduleTickHistoryQuery, ScheduleTickHistoryQueryVariables>;
export const DefineScheduleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DefineSchedule"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ScheduleDefinitionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upsertSchedule"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Schedule"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"cronSchedule"}},{"kind":"Field","name":{"kind":"Name","value":"executionTimezone"}},{"kind":"Field","name":{"kind":"Name","value":"scheduleState"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"nextTick"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidDefinitionError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UnauthorizedError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DefineScheduleMutation, DefineScheduleMutationVariables>;
export const RecentRunsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RecentRuns"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"RunsFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"cursor"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runsOrError"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"10"}},{"kind":"Argument","name":{"kind":"Name","value":"cursor"},"value":{"kind":"Variable","name":{"kind":"Name","value":"cursor"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Runs"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"results"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"creationTime"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}},{"kind":"Field","name":{"kind":"Name","value":"tags"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}},{"kind":"Field","name":{"kind":"Name","value":"queuePosition"}},{"kind":"Field","name":{"kind":"Name","value":"queueReason"}},{"kind":"Field","name":{"kind":"Name","value":"stepStats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stepKey"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startTime"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}}]}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidPipelineRunsFilterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"automationHealth"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"oldestPendingAgeSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"compactionLagSegments"}},{"kind":"Field","name":{"kind":"Name","value":"runKeyConflicts"}},{"kind":"Field","name":{"kind":"Name","value":"quarantinedMessages"}},{"kind":"Field","name":{"kind":"Name","value":"lanes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lane"}},{"kind":"Field","name":{"kind":"Name","value":"queuedRuns"}},{"kind":"Field","name":{"kind":"Name","value":"pendingRequests"}}]}}]}}]}}]} as unknown as DocumentNode<RecentRunsQuery, RecentRunsQueryVariables>;
export const AssetPartitionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AssetPartitions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"assetKey"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AssetKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"assetNodes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"assetKeys"},"value":{"kind":"ListValue","values":[{"kind":"Variable","name":{"kind":"Name","value":"assetKey"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"groupName"}},{"kind":"Field","name":{"kind":"Name","value":"partitionDefinition"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"dimensionTypes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"dynamicPartitionsDefinitionName"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"partitionKeyConnection"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"5"}},{"kind":"Argument","name":{"kind":"Name","value":"ascending"},"value":{"kind":"BooleanValue","value":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"results"}},{"kind":"Field","name":{"kind":"Name","value":"hasMore"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"partitionStats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"numPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"numMaterialized"}},{"kind":"Field","name":{"kind":"Name","value":"numFailed"}},{"kind":"Field","name":{"kind":"Name","value":"numMaterializing"}}]}},{"kind":"Field","name":{"kind":"Name","value":"assetPartitionStatuses"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TimePartitionStatuses"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ranges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startKey"}},{"kind":"Field","name":{"kind":"Name","value":"endKey"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DefaultPartitionStatuses"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"materializedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"failedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"materializingPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"unmaterializedPartitions"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"staleStatus"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"partition"},"value":{"kind":"StringValue","value":"2026-11-19","block":false}}]},{"kind":"Field","name":{"kind":"Name","value":"staleCauses"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"partition"},"value":{"kind":"StringValue","value":"2026-11-19","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"dependency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"latestRunForPartition"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"partition"},"value":{"kind":"StringValue","value":"2026-11-19","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<AssetPartitionsQuery, AssetPartitionsQueryVariables>;
export const WatchAssetPartitionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"WatchAssetPartitions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"assetKey"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AssetKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"assetPartitionStatus"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"assetKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"assetKey"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"partitionKeys"}},{"kind":"Field","name":{"kind":"Name","value":"partitionStats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"numMaterialized"}},{"kind":"Field","name":{"kind":"Name","value":"numFailed"}},{"kind":"Field","name":{"kind":"Name","value":"numMaterializing"}}]}},{"kind":"Field","name":{"kind":"Name","value":"assetPartitionStatuses"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TimePartitionStatuses"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ranges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startKey"}},{"kind":"Field","name":{"kind":"Name","value":"endKey"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DefaultPartitionStatuses"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"materializedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"failedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"materializingPartitions"}}]}}]}}]}}]}}]} as unknown as DocumentNode<WatchAssetPartitionsSubscription, WatchAssetPartitionsSubscriptionVariables>;
export const BackfillExampleLaunchDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"BackfillExampleLaunch"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"launchPartitionBackfill"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"backfillParams"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"partitionsByAssets"},"value":{"kind":"ListValue","values":[{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"assetKey"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"path"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"sales","block":false},{"kind":"StringValue","value":"raw_orders","block":false}]}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"partitions"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"range"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"start"},"value":{"kind":"StringValue","value":"2026-10-01","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"end"},"value":{"kind":"StringValue","value":"2026-10-31","block":false}}]}}]}}]},{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"assetKey"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"path"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"sales","block":false},{"kind":"StringValue","value":"cleaned_orders","block":false}]}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"partitions"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"range"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"start"},"value":{"kind":"StringValue","value":"2026-10-01","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"end"},"value":{"kind":"StringValue","value":"2026-10-31","block":false}}]}}]}}]}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"title"},"value":{"kind":"StringValue","value":"October orders","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"chunkSize"},"value":{"kind":"IntValue","value":"5"}},{"kind":"ObjectField","name":{"kind":"Name","value":"maxConcurrentRuns"},"value":{"kind":"IntValue","value":"2"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LaunchBackfillSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"backfillId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<BackfillExampleLaunchMutation, BackfillExampleLaunchMutationVariables>;
export const BackfillExampleProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"BackfillExampleProgress"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"partitionBackfillOrError"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"backfillId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PartitionBackfill"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"numPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"counts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"materializedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"failedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"inProgressPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"notRequestedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"runningChunks"}}]}},{"kind":"Field","name":{"kind":"Name","value":"partitionsTargetedForAssetKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"assetKey"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"path"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"sales","block":false},{"kind":"StringValue","value":"raw_orders","block":false}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ranges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"end"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"assetBackfillData"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"assetBackfillStatuses"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AssetPartitionsStatusCounts"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"assetKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}}]}},{"kind":"Field","name":{"kind":"Name","value":"numPartitionsTargeted"}},{"kind":"Field","name":{"kind":"Name","value":"numPartitionsInProgress"}},{"kind":"Field","name":{"kind":"Name","value":"numPartitionsMaterialized"}},{"kind":"Field","name":{"kind":"Name","value":"numPartitionsFailed"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"chunks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"chunkIndex"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"firstPartition"}},{"kind":"Field","name":{"kind":"Name","value":"lastPartition"}},{"kind":"Field","name":{"kind":"Name","value":"runId"}}]}},{"kind":"Field","name":{"kind":"Name","value":"logEvents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"events"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<BackfillExampleProgressQuery, BackfillExampleProgressQueryVariables>;
export const BackfillExampleFollowDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"BackfillExampleFollow"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"backfillProgress"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"backfillId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"counts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"materializedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"failedPartitions"}},{"kind":"Field","name":{"kind":"Name","value":"totalPartitions"}}]}}]}}]}}]} as unknown as DocumentNode<BackfillExampleFollowSubscription, BackfillExampleFollowSubscriptionVariables>;
export const BackfillExamplePauseDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"BackfillExamplePause"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pausePartitionBackfill"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"backfillId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<BackfillExamplePauseMutation, BackfillExamplePauseMutationVariables>;
export const BackfillExampleResumeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"BackfillExampleResume"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resumePartitionBackfill"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"backfillId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<BackfillExampleResumeMutation, BackfillExampleResumeMutationVariables>;
export const BackfillExampleCancelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"BackfillExampleCancel"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelPartitionBackfill"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"backfillId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<BackfillExampleCancelMutation, BackfillExampleCancelMutationVariables>;
export const BackfillExampleRetryFailedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"BackfillExampleRetryFailed"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reexecutePartitionBackfill"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"reexecutionParams"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"parentRunId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"backfillId"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"strategy"},"value":{"kind":"EnumValue","value":"FROM_FAILURE"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LaunchBackfillSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"backfillId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<BackfillExampleRetryFailedMutation, BackfillExampleRetryFailedMutationVariables>;