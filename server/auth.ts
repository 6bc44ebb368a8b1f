import { GraphQLError } from 'graphql';
import type { Scope } from '../engine/ledger/scope.js';
import type { Principal } from '../resolvers/context.js';

/** The credentials a request carries: the HTTP headers, or a WebSocket's connection parameters. */
export interface Credentials {
  /** The `authorization` header or connection parameter, as sent. */
  authorization: string | undefined;
}

/** Establishes who is calling. Throws a GraphQL error with code UNAUTHENTICATED (HTTP 401) when it cannot. */
export interface Authenticator {
  /** False only for embedded mode on loopback, where every caller is the local admin. */
  readonly required: boolean;
  authenticate(credentials: Credentials): Promise<Principal>;
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
  });
}

/**
 * Embedded mode on loopback: no credential is needed and every caller is the admin of the one
 * workspace. The server says so at start-up, and refuses this mode on any other address.
 */
export function loopbackAuthenticator(scope: Scope): Authenticator {
  const principal: Principal = { subject: 'loopback', kind: 'loopback', role: 'admin', scope };
  return {
    required: false,
    async authenticate() {
      return principal;
    },
  };
}

export function credentialsFromHeaders(headers: Headers): Credentials {
  return { authorization: headers.get('authorization') ?? undefined };
}

export function credentialsFromConnectionParams(
  params: Readonly<Record<string, unknown>> | undefined,
): Credentials {
  const value = params?.authorization ?? params?.Authorization;
  return { authorization: typeof value === 'string' ? value : undefined };
}
