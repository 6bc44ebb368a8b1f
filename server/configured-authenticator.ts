import { type ApiKeyStore, createApiKeyStore } from '../engine/api-keys.js';
import { EnvKeys, type ServoEnv } from '../engine/config/env.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { Logger } from '../engine/logging.js';
import { type Authenticator, createAuthenticator, isLoopbackHost, loopbackAuthenticator } from './auth.js';
import { createJwtAuthenticator, type JwtAuthenticatorOptions } from './jwt-authenticator.js';

export interface ConfiguredAuthentication {
  authenticator: Authenticator;
  /** The API keys the server accepts (undefined when it accepts none). */
  apiKeys: ApiKeyStore | undefined;
  /** What is accepted, for the start-up log: `api-keys`, `jwt`, or `none (loopback)`. */
  methods: string[];
}

/** Whether any way to authenticate is configured (API key file or inline keys, or a JWT issuer). */
export function authenticationConfigured(env: ServoEnv): boolean {
  return env.auth.apiKeysFile !== undefined || env.auth.apiKeys.length > 0 || env.auth.jwt !== undefined;
}

/**
 * The authenticator the environment asks for. With API keys or a JWT issuer configured, every
 * request needs a credential. With neither, the server runs open — every caller is the admin of
 * `defaultScope` — and only on a loopback address: bound to any other address it refuses to start.
 */
export function configuredAuthentication(
  env: ServoEnv,
  defaultScope: Scope,
  logger: Logger,
  options: JwtAuthenticatorOptions = {},
): ConfiguredAuthentication {
  if (!authenticationConfigured(env)) {
    if (!isLoopbackHost(env.host)) {
      throw new ServoError(
        ErrorCode.Config,
        `refusing to serve ${EnvKeys.host}=${env.host} without authentication: anyone who can reach that address could read and change every workspace. ` +
          `Configure API keys (${EnvKeys.apiKeysFile} or ${EnvKeys.apiKeys}) or bearer JWTs (${EnvKeys.jwtIssuer}, ${EnvKeys.jwtAudience}, ${EnvKeys.jwtJwksUrl}), ` +
          `or listen on a loopback address such as 127.0.0.1 (docs/security.md).`,
      );
    }
    return { authenticator: loopbackAuthenticator(defaultScope), apiKeys: undefined, methods: [] };
  }
  const apiKeys =
    env.auth.apiKeysFile !== undefined || env.auth.apiKeys.length > 0
      ? createApiKeyStore({
          ...(env.auth.apiKeysFile === undefined ? {} : { file: env.auth.apiKeysFile }),
          records: env.auth.apiKeys,
        })
      : undefined;
  const jwt = env.auth.jwt === undefined ? undefined : createJwtAuthenticator(env.auth.jwt, options);
  return {
    authenticator: createAuthenticator({
      ...(apiKeys === undefined ? {} : { apiKeys }),
      ...(jwt === undefined ? {} : { jwt }),
      logger,
    }),
    apiKeys,
    methods: [...(apiKeys === undefined ? [] : ['api-keys']), ...(jwt === undefined ? [] : ['jwt'])],
  };
}

/**
 * The workspaces a server serves: the configured default, those `SERVO_WORKSPACES` lists, and
 * every workspace an unrevoked API key names (read once, at start-up).
 */
export async function servedScopes(env: ServoEnv, apiKeys: ApiKeyStore | undefined): Promise<Scope[]> {
  const scopes = new Map<string, Scope>();
  const add = (scope: Scope): void => {
    scopes.set(`${scope.tenantId}/${scope.workspaceId}`, scope);
  };
  add({ tenantId: env.tenantId, workspaceId: env.workspaceId });
  for (const scope of env.workspaces) add(scope);
  for (const record of (await apiKeys?.records()) ?? []) {
    if (record.revokedAt == null) add({ tenantId: record.tenant, workspaceId: record.workspace });
  }
  return [...scopes.values()];
}
