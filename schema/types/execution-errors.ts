import type { Typed } from '../../resolvers/errors.js';
import { builder } from '../builder.js';
import { ErrorInterface, errorType } from './errors.js';

/**
 * Dagster's errors of launching runs and backfills (`pipeline_execution_error_types`), for the
 * result unions that list them (`LaunchBackfillResult`, `LaunchRunResult`, …). Servo reports most
 * launch problems as `PythonError` with the engine's code as `className`; these types exist so
 * Dagster clients' fragments on them validate. Servo returns `PipelineNotFoundError` for a job other
 * than the implicit asset job, and `PartitionKeysNotFoundError` where a result names missing keys.
 */

function isTyped(name: string) {
  return (value: unknown) => (value as { __typename?: string }).__typename === name;
}

export const InvalidStepError = builder
  .objectRef<Typed<'InvalidStepError', { invalidStepKey: string }>>('InvalidStepError')
  .implement({
    isTypeOf: isTyped('InvalidStepError'),
    fields: (t) => ({ invalidStepKey: t.exposeString('invalidStepKey') }),
  });

export const InvalidOutputError = builder
  .objectRef<Typed<'InvalidOutputError', { stepKey: string; invalidOutputName: string }>>(
    'InvalidOutputError',
  )
  .implement({
    isTypeOf: isTyped('InvalidOutputError'),
    fields: (t) => ({
      stepKey: t.exposeString('stepKey'),
      invalidOutputName: t.exposeString('invalidOutputName'),
    }),
  });

export const PipelineNotFoundError = errorType('PipelineNotFoundError', [
  'pipelineName',
  'repositoryName',
  'repositoryLocationName',
]);
export const PresetNotFoundError = errorType('PresetNotFoundError', ['preset']);
export const ConflictingExecutionParamsError = errorType('ConflictingExecutionParamsError', []);
export const NoModeProvidedError = errorType('NoModeProvidedError', ['pipelineName']);
export const InvalidSubsetError = errorType('InvalidSubsetError', [], {
  description:
    'The selection is not a valid subset of the job (Servo: an asset the code location does not define).',
});

export const PipelineRunConflict = builder
  .interfaceRef<{ message: string }>('PipelineRunConflict')
  .implement({
    fields: (t) => ({ message: t.exposeString('message') }),
  });

export const RunConflict = builder
  .objectRef<Typed<'RunConflict', { message: string }>>('RunConflict')
  .implement({
    interfaces: [ErrorInterface, PipelineRunConflict],
    isTypeOf: isTyped('RunConflict'),
    fields: (t) => ({ message: t.exposeString('message') }),
  });

export const PartitionKeysNotFoundError = builder
  .objectRef<Typed<'PartitionKeysNotFoundError', { message: string; partitionKeys: string[] }>>(
    'PartitionKeysNotFoundError',
  )
  .implement({
    interfaces: [ErrorInterface],
    isTypeOf: isTyped('PartitionKeysNotFoundError'),
    fields: (t) => ({
      message: t.exposeString('message'),
      partitionKeys: t.exposeStringList('partitionKeys'),
    }),
  });

export const EvaluationErrorReason = builder.enumType('EvaluationErrorReason', {
  values: [
    'RUNTIME_TYPE_MISMATCH',
    'MISSING_REQUIRED_FIELD',
    'MISSING_REQUIRED_FIELDS',
    'FIELD_NOT_DEFINED',
    'FIELDS_NOT_DEFINED',
    'SELECTOR_FIELD_ERROR',
  ] as const,
});

interface ConfigErrorModel {
  message: string;
  path: string[];
  reason: typeof EvaluationErrorReason.$inferType;
}

export const PipelineConfigValidationError = builder
  .interfaceRef<ConfigErrorModel>('PipelineConfigValidationError')
  .implement({
    description: 'A run config error. Servo runs take no run config, so it never reports one.',
    fields: (t) => ({
      message: t.exposeString('message'),
      path: t.exposeStringList('path'),
      reason: t.field({ type: EvaluationErrorReason, resolve: (error) => error.reason }),
    }),
  });

interface ConfigInvalidModel {
  pipelineName: string;
  errors: ConfigErrorModel[];
}

export const PipelineConfigValidationInvalid = builder
  .interfaceRef<ConfigInvalidModel>('PipelineConfigValidationInvalid')
  .implement({
    fields: (t) => ({
      pipelineName: t.exposeString('pipelineName'),
      errors: t.field({ type: [PipelineConfigValidationError], resolve: (invalid) => invalid.errors }),
    }),
  });

export const RunConfigValidationInvalid = builder
  .objectRef<Typed<'RunConfigValidationInvalid', ConfigInvalidModel>>('RunConfigValidationInvalid')
  .implement({
    interfaces: [PipelineConfigValidationInvalid],
    isTypeOf: isTyped('RunConfigValidationInvalid'),
    fields: (t) => ({
      pipelineName: t.exposeString('pipelineName'),
      errors: t.field({ type: [PipelineConfigValidationError], resolve: (invalid) => invalid.errors }),
    }),
  });

/**
 * The errors Dagster's launch results share (`pipeline_execution_error_types` plus the execution
 * params errors), for result unions: `types: [Success, ...PIPELINE_EXECUTION_ERRORS]`.
 */
export const PIPELINE_EXECUTION_ERRORS = [
  InvalidStepError,
  InvalidOutputError,
  RunConfigValidationInvalid,
  PipelineNotFoundError,
  RunConflict,
  InvalidSubsetError,
  PresetNotFoundError,
  ConflictingExecutionParamsError,
  NoModeProvidedError,
] as const;
