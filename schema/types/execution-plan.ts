import { assetKeyOf } from '../../resolvers/models.js';
import { type ExecutionStepModel, runExecutionSteps } from '../../resolvers/runs.js';
import { builder } from '../builder.js';
import { AssetKeyRef, type RunRef } from '../refs.js';

export const StepKind = builder.enumType('StepKind', {
  values: ['COMPUTE', 'UNRESOLVED_MAPPED', 'UNRESOLVED_COLLECT'] as const,
});

const ExecutionStepOutput = builder.objectRef<{ name: string }>('ExecutionStepOutput').implement({
  fields: (t) => ({ name: t.exposeString('name') }),
});

export const ExecutionStep = builder.objectRef<ExecutionStepModel>('ExecutionStep');

/** One input per upstream asset; it depends on that asset's upstream steps in the run. */
const ExecutionStepInput = builder
  .objectRef<{ name: string; dependsOn: ExecutionStepModel[] }>('ExecutionStepInput')
  .implement({
    fields: (t) => ({
      name: t.exposeString('name'),
      dependsOn: t.field({ type: [ExecutionStep], resolve: (input) => input.dependsOn }),
    }),
  });

/** A step of a Servo run is one of its tasks: an asset, for the task's partitions. */
ExecutionStep.implement({
  fields: (t) => ({
    key: t.string({ resolve: (step) => step.task.taskKey }),
    solidHandleID: t.string({
      description: 'The asset key of the task.',
      resolve: (step) => step.task.assetKey,
    }),
    kind: t.field({ type: StepKind, resolve: () => 'COMPUTE' as const }),
    inputs: t.field({ type: [ExecutionStepInput], resolve: (step) => step.inputs }),
    outputs: t.field({ type: [ExecutionStepOutput], resolve: () => [{ name: 'result' }] }),
  }),
});

/** Dagster's `ExecutionPlan` of a run: its tasks and their dependencies (the run's plan). */
export const ExecutionPlan = builder.objectRef<typeof RunRef.$inferType>('ExecutionPlan').implement({
  fields: (t) => ({
    steps: t.field({
      type: [ExecutionStep],
      resolve: (run, _args, context) => runExecutionSteps(context, run),
    }),
    artifactsPersisted: t.boolean({
      description: 'False: Servo does not re-execute steps from stored outputs.',
      resolve: () => false,
    }),
    assetSelection: t.stringList({ resolve: (run) => run.assetSelection }),
    assetKeys: t.field({ type: [AssetKeyRef], resolve: (run) => run.assetSelection.map(assetKeyOf) }),
  }),
});
