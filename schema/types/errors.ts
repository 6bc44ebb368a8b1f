import type { PythonErrorModel, Typed } from '../../resolvers/errors.js';
import { builder } from '../builder.js';

/** Dagster's `Error` interface: every error object has a message. */
export const ErrorInterface = builder.interfaceRef<object>('Error').implement({
  fields: (t) => ({ message: t.string({ resolve: (error) => (error as { message: string }).message }) }),
});

export const PythonError = builder.objectRef<PythonErrorModel>('PythonError');

interface ErrorChainLinkModel {
  error: PythonErrorModel;
  isExplicitLink: boolean;
}

export const ErrorChainLink = builder.objectRef<ErrorChainLinkModel>('ErrorChainLink').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    message: t.string({ resolve: (link) => link.error.message }),
    error: t.field({ type: PythonError, resolve: (link) => link.error }),
    isExplicitLink: t.exposeBoolean('isExplicitLink'),
  }),
});

PythonError.implement({
  interfaces: [ErrorInterface],
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'PythonError',
  fields: (t) => ({
    message: t.exposeString('message'),
    className: t.exposeString('className', { nullable: true }),
    stack: t.exposeStringList('stack'),
    cause: t.field({ type: PythonError, nullable: true, resolve: (error) => error.causes[0] ?? null }),
    causes: t.field({ type: [PythonError], resolve: (error) => error.causes }),
    errorChain: t.field({
      type: [ErrorChainLink],
      resolve: (error) => error.causes.map((cause) => ({ error: cause, isExplicitLink: true })),
    }),
  }),
});

/**
 * Declares a simple error object: `message` plus string fields, implementing `Error`, recognised in
 * unions by `__typename`.
 */
export function errorType<N extends string, F extends string>(
  name: N,
  fields: readonly F[],
  options: { interfaces?: readonly string[]; description?: string } = {},
) {
  type Model = Typed<N, { message: string } & Record<F, string>>;
  const ref = builder.objectRef<Model>(name);
  ref.implement({
    ...(options.description === undefined ? {} : { description: options.description }),
    interfaces: [ErrorInterface],
    isTypeOf: (value) => (value as { __typename?: string }).__typename === name,
    fields: (t) => ({
      message: t.string({ resolve: (value) => value.message }),
      ...Object.fromEntries(fields.map((field) => [field, t.string({ resolve: (value) => value[field] })])),
    }),
  });
  return ref;
}

export const UnauthorizedError = errorType('UnauthorizedError', [], {
  description: 'The credential may not do this (a viewer key asked to change something).',
});
