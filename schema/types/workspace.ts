import type { CodeLocationModel } from '../../resolvers/models.js';
import {
  displayMetadata,
  locationEntryOrNull,
  locationStatuses,
  updatedTimestamp,
  versionKey,
  workspaceOrError,
} from '../../resolvers/workspace.js';
import { builder } from '../builder.js';
import { RepositoryLocationRef } from '../refs.js';
import { RepositoryMetadata } from './common.js';
import { PythonError } from './errors.js';

/**
 * Dagster's `Workspace`: the code locations (`WorkspaceLocationEntry`) with their load status.
 * Servo's code locations are deployed, not loaded: every one listed is LOADED.
 */

const RepositoryLocationLoadStatus = builder.enumType('RepositoryLocationLoadStatus', {
  values: ['LOADING', 'LOADED'] as const,
});

const DefinitionsSource = builder.enumType('DefinitionsSource', {
  values: ['CODE_SERVER', 'CONNECTION'] as const,
});

export const FeatureFlag = builder.objectRef<{ name: string; enabled: boolean }>('FeatureFlag').implement({
  fields: (t) => ({ name: t.exposeString('name'), enabled: t.exposeBoolean('enabled') }),
});

const RepositoryLocationOrLoadError = builder.unionType('RepositoryLocationOrLoadError', {
  types: [RepositoryLocationRef, PythonError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'RepositoryLocation',
});

const WorkspaceLocationEntry = builder.objectRef<CodeLocationModel>('WorkspaceLocationEntry').implement({
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'name' in value && 'row' in value,
  fields: (t) => ({
    id: t.id({ resolve: (location) => location.name }),
    name: t.exposeString('name'),
    locationOrLoadError: t.field({
      type: RepositoryLocationOrLoadError,
      nullable: true,
      resolve: (location) => location,
    }),
    loadStatus: t.field({ type: RepositoryLocationLoadStatus, resolve: () => 'LOADED' as const }),
    displayMetadata: t.field({
      type: [RepositoryMetadata],
      resolve: (location) => displayMetadata(location),
    }),
    updatedTimestamp: t.float({
      description:
        'When it was last deployed (or, with no deploy, when its newest API definition changed), epoch seconds.',
      resolve: (location, _args, context) => updatedTimestamp(context, location),
    }),
    versionKey: t.string({
      description: 'Changes whenever the code location or its definitions change.',
      resolve: (location, _args, context) => versionKey(context, location),
    }),
    featureFlags: t.field({ type: [FeatureFlag], resolve: () => [] }),
    definitionsSource: t.field({ type: DefinitionsSource, resolve: () => 'CODE_SERVER' as const }),
  }),
});

const WorkspaceLocationStatusEntry = builder
  .objectRef<CodeLocationModel>('WorkspaceLocationStatusEntry')
  .implement({
    fields: (t) => ({
      id: t.id({ resolve: (location) => location.name }),
      name: t.exposeString('name'),
      loadStatus: t.field({ type: RepositoryLocationLoadStatus, resolve: () => 'LOADED' as const }),
      updateTimestamp: t.float({
        resolve: (location, _args, context) => updatedTimestamp(context, location),
      }),
      versionKey: t.string({ resolve: (location, _args, context) => versionKey(context, location) }),
    }),
  });

const Workspace = builder
  .objectRef<{ __typename: 'Workspace'; id: string; locationEntries: CodeLocationModel[] }>('Workspace')
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'Workspace',
    fields: (t) => ({
      id: t.exposeString('id', { description: 'The workspace, `{tenant}/{workspace}`.' }),
      locationEntries: t.field({
        type: [WorkspaceLocationEntry],
        resolve: (workspace) => workspace.locationEntries,
      }),
    }),
  });

const WorkspaceOrError = builder.unionType('WorkspaceOrError', {
  types: [Workspace, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

const WorkspaceLocationEntryOrError = builder.unionType('WorkspaceLocationEntryOrError', {
  types: [WorkspaceLocationEntry, PythonError],
  resolveType: (value) => (value as { __typename?: string }).__typename ?? 'WorkspaceLocationEntry',
});

const WorkspaceLocationStatusEntries = builder
  .objectRef<{ __typename: 'WorkspaceLocationStatusEntries'; entries: CodeLocationModel[] }>(
    'WorkspaceLocationStatusEntries',
  )
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'WorkspaceLocationStatusEntries',
    fields: (t) => ({
      entries: t.field({ type: [WorkspaceLocationStatusEntry], resolve: (page) => page.entries }),
    }),
  });

const WorkspaceLocationStatusEntriesOrError = builder.unionType('WorkspaceLocationStatusEntriesOrError', {
  types: [WorkspaceLocationStatusEntries, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

builder.queryField('workspaceOrError', (t) =>
  t.field({
    type: WorkspaceOrError,
    description:
      'Every code location: deployed ones, and those only schedules or sensors defined through the API name.',
    resolve: (_root, _args, context) => workspaceOrError(context),
  }),
);

builder.queryField('locationStatusesOrError', (t) =>
  t.field({
    type: WorkspaceLocationStatusEntriesOrError,
    resolve: (_root, _args, context) => locationStatuses(context),
  }),
);

builder.queryField('workspaceLocationEntryOrError', (t) =>
  t.field({
    type: WorkspaceLocationEntryOrError,
    nullable: true,
    description: 'One code location by name; null when there is none of that name.',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => locationEntryOrNull(context, args.name),
  }),
);
