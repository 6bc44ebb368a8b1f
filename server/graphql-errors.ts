import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ErrorCode, isServoError, type ServoError } from '../engine/errors.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { Logger } from '../engine/logging.js';

/** What a caller sees of an error Servo did not expect. */
export const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error.';

/** Engine error codes that describe the server's own state: masked like any unexpected error. */
const INTERNAL_CODES: ReadonlySet<string> = new Set([ErrorCode.Corrupt, ErrorCode.Config]);

export interface ErrorMasker {
  /** yoga's `maskedErrors.maskError`: called for every error of every response. */
  maskError(error: unknown, message: string): Error;
  /** Whether `error` was already logged (with its correlation id) by `maskError`. */
  wasReported(error: unknown): boolean;
}

/**
 * Maps errors once, at the edge. An error raised on purpose as a GraphQL error (validation,
 * limits, authentication, `BAD_USER_INPUT`, `UNAUTHORIZED`) is shown as it is. An engine
 * `ServoError` that reached the edge becomes a GraphQL error carrying its `code`, `retryable` and
 * details. Anything else is a bug: the caller sees "Unexpected error." and a correlation id, and
 * the server logs the error under that id.
 */
export function createErrorMasker(logger: Logger): ErrorMasker {
  const reported = new WeakSet<object>();
  return {
    maskError(error) {
      const graphqlError = error instanceof GraphQLError ? error : undefined;
      const original = innermost(error);
      if (original instanceof GraphQLError) return error as Error;
      if (isServoError(original) && !INTERNAL_CODES.has(original.code)) {
        reported.add(original);
        return expectedServoError(original, graphqlError);
      }
      const correlationId = randomUUID();
      if (typeof original === 'object' && original !== null) reported.add(original);
      if (graphqlError !== undefined) reported.add(graphqlError);
      logger.error(
        {
          err: original,
          correlationId,
          ...(graphqlError?.path === undefined ? {} : { path: graphqlError.path.join('.') }),
        },
        'unexpected error in a GraphQL request',
      );
      return new GraphQLError(UNEXPECTED_ERROR_MESSAGE, {
        ...(graphqlError === undefined
          ? {}
          : {
              nodes: graphqlError.nodes,
              source: graphqlError.source,
              positions: graphqlError.positions,
              path: graphqlError.path,
            }),
        extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
      });
    },
    wasReported(error) {
      return (
        typeof error === 'object' &&
        error !== null &&
        (reported.has(error) || reported.has(innermost(error) as object))
      );
    },
  };
}

/** The error a GraphQL error wraps, all the way down (a resolver's throw is wrapped once). */
function innermost(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError != null) current = current.originalError;
  return current;
}

function expectedServoError(error: ServoError, located: GraphQLError | undefined): GraphQLError {
  return new GraphQLError(error.message, {
    ...(located === undefined
      ? {}
      : { nodes: located.nodes, source: located.source, positions: located.positions, path: located.path }),
    extensions: {
      code: error.code,
      retryable: error.retryable,
      ...(Object.keys(error.details).length === 0 ? {} : { details: error.details }),
    },
  });
}

/** The credential is valid but names a workspace this server does not serve. */
export function workspaceNotServed(scope: Scope): GraphQLError {
  return new GraphQLError(
    `this server does not serve workspace ${scope.tenantId}/${scope.workspaceId} (the workspace the credential is for)`,
    { extensions: { code: 'WORKSPACE_NOT_SERVED', http: { status: 403 } } },
  );
}
