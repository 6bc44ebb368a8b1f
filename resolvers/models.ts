import type {
  AssetDefinitionRow,
  BackfillRow,
  CodeLocationRow,
  RunRow,
  ScheduleDefinitionRow,
  ScheduleTickRow,
  SensorDefinitionRow,
  SensorEvalRow,
} from '../engine/projections/tables/index.js';

/**
 * The values behind the GraphQL object types that several schema modules share. Rows are passed
 * as they are; types that have no row of their own carry what their fields need to load the rest.
 */

/** `repositoryName` of every repository: Servo has one repository per code location. */
export const REPOSITORY_NAME = '__repository__';

/** A code location as Dagster's `RepositoryLocation` / `Repository` (the same thing here). */
export interface CodeLocationModel {
  readonly name: string;
  /** Undefined when the code location has not been deployed (yet) in this workspace. */
  readonly row: CodeLocationRow | undefined;
}

export type ScheduleModel = ScheduleDefinitionRow;
export type SensorModel = SensorDefinitionRow;

/** A schedule's or sensor's operator state (Dagster's `InstigationState`). */
export interface InstigationStateModel {
  readonly instigationType: 'SCHEDULE' | 'SENSOR';
  /** The schedule or sensor id (`{codeLocation}:{name}`). */
  readonly instigatorId: string;
  readonly codeLocation: string;
  readonly name: string;
}

/** A schedule tick or a sensor evaluation (Dagster's `InstigationTick`). */
export type TickModel =
  | { readonly instigationType: 'SCHEDULE'; readonly row: ScheduleTickRow }
  | { readonly instigationType: 'SENSOR'; readonly row: SensorEvalRow };

export type RunModel = RunRow;
export type BackfillModel = BackfillRow;

/**
 * Dagster's `PartitionSet`: the partitions of a schedule's target in Servo (its assets, which share
 * one partitions definition), named `{schedule}_partition_set` (resolvers/partition-sets.ts).
 */
export interface PartitionSetModel {
  readonly codeLocation: string;
  readonly name: string;
  readonly pipelineName: string;
  readonly assetSelection: readonly string[];
}
/** Dagster's `Pipeline` (a job): Servo's one job per code location, the implicit asset job. */
export interface PipelineModel {
  readonly codeLocation: string;
  readonly name: string;
}

export type AssetNodeModel = AssetDefinitionRow;

/** Dagster's `Asset`: an asset key, whether or not a code location defines it now. */
export interface AssetModel {
  readonly assetKey: string;
}

/** Dagster's `AssetSelection`: the assets a schedule or sensor targets, as `a/b/c` keys. */
export interface AssetSelectionModel {
  readonly assetKeys: readonly string[];
}

/** Dagster's `AssetKey`: Servo's `a/b/c` string as `path: ["a", "b", "c"]`. */
export interface AssetKeyModel {
  readonly path: string[];
}

export function assetKeyOf(key: string): AssetKeyModel {
  return { path: key.split('/') };
}

export function assetKeyString(input: { path: readonly string[] }): string {
  return input.path.join('/');
}
