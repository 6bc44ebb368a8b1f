import { REPOSITORY_NAME } from '../../resolvers/models.js';
import { RepositoryLocationRef, RepositoryRef } from '../refs.js';

/**
 * Dagster's `Repository` and `RepositoryLocation`: in Servo both are the code location (one
 * repository per location, named `__repository__`).
 */
RepositoryRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (location) => `${location.name}:${REPOSITORY_NAME}` }),
    name: t.string({ resolve: () => REPOSITORY_NAME }),
    location: t.field({ type: RepositoryLocationRef, resolve: (location) => location }),
  }),
});

RepositoryLocationRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (location) => location.name }),
    name: t.exposeString('name'),
    isReloadSupported: t.boolean({ resolve: () => false }),
    repositories: t.field({ type: [RepositoryRef], resolve: (location) => [location] }),
  }),
});
