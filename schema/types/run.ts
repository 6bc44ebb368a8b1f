import { assetKeyOf } from '../../resolvers/models.js';
import { changedRows } from '../../resolvers/subscriptions.js';
import { builder } from '../builder.js';
import { AssetKeyRef, RunRef } from '../refs.js';
import { PipelineTag, RepositoryOrigin, RunStatus, tagsOf } from './common.js';

/** Dagster's `Run`: a run of Servo's, materializing its asset selection for its partitions. */
RunRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (run) => run.runId }),
    runId: t.exposeString('runId'),
    status: t.field({ type: RunStatus, resolve: (run) => run.status }),
    runStatus: t.field({ type: RunStatus, resolve: (run) => run.status }),
    creationTime: t.float({ resolve: (run) => run.createdAt / 1000 }),
    startTime: t.float({
      nullable: true,
      resolve: (run) => (run.startedAt === null ? null : run.startedAt / 1000),
    }),
    endTime: t.float({
      nullable: true,
      resolve: (run) => (run.endedAt === null ? null : run.endedAt / 1000),
    }),
    tags: t.field({ type: [PipelineTag], resolve: (run) => tagsOf(run.tags) }),
    assetSelection: t.field({
      type: [AssetKeyRef],
      nullable: true,
      resolve: (run) => run.assetSelection.map(assetKeyOf),
    }),
    repositoryOrigin: t.field({
      type: RepositoryOrigin,
      nullable: true,
      resolve: (run) => {
        const codeLocation = run.tags['servo/code_location'];
        return codeLocation === undefined ? null : { codeLocation };
      },
    }),
  }),
});

builder.subscriptionField('runStatus', (t) =>
  t.field({
    type: RunRef,
    description:
      'Each run whose status or progress changes, as it changes (one run when `runId` is given, else every run of the workspace). Changes made by any Servo process are delivered.',
    args: { runId: t.arg.string() },
    subscribe: (_root, args, context) =>
      changedRows(context.workspace, 'runs', (key) => args.runId == null || key === args.runId),
    resolve: (run) => run,
  }),
);
