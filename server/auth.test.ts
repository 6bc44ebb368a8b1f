import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyStore, generateApiKey } from '../engine/api-keys.js';
import { type JwtSettings, parseEnv } from '../engine/config/env.js';
import { silentLogger } from '../engine/logging.js';
import { type ApiContext, type Principal, roleAllows } from '../resolvers/context.js';
import { denied, requireRole } from '../resolvers/errors.js';
import { type Authenticator, createAuthenticator, isLoopbackHost } from './auth.js';
import { configuredAuthentication, servedScopes } from './configured-authenticator.js';
import { DEFAULT_GRAPHQL_LIMITS } from './graphql-limits.js';
import { createJwtAuthenticator, JWT_CLAIMS } from './jwt-authenticator.js';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'servo-api';
const NOW = new Date('2026-11-20T12:00:00.000Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

async function sign(
  keys: KeyPair,
  claims: JWTPayload,
  options: { issuer?: string; audience?: string; expiresAt?: number; kid?: string; subject?: string } = {},
): Promise<string> {
  return new SignJWT({
    [JWT_CLAIMS.tenant]: 'acme',
    [JWT_CLAIMS.workspace]: 'prod',
    [JWT_CLAIMS.role]: 'operator',
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', ...(options.kid === undefined ? {} : { kid: options.kid }) })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject(options.subject ?? 'user-42')
    .setIssuedAt(nowSeconds - 60)
    .setExpirationTime(options.expiresAt ?? nowSeconds + 600)
    .sign(keys.privateKey);
}

/** The error an authentication attempt fails with. */
async function failure(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected authentication to fail');
}

describe('bearer JWTs', () => {
  let keys: KeyPair;
  let otherKeys: KeyPair;
  let settings: JwtSettings;
  let jwt: ReturnType<typeof createJwtAuthenticator>;

  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    otherKeys = await generateKeyPair('ES256');
    settings = {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: undefined,
      publicKeyPem: await exportSPKI(keys.publicKey),
      algorithms: ['ES256'],
    };
    jwt = createJwtAuthenticator(settings, { now: () => NOW });
  });

  it('a valid token is the caller its claims name: tenant, workspace and role', async () => {
    const principal = await jwt.authenticate(await sign(keys, { [JWT_CLAIMS.role]: 'viewer' }));
    expect(principal).toEqual<Principal>({
      subject: 'jwt:user-42',
      kind: 'jwt',
      role: 'viewer',
      scope: { tenantId: 'acme', workspaceId: 'prod' },
    });
  });

  it('an expired token is refused with 401, saying when it expired', async () => {
    const error = await failure(jwt.authenticate(await sign(keys, {}, { expiresAt: nowSeconds - 120 })));
    expect(error.message).toBe(
      `the bearer token expired at ${new Date((nowSeconds - 120) * 1000).toISOString()}`,
    );
    expect(error.extensions).toMatchObject({ code: 'UNAUTHENTICATED', http: { status: 401 } });
  });

  it('a token expired by less than the clock tolerance still passes', async () => {
    const principal = await jwt.authenticate(await sign(keys, {}, { expiresAt: nowSeconds - 10 }));
    expect(principal.role).toBe('operator');
  });

  it('a token of another issuer or for another audience is refused, naming what was expected', async () => {
    const wrongIssuer = await failure(
      jwt.authenticate(await sign(keys, {}, { issuer: 'https://evil.example' })),
    );
    expect(wrongIssuer.message).toBe(
      'the bearer token was issued by "https://evil.example"; this server accepts tokens from "https://issuer.example"',
    );
    const wrongAudience = await failure(jwt.authenticate(await sign(keys, {}, { audience: 'another-api' })));
    expect(wrongAudience.message).toBe(
      'the bearer token\'s audience is "another-api"; this server is "servo-api"',
    );
    expect(wrongAudience.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('a token signed by another key is refused as a bad signature', async () => {
    const error = await failure(jwt.authenticate(await sign(otherKeys, {})));
    expect(error.message).toBe('the bearer token signature is not valid');
    expect(error.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('a token with its payload altered after signing is refused', async () => {
    const [header, , signature] = (await sign(keys, { [JWT_CLAIMS.role]: 'viewer' })).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'user-42',
        exp: nowSeconds + 600,
        [JWT_CLAIMS.tenant]: 'acme',
        [JWT_CLAIMS.workspace]: 'prod',
        [JWT_CLAIMS.role]: 'admin',
      }),
    ).toString('base64url');
    const error = await failure(jwt.authenticate(`${header}.${forged}.${signature}`));
    expect(error.message).toBe('the bearer token signature is not valid');
  });

  it('an unsigned token or one with an algorithm not configured is refused', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: nowSeconds + 60 }),
    ).toString('base64url')}.`;
    expect((await failure(jwt.authenticate(none))).message).toMatch(
      /algorithm this server does not accept|not a valid JWT/,
    );
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('x')
      .setExpirationTime(nowSeconds + 60)
      .sign(new Uint8Array(32));
    expect((await failure(jwt.authenticate(hs256))).message).toBe(
      'the bearer token is signed with an algorithm this server does not accept (accepted: ES256)',
    );
    expect((await failure(jwt.authenticate('not.a.jwt'))).message).toBe(
      'the bearer token is not a valid JWT',
    );
  });

  it('a token without the Servo claims, with a role or workspace Servo does not know, or an overlong subject is refused naming the claim', async () => {
    expect(
      (await failure(jwt.authenticate(await sign(keys, { [JWT_CLAIMS.tenant]: undefined })))).message,
    ).toBe('the bearer token lacks the servo_tenant claim');
    expect((await failure(jwt.authenticate(await sign(keys, { [JWT_CLAIMS.role]: 'root' })))).message).toBe(
      "the bearer token's servo_role claim must be one of viewer, operator, admin",
    );
    expect(
      (await failure(jwt.authenticate(await sign(keys, { [JWT_CLAIMS.workspace]: '../other' })))).message,
    ).toMatch(/servo_workspace claim must match/);
    expect(
      (await failure(jwt.authenticate(await sign(keys, {}, { subject: 'x'.repeat(251) })))).message,
    ).toBe("the bearer token's sub claim must be a string of at most 250 characters");
  });

  describe('from a JWKS URL', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
      server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(async () => {
      await new Promise<void>((done) => server.close(() => done()));
    });

    it('verifies tokens against the key its kid names, and refuses a kid the set lacks', async () => {
      const fromSet = createJwtAuthenticator(
        { ...settings, jwksUrl: url, publicKeyPem: undefined },
        { now: () => NOW },
      );
      expect((await fromSet.authenticate(await sign(keys, {}, { kid: 'key-1' }))).scope).toEqual({
        tenantId: 'acme',
        workspaceId: 'prod',
      });
      const error = await failure(fromSet.authenticate(await sign(otherKeys, {}, { kid: 'key-2' })));
      expect(error.message).toBe("no key of the issuer's key set matches the bearer token");
    });

    it('an unreachable key set is a 503 to retry, not a 401', async () => {
      const unreachable = createJwtAuthenticator(
        { ...settings, jwksUrl: 'http://127.0.0.1:9/jwks.json', publicKeyPem: undefined },
        { now: () => NOW },
      );
      const error = await failure(unreachable.authenticate(await sign(keys, {}, { kid: 'key-1' })));
      expect(error.extensions).toMatchObject({ code: 'UNAVAILABLE', http: { status: 503 } });
    });
  });
});

describe('the authenticator', () => {
  let keys: KeyPair;
  let authenticator: Authenticator;
  const apiKey = generateApiKey({ tenant: 'acme', workspace: 'prod', role: 'viewer', now: NOW });

  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    authenticator = createAuthenticator({
      apiKeys: createApiKeyStore({ records: [apiKey.record] }),
      jwt: createJwtAuthenticator(
        {
          issuer: ISSUER,
          audience: AUDIENCE,
          jwksUrl: undefined,
          publicKeyPem: await exportSPKI(keys.publicKey),
          algorithms: ['ES256'],
        },
        { now: () => NOW },
      ),
      logger: silentLogger,
    });
  });

  it('accepts an API key or a JWT as a bearer token', async () => {
    expect(await authenticator.authenticate({ authorization: `Bearer ${apiKey.key}` })).toEqual<Principal>({
      subject: `api-key:${apiKey.record.keyId}`,
      kind: 'api-key',
      role: 'viewer',
      scope: { tenantId: 'acme', workspaceId: 'prod' },
    });
    expect((await authenticator.authenticate({ authorization: `bearer ${await sign(keys, {})}` })).kind).toBe(
      'jwt',
    );
  });

  it('a missing, non-bearer or unknown credential is UNAUTHENTICATED with HTTP 401 and a reason', async () => {
    const missing = await failure(authenticator.authenticate({ authorization: undefined }));
    expect(missing.message).toBe(
      'a credential is required: send "Authorization: Bearer <token>" with a Servo API key or a JWT (over WebSocket, the connection parameter "authorization")',
    );
    expect(missing.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: { 'www-authenticate': 'Bearer' } },
    });
    expect(
      (await failure(authenticator.authenticate({ authorization: `Basic ${apiKey.key}` }))).message,
    ).toBe('the authorization must be "Bearer <token>"');
    const forged = `servo_${apiKey.record.keyId}_${'A'.repeat(43)}`;
    expect((await failure(authenticator.authenticate({ authorization: `Bearer ${forged}` }))).message).toBe(
      `API key ${apiKey.record.keyId} is not valid`,
    );
  });

  it('a server that accepts only API keys says a JWT is not one, and the other way round', async () => {
    const keysOnly = createAuthenticator({
      apiKeys: createApiKeyStore({ records: [apiKey.record] }),
      logger: silentLogger,
    });
    expect(
      (await failure(keysOnly.authenticate({ authorization: `Bearer ${await sign(keys, {})}` }))).message,
    ).toBe('the credential is not a Servo API key');
    const jwtOnly = createAuthenticator({
      jwt: createJwtAuthenticator({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: undefined,
        publicKeyPem: await exportSPKI(keys.publicKey),
        algorithms: ['ES256'],
      }),
      logger: silentLogger,
    });
    expect((await failure(jwtOnly.authenticate({ authorization: `Bearer ${apiKey.key}` }))).message).toBe(
      'this server does not accept API keys',
    );
  });

  it('an unreadable key store is a 503, not a silent pass', async () => {
    const broken = createAuthenticator({
      apiKeys: {
        records: async () => {
          throw new Error('disk gone');
        },
      },
      logger: silentLogger,
    });
    const error = await failure(broken.authenticate({ authorization: `Bearer ${apiKey.key}` }));
    expect(error.extensions).toMatchObject({ code: 'UNAVAILABLE', http: { status: 503 } });
  });
});

describe('roles', () => {
  const contextWith = (role: Principal['role']): ApiContext =>
    ({
      principal: {
        subject: 'api-key:0123456789abcdef',
        kind: 'api-key',
        role,
        scope: { tenantId: 't', workspaceId: 'w' },
      },
    }) as ApiContext;

  it('each role includes the ones below it and none above', () => {
    const roles = ['viewer', 'operator', 'admin'] as const;
    const allowed = roles.flatMap((role) =>
      roles.filter((needed) => roleAllows(role, needed)).map((needed) => `${role}>=${needed}`),
    );
    expect(allowed).toEqual([
      'viewer>=viewer',
      'operator>=viewer',
      'operator>=operator',
      'admin>=viewer',
      'admin>=operator',
      'admin>=admin',
    ]);
  });

  it('a viewer asking for an operator action gets an UnauthorizedError or an UNAUTHORIZED error naming both roles', () => {
    expect(denied(contextWith('viewer'), 'operator')).toEqual({
      __typename: 'UnauthorizedError',
      message: 'this operation needs the operator role; the credential api-key:0123456789abcdef has viewer',
    });
    expect(denied(contextWith('operator'), 'operator')).toBeUndefined();
    expect(() => requireRole(contextWith('operator'), 'admin')).toThrow(
      expect.objectContaining({ extensions: { code: 'UNAUTHORIZED' } }),
    );
  });
});

describe('configuration', () => {
  const base = { SERVO_HOST: '127.0.0.1', SERVO_DATA_DIR: '/tmp/servo-test' };

  it('without keys or a JWT issuer, loopback runs open as the default workspace admin and any other address refuses to start', async () => {
    const open = configuredAuthentication(
      parseEnv(base),
      { tenantId: 'default', workspaceId: 'default' },
      silentLogger,
    );
    expect(open.authenticator.required).toBe(false);
    expect((await open.authenticator.authenticate({ authorization: undefined })).role).toBe('admin');
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'servo.internal']) {
      expect(() =>
        configuredAuthentication(
          parseEnv({ ...base, SERVO_HOST: host }),
          { tenantId: 'default', workspaceId: 'default' },
          silentLogger,
        ),
      ).toThrow(`refusing to serve SERVO_HOST=${host} without authentication`);
    }
  });

  it('loopback addresses are recognised as such', () => {
    expect(
      ['127.0.0.1', '127.8.9.1', '::1', 'localhost', '[::1]', '::ffff:127.0.0.1'].every(isLoopbackHost),
    ).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.4', 'example.com', '::ffff:10.0.0.1'].some(isLoopbackHost)).toBe(
      false,
    );
  });

  it('with API keys configured every request needs a credential, even on loopback, and the keys name the workspaces served', async () => {
    const other = generateApiKey({ tenant: 'acme', workspace: 'staging', role: 'operator', now: NOW });
    const revoked = {
      ...generateApiKey({ tenant: 'gone', workspace: 'old', role: 'admin', now: NOW }).record,
      revokedAt: NOW.toISOString(),
    };
    const env = parseEnv({
      ...base,
      SERVO_API_KEYS: JSON.stringify([other.record, revoked]),
      SERVO_WORKSPACES: 'acme/extra, beta/main',
    });
    const configured = configuredAuthentication(
      env,
      { tenantId: 'default', workspaceId: 'default' },
      silentLogger,
    );
    expect(configured.authenticator.required).toBe(true);
    expect(configured.methods).toEqual(['api-keys']);
    expect(
      (await servedScopes(env, configured.apiKeys)).map((scope) => `${scope.tenantId}/${scope.workspaceId}`),
    ).toEqual(['default/default', 'acme/extra', 'beta/main', 'acme/staging']);
  });

  it('an incomplete JWT configuration or a bad limit is reported all at once', () => {
    expect(() =>
      parseEnv({ ...base, SERVO_JWT_ISSUER: ISSUER, SERVO_GRAPHQL_MAX_DEPTH: '0', SERVO_WORKSPACES: 'nope' }),
    ).toThrow(
      expect.objectContaining({
        details: {
          problems: [
            'SERVO_WORKSPACES: "nope" is not tenant/workspace (each matching /^[a-z0-9][a-z0-9_-]{0,62}$/)',
            'SERVO_GRAPHQL_MAX_DEPTH: Too small: expected number to be >=1',
            'SERVO_JWT_AUDIENCE: required when bearer JWTs are configured',
            'SERVO_JWT_JWKS_URL / SERVO_JWT_PUBLIC_KEY: set exactly one when bearer JWTs are configured',
          ],
        },
      }),
    );
  });

  it('the limits default to the documented values and each can be set', () => {
    expect(parseEnv(base).graphqlLimits).toEqual(DEFAULT_GRAPHQL_LIMITS);
    expect(
      parseEnv({
        ...base,
        SERVO_GRAPHQL_MAX_DEPTH: '12',
        SERVO_GRAPHQL_MAX_COST: '5000',
        SERVO_GRAPHQL_MAX_PAGE_SIZE: '200',
        SERVO_GRAPHQL_MAX_BODY_BYTES: '65536',
        SERVO_GRAPHQL_MAX_WS_MESSAGE_BYTES: '32768',
        SERVO_GRAPHQL_RESPONSE_CACHE_BYTES: '0',
      }).graphqlLimits,
    ).toEqual({
      maxDepth: 12,
      maxCost: 5000,
      maxPageSize: 200,
      maxBodyBytes: 65_536,
      maxWebSocketMessageBytes: 32_768,
      responseCacheBytes: 0,
    });
  });
});
