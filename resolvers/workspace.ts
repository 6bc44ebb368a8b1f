import type { AssetDefinitionRow, SensorDefinitionRow } from '../engine/projections/tables/index.js';
import { ASSET_JOB_NAME } from './assets.js';
import { type ApiContext, roleAllows } from './context.js';
import { type Typed, typed } from './errors.js';
import { instigatorsOfLocation } from './instigation.js';
import { type CodeLocationModel, type PartitionSetModel, REPOSITORY_NAME } from './models.js';
import { partitionSetsOfLocation } from './partition-sets.js';
import { requestLoader } from './request-loaders.js';
import { type RepositoryNotFoundModel, repositoryNotFound } from './schedules.js';

/**
 * The workspace as Dagster's API shows it: code locations (`WorkspaceLocationEntry`,
 * `RepositoryLocation`) each with one repository named `__repository__` holding its assets,
 * schedules and sensors. A code location is listed when it is deployed, and also when schedules
 * or sensors were defined for it through the API.
 */

/** Every code location of the workspace, by name (one read). */
export function codeLocations(context: ApiContext): CodeLocationModel[] {
  return context.reads.read((tables) => {
    const names = new Set<string>();
    for (const row of tables.codeLocations.values()) names.add(row.codeLocation);
    for (const row of tables.scheduleDefinitions.values()) names.add(row.codeLocation);
    for (const row of tables.sensorDefinitions.values()) names.add(row.codeLocation);
    return [...names].sort().map((name) => ({ name, row: tables.codeLocations.get(name) }));
  });
}

/** One code location, or undefined when none of that name is deployed or has definitions. */
export async function codeLocation(
  context: ApiContext,
  name: string,
): Promise<CodeLocationModel | undefined> {
  const [row, instigators] = await Promise.all([
    context.loaders.codeLocation.load(name),
    instigatorsOfLocation(context).load(name),
  ]);
  if (row === undefined && instigators.schedules.length === 0 && instigators.sensors.length === 0)
    return undefined;
  return { name, row };
}

/** Scope of the workspace, as `Workspace.id`. */
export function workspaceId(context: ApiContext): string {
  return `${context.workspace.scope.tenantId}/${context.workspace.scope.workspaceId}`;
}

/** When the code location or a definition in it last changed (epoch ms). */
async function changedAt(context: ApiContext, location: CodeLocationModel): Promise<number> {
  const { schedules, sensors } = await instigatorsOfLocation(context).load(location.name);
  return Math.max(
    location.row?.deployedAt ?? 0,
    ...schedules.map((row) => row.updatedAt),
    ...sensors.map((row) => row.updatedAt),
  );
}

/** When the code location or one of its schedules or sensors last changed, in epoch seconds. */
export async function updatedTimestamp(context: ApiContext, location: CodeLocationModel): Promise<number> {
  return (await changedAt(context, location)) / 1000;
}

/** Changes whenever the code location is deployed or a definition in it changes. */
export async function versionKey(context: ApiContext, location: CodeLocationModel): Promise<string> {
  return `${location.row?.codeVersion ?? 'api'}@${await changedAt(context, location)}`;
}

export function workspaceOrError(
  context: ApiContext,
): Typed<'Workspace', { id: string; locationEntries: CodeLocationModel[] }> {
  return typed('Workspace', { id: workspaceId(context), locationEntries: codeLocations(context) });
}

export function locationStatuses(
  context: ApiContext,
): Typed<'WorkspaceLocationStatusEntries', { entries: CodeLocationModel[] }> {
  return typed('WorkspaceLocationStatusEntries', { entries: codeLocations(context) });
}

/** `workspaceLocationEntryOrError(name)`: null when no code location has that name. */
export async function locationEntryOrNull(
  context: ApiContext,
  name: string,
): Promise<CodeLocationModel | null> {
  return (await codeLocation(context, name)) ?? null;
}

