import { assetKeyOf, REPOSITORY_NAME } from '../../resolvers/models.js';
import { AssetKeyRef, AssetNodeRef, RepositoryRef } from '../refs.js';

/** Dagster's `AssetNode`: an asset definition deployed by a code location. */
AssetNodeRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (asset) => `${asset.codeLocation}.${REPOSITORY_NAME}.${asset.assetKey}` }),
    assetKey: t.field({ type: AssetKeyRef, resolve: (asset) => assetKeyOf(asset.assetKey) }),
    isPartitioned: t.boolean({ resolve: (asset) => asset.partitions !== null }),
    repository: t.field({
      type: RepositoryRef,
      resolve: async (asset, _args, context) => ({
        name: asset.codeLocation,
        row: await context.loaders.codeLocation.load(asset.codeLocation),
      }),
    }),
  }),
});
