import {
  assetDefinitionOf,
  assetOrError,
  assetSelectionString,
  assetsOf,
  assetsOrError,
  hasDefinitionOrRecord,
} from '../../resolvers/assets.js';
import { assetKeyOf, assetKeyString } from '../../resolvers/models.js';
import { builder } from '../builder.js';
import { AssetKeyRef, AssetNodeRef, AssetRef, AssetSelectionRef } from '../refs.js';
import { AssetKeyInput } from './common.js';
import { errorType, PythonError } from './errors.js';

/**
 * Dagster's `Asset` (an asset key with or without a definition), `AssetSelection` (the assets a
 * schedule or sensor targets) and the root fields that look assets up by key.
 */

AssetRef.implement({
  description: 'An asset key; `definition` is its definition when a deployed code location has one.',
  fields: (t) => ({
    id: t.string({ resolve: (asset) => asset.assetKey }),
    key: t.field({ type: AssetKeyRef, resolve: (asset) => assetKeyOf(asset.assetKey) }),
    definition: t.field({
      type: AssetNodeRef,
      nullable: true,
      resolve: (asset, _args, context) => assetDefinitionOf(context, asset.assetKey),
    }),
    hasDefinitionOrRecord: t.boolean({
      resolve: (asset, _args, context) => hasDefinitionOrRecord(context, asset.assetKey),
    }),
  }),
});

export const AssetNotFoundError = errorType('AssetNotFoundError', [], {
  description: 'No code location defines the asset and Servo has no record of it.',
});

const AssetConnection = builder
  .objectRef<{ __typename: 'AssetConnection'; nodes: { assetKey: string }[]; cursor: string | null }>(
    'AssetConnection',
  )
  .implement({
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'AssetConnection',
    fields: (t) => ({
      nodes: t.field({ type: [AssetRef], resolve: (connection) => connection.nodes }),
      cursor: t.string({
        nullable: true,
        description: 'Pass back as `cursor` for the next page; null on the last page.',
        resolve: (connection) => connection.cursor,
      }),
    }),
  });

export const AssetsOrError = builder.unionType('AssetsOrError', {
  types: [AssetConnection, PythonError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

export const AssetOrError = builder.unionType('AssetOrError', {
  types: [AssetRef, AssetNotFoundError],
  resolveType: (value) => (value as { __typename: string }).__typename,
});

AssetSelectionRef.implement({
  description: 'The assets a schedule or sensor materializes.',
  fields: (t) => ({
    assetSelectionString: t.string({
      nullable: true,
      description: 'The selection in the asset selection syntax, e.g. `key:"sales/raw_orders"`.',
      resolve: (selection) => assetSelectionString(selection.assetKeys),
    }),
    assetKeys: t.field({
      type: [AssetKeyRef],
      resolve: (selection) => selection.assetKeys.map(assetKeyOf),
    }),
    assets: t.field({ type: [AssetRef], resolve: (selection) => assetsOf(selection.assetKeys) }),
    assetsOrError: t.field({
      type: AssetsOrError,
      resolve: (selection) => ({
        __typename: 'AssetConnection' as const,
        nodes: assetsOf(selection.assetKeys),
        cursor: null,
      }),
    }),
  }),
});

builder.queryField('assetOrError', (t) =>
  t.field({
    type: AssetOrError,
    args: { assetKey: t.arg({ type: AssetKeyInput, required: true }) },
    resolve: (_root, args, context) => assetOrError(context, assetKeyString(args.assetKey)),
  }),
);

builder.queryField('assetsOrError', (t) =>
  t.field({
    type: AssetsOrError,
    description:
      'Assets that are defined or have records, by key. `prefix` keeps keys starting with those path parts; `limit` is at most 1000.',
    args: {
      prefix: t.arg.stringList(),
      assetKeys: t.arg({ type: [AssetKeyInput] }),
      cursor: t.arg.string(),
      limit: t.arg.int(),
    },
    resolve: (_root, args, context) =>
      assetsOrError(context, {
        prefix: args.prefix ?? null,
        assetKeys: args.assetKeys?.map(assetKeyString) ?? null,
        cursor: args.cursor ?? null,
        limit: args.limit ?? null,
      }),
  }),
);
