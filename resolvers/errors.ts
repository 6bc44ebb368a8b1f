import { GraphQLError } from 'graphql';
import { ErrorCode, isServoError, type ServoError } from '../engine/errors.js';
import type { ErrorInfo } from '../engine/model/common.js';
import { type ApiContext, type Role, roleAllows } from './context.js';

/**
 * How resolvers report expected failures. A value that may be one of several GraphQL object types
 * (a `...OrError` union member) carries its type name in `__typename`; unions resolve by it.
 */
export type Typed<N extends string, T extends object = object> = T & { readonly __typename: N };

export function typed<N extends string, T extends object>(name: N, value: T): Typed<N, T> {
  return Object.assign(value, { __typename: name }) as Typed<N, T>;
}

/** Dagster's `PythonError`: Servo uses it for any error a result carries (a tick's, a run's). */
export interface PythonErrorModel {
  readonly __typename: 'PythonError';
  message: string;
  className: string | null;
  stack: string[];
  causes: PythonErrorModel[];
}

export function pythonError(error: ErrorInfo | ServoError | { message: string }): PythonErrorModel {
  const className =
    'className' in error && typeof error.className === 'string'
      ? error.className
      : isServoError(error)
        ? error.code
        : null;
  const stack =
    'stack' in error && typeof error.stack === 'string' && !isServoError(error) ? error.stack : '';
  return {
    __typename: 'PythonError',
    message: error.message,
    className,
    stack: stack === '' ? [] : stack.split('\n').map((line) => `${line}\n`),
    causes: [],
  };
}

export interface UnauthorizedErrorModel {
  readonly __typename: 'UnauthorizedError';
  message: string;
}

export function unauthorized(message: string): UnauthorizedErrorModel {
  return { __typename: 'UnauthorizedError', message };
}

/** Returns an `UnauthorizedError` when the caller's role is below `needed`, else undefined. */
export function denied(context: ApiContext, needed: Role): UnauthorizedErrorModel | undefined {
  if (roleAllows(context.principal.role, needed)) return undefined;
  return unauthorized(
    `this operation needs the ${needed} role; the credential ${context.principal.subject} has ${context.principal.role}`,
  );
}

/** For fields whose type has no error member: the same check as a GraphQL error with a code. */
export function requireRole(context: ApiContext, needed: Role): void {
  const error = denied(context, needed);
  if (error !== undefined) throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHORIZED' } });
}

/**
 * Turns an engine error into a result: `onNotFound` builds the field's own not-found member;
 * any other expected error becomes a `PythonError` carrying the engine's message and code.
 * Anything that is not a `ServoError` is a bug: it is rethrown, so the server logs and masks it.
 */
export function expectedError<N>(
  error: unknown,
  onNotFound?: (error: ServoError) => N,
): N | PythonErrorModel | UnauthorizedErrorModel {
  if (!isServoError(error)) throw error;
  if (error.code === ErrorCode.NotFound && onNotFound !== undefined) return onNotFound(error);
  if (error.code === ErrorCode.Unauthorized) return unauthorized(error.message);
  return pythonError(error);
}

/** A GraphQL error for an expected failure outside a union (bad arguments, limits). */
export function badRequest(
  message: string,
  code = 'BAD_USER_INPUT',
  details?: Record<string, unknown>,
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(details === undefined ? {} : { details }) } });
}
