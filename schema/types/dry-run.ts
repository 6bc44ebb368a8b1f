import { assetKeyOf } from '../../resolvers/models.js';
import {
  type DryRunTickModel,
  type DryRunTicksModel,
  type RunRequestModel,
  type TickEvaluationModel,
  tickEvaluation,
} from '../../resolvers/schedules.js';
import { builder } from '../builder.js';
import { AssetKeyRef } from '../refs.js';
import { PipelineTag, tagsOf } from './common.js';
import { PythonError } from './errors.js';

/**
 * Ticks that have not happened: Dagster's `DryRunInstigationTick` (a due time and, for schedules,
 * what a tick then would do), its page `DryRunInstigationTicks`, `TickEvaluation` and `RunRequest`.
 */

export const RunRequest = builder.objectRef<RunRequestModel>('RunRequest').implement({
  description: 'A run a tick would request: its run key, tags and assets, in the implicit asset job.',
  fields: (t) => ({
    runKey: t.string({ nullable: true, resolve: (request) => request.runKey }),
    tags: t.field({ type: [PipelineTag], resolve: (request) => tagsOf(request.tags) }),
    runConfigYaml: t.string({
      description: 'Servo runs take no run config: always an empty YAML mapping.',
      resolve: () => '{}\n',
    }),
    assetSelection: t.field({
      type: [AssetKeyRef],
      nullable: true,
      resolve: (request) => request.assetSelection.map(assetKeyOf),
    }),
    jobName: t.string({ nullable: true, resolve: (request) => request.jobName }),
  }),
});

export const TickEvaluation = builder.objectRef<TickEvaluationModel>('TickEvaluation').implement({
  fields: (t) => ({
    runRequests: t.field({
      type: [RunRequest],
      nullable: true,
      resolve: (evaluation) => evaluation.runRequests,
    }),
    skipReason: t.string({ nullable: true, resolve: (evaluation) => evaluation.skipReason }),
    error: t.field({ type: PythonError, nullable: true, resolve: (evaluation) => evaluation.error }),
    cursor: t.string({
      nullable: true,
      description: "The cursor a sensor's evaluation would leave (set by sensorDryRun); schedules keep none.",
      resolve: (evaluation) => evaluation.cursor ?? null,
    }),
  }),
});

export const DryRunInstigationTick = builder.objectRef<DryRunTickModel>('DryRunInstigationTick').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'DryRunInstigationTick',
  fields: (t) => ({
    timestamp: t.float({
      nullable: true,
      description: 'Epoch seconds.',
      resolve: (tick) => tick.timestamp,
    }),
    evaluationResult: t.field({
      type: TickEvaluation,
      nullable: true,
      description:
        "What a schedule's tick at this time would record and request (decided as a real tick is; appends nothing). Null for a sensor's next poll.",
      resolve: (tick, _args, context) => tickEvaluation(context, tick),
    }),
  }),
});

export const DryRunInstigationTicks = builder
  .objectRef<DryRunTicksModel>('DryRunInstigationTicks')
  .implement({
    fields: (t) => ({
      results: t.field({ type: [DryRunInstigationTick], resolve: (page) => page.results }),
      cursor: t.float({
        description: 'Pass back as `cursor` for the due times after these.',
        resolve: (page) => page.cursor,
      }),
    }),
  });