/** What the UI shows beside a code location: its code version, who deployed it and when. */
export function displayMetadata(location: CodeLocationModel): { key: string; value: string }[] {
  const row = location.row;
  if (row === undefined) return [{ key: 'source', value: 'schedules and sensors defined through the API' }];
  return [
    { key: 'code_version', value: row.codeVersion },
    { key: 'deployed_by', value: row.deployedBy },
    { key: 'deployed_at', value: new Date(row.deployedAt).toISOString() },
  ];
}

export interface RepositorySelectorInput {
  repositoryName: string;
  repositoryLocationName: string;
}

export async function repositoryOrError(
  context: ApiContext,
  selector: RepositorySelectorInput,
): Promise<Typed<'Repository', CodeLocationModel> | RepositoryNotFoundModel> {
  const location =
    selector.repositoryName === REPOSITORY_NAME
      ? await codeLocation(context, selector.repositoryLocationName)
      : undefined;
  return location === undefined ? repositoryNotFound(selector) : typed('Repository', { ...location });
}

/** `repositoriesOrError`: every code location's repository, or the one the selector names. */
export async function repositoriesOrError(
  context: ApiContext,
  selector: RepositorySelectorInput | null | undefined,
): Promise<Typed<'RepositoryConnection', { nodes: CodeLocationModel[] }> | RepositoryNotFoundModel> {
  if (selector == null) return typed('RepositoryConnection', { nodes: codeLocations(context) });
  const repository = await repositoryOrError(context, selector);
  return repository.__typename === 'Repository'
    ? typed('RepositoryConnection', { nodes: [repository] })
    : repository;
}

/** Asset definitions of each code location requested (one read). */
function assetsOfLocation(context: ApiContext) {
  return requestLoader<string, AssetDefinitionRow[]>(context, 'assetsOfLocation', (tables, locations) => {
    const byLocation = new Map(locations.map((location) => [location, [] as AssetDefinitionRow[]]));
    for (const row of tables.assetDefinitions.values()) byLocation.get(row.codeLocation)?.push(row);
    for (const rows of byLocation.values()) rows.sort((a, b) => (a.assetKey < b.assetKey ? -1 : 1));
    return locations.map((location) => byLocation.get(location) ?? []);
  });
}

export function repositoryAssets(
  context: ApiContext,
  location: CodeLocationModel,
): Promise<AssetDefinitionRow[]> {
  return assetsOfLocation(context).load(location.name);
}

/** The code location's one job: the implicit asset job, when it defines assets. */
export async function repositoryPipelines(
  context: ApiContext,
  location: CodeLocationModel,
): Promise<{ codeLocation: string; name: string }[]> {
  const assets = await repositoryAssets(context, location);
  return assets.length === 0 ? [] : [{ codeLocation: location.name, name: ASSET_JOB_NAME }];
}

/** A code location's sensors; all are Dagster's STANDARD type, so another `sensorType` finds none. */
export async function repositorySensors(
  context: ApiContext,
  location: CodeLocationModel,
  sensorType: string | null,
): Promise<SensorDefinitionRow[]> {
  if (sensorType !== null && sensorType !== 'STANDARD') return [];
  return (await instigatorsOfLocation(context).load(location.name)).sensors;
}

/** The code location of a job (its repository). */
export async function repositoryOf(
  context: ApiContext,
  codeLocationName: string,
): Promise<CodeLocationModel> {
  return (await codeLocation(context, codeLocationName)) ?? { name: codeLocationName, row: undefined };
}

/** The sensors of a code location by name (every one targets its implicit asset job). */
export async function sensorsOfJob(
  context: ApiContext,
  codeLocationName: string,
): Promise<SensorDefinitionRow[]> {
  return (await instigatorsOfLocation(context).load(codeLocationName)).sensors;
}

/** `Repository.partitionSets`: one per schedule whose assets share a partitions definition. */
export function repositoryPartitionSets(
  context: ApiContext,
  location: CodeLocationModel,
): Typed<'PartitionSet', PartitionSetModel>[] {
  return partitionSetsOfLocation(context, location.name).map((set) => typed('PartitionSet', { ...set }));
}

/** Operators and admins may launch and re-execute runs of the asset job; viewers may not. */
export function mayLaunchRuns(context: ApiContext): boolean {
  return roleAllows(context.principal.role, 'operator');
}
