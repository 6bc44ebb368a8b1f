import type { StepAttempt, StepStats } from '../../engine/queries/run-steps.js';
import { builder } from '../builder.js';

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

export const StepEventStatus = builder.enumType('StepEventStatus', {
  values: ['SKIPPED', 'SUCCESS', 'FAILURE', 'IN_PROGRESS'] as const,
});

/** Dagster's `RunMarker`: a span of time; Servo uses it for a step's attempts. */
export const RunMarker = builder.objectRef<StepAttempt>('RunMarker').implement({
  description: 'A span of a step: an attempt. Times a task row no longer holds (earlier attempts) are null.',
  fields: (t) => ({
    startTime: t.float({ nullable: true, resolve: (attempt) => seconds(attempt.startedAt) }),
    endTime: t.float({ nullable: true, resolve: (attempt) => seconds(attempt.endedAt) }),
  }),
});

/**
 * Dagster's `RunStepStats`: one per task of the run (an asset for its partitions). `attempts` has
 * one marker per attempt made; `markers` (timed phases inside a step) are empty: Servo records none.
 */
export const RunStepStats = builder.objectRef<StepStats>('RunStepStats').implement({
  fields: (t) => ({
    runId: t.exposeString('runId'),
    stepKey: t.exposeString('stepKey'),
    status: t.field({ type: StepEventStatus, nullable: true, resolve: (stats) => stats.status }),
    startTime: t.float({
      nullable: true,
      description: 'When its latest attempt started.',
      resolve: (stats) => seconds(stats.startedAt),
    }),
    endTime: t.float({ nullable: true, resolve: (stats) => seconds(stats.endedAt) }),
    attempts: t.field({ type: [RunMarker], resolve: (stats) => stats.attempts }),
    markers: t.field({ type: [RunMarker], resolve: () => [] }),
  }),
});
