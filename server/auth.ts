import { isIP } from 'node:net';
import { GraphQLError } from 'graphql';
import { type ApiKeyStore, isApiKeyShaped, verifyApiKey } from '../engine/api-keys.js';
import { isServoError } from '../engine/errors.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { Logger } from '../engine/logging.js';
import type { Principal } from '../resolvers/context.js';
import type { JwtAuthenticator } from './jwt-authenticator.js';

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

/** Credentials could not be checked for a reason on Servo's side (the key file, the issuer's keys). */
export function unavailable(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAVAILABLE', http: { status: 503 } } });
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

export interface AuthenticatorOptions {
  /** Servo-issued API keys (`servo_<keyId>_<secret>`), when the server accepts them. */
  apiKeys?: ApiKeyStore;
  /** Bearer JWTs of a configured issuer, when the server accepts them. */
  jwt?: JwtAuthenticator;
  logger: Logger;
}

/**
 * A credential is required: `Authorization: Bearer <token>` where the token is a Servo API key
 * (recognised by its `servo_` prefix) or a JWT of the configured issuer. Every failure says what is
 * wrong with the credential, never echoing it.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { apiKeys, jwt, logger } = options;
  const accepted = [apiKeys === undefined ? [] : ['a Servo API key'], jwt === undefined ? [] : ['a JWT']]
    .flat()
    .join(' or ');
  return {
    required: true,
    async authenticate(credentials) {
      const authorization = credentials.authorization?.trim();
      if (authorization === undefined || authorization === '') {
        throw unauthenticated(
          `a credential is required: send "Authorization: Bearer <token>" with ${accepted} (over WebSocket, the connection parameter "authorization")`,
        );
      }
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (match === null) throw unauthenticated('the authorization must be "Bearer <token>"');
      const token = match[1] as string;
      if (isApiKeyShaped(token)) {
        if (apiKeys === undefined) throw unauthenticated('this server does not accept API keys');
        try {
          const record = await verifyApiKey(apiKeys, token);
          return {
            subject: `api-key:${record.keyId}`,
            kind: 'api-key',
            role: record.role,
            scope: { tenantId: record.tenant, workspaceId: record.workspace },
          };
        } catch (error) {
          if (isServoError(error, 'UNAUTHORIZED')) throw unauthenticated(error.message);
          logger.error({ err: error }, 'API keys cannot be checked');
          throw unavailable('API keys cannot be checked now; the server log says why');
        }
      }
      if (jwt === undefined) throw unauthenticated(`the credential is not ${accepted}`);
      return jwt.authenticate(token);
    },
  };
}

/** Whether `host` (as given to listen) accepts connections from this machine only. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(address) === 4) return address.startsWith('127.');
  if (isIP(address) === 6) return address === '::1' || /^::ffff:127\./i.test(address);
  return false;
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
