import { pythonError } from '../../resolvers/errors.js';
import { instigationStatus, tickIdOf, tickStatus, tickTimestamp } from '../../resolvers/instigation.js';
import { REPOSITORY_NAME } from '../../resolvers/models.js';
import { InstigationStateRef, InstigationTickRef } from '../refs.js';
import { InstigationStatus, InstigationTickStatus, InstigationType, RepositoryOrigin } from './common.js';
import { PythonError } from './errors.js';

/** Dagster's `InstigationState`: a schedule's or sensor's on/off state, ticks and runs. */
InstigationStateRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (state) => state.instigatorId }),
    selectorId: t.string({ resolve: (state) => state.instigatorId }),
    name: t.exposeString('name'),
    instigationType: t.field({ type: InstigationType, resolve: (state) => state.instigationType }),
    status: t.field({
      type: InstigationStatus,
      resolve: (state, _args, context) => instigationStatus(context, state),
    }),
    repositoryName: t.string({ resolve: () => REPOSITORY_NAME }),
    repositoryLocationName: t.exposeString('codeLocation'),
    repositoryOrigin: t.field({
      type: RepositoryOrigin,
      resolve: (state) => ({ codeLocation: state.codeLocation }),
    }),
    hasStartPermission: t.boolean({
      resolve: (_state, _args, context) => context.principal.role !== 'viewer',
    }),
    hasStopPermission: t.boolean({
      resolve: (_state, _args, context) => context.principal.role !== 'viewer',
    }),
  }),
});

/** Dagster's `InstigationTick`: a schedule tick or a sensor evaluation. */
InstigationTickRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (tick) => tickIdOf(tick) }),
    tickId: t.id({ resolve: (tick) => tickIdOf(tick) }),
    status: t.field({ type: InstigationTickStatus, resolve: (tick) => tickStatus(tick) }),
    timestamp: t.float({ resolve: (tick) => tickTimestamp(tick) }),
    instigationType: t.field({ type: InstigationType, resolve: (tick) => tick.instigationType }),
    runIds: t.stringList({ resolve: (tick) => tick.row.runIds }),
    runKeys: t.stringList({ resolve: (tick) => tick.row.runKeys }),
    skipReason: t.string({ nullable: true, resolve: (tick) => tick.row.skipReason }),
    error: t.field({
      type: PythonError,
      nullable: true,
      resolve: (tick) => (tick.row.error === null ? null : pythonError(tick.row.error)),
    }),
  }),
});
