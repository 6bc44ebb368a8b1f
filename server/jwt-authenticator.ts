import { createPublicKey, type KeyObject } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { JwtSettings } from '../engine/config/env.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import { SCOPE_ID_PATTERN } from '../engine/model/common.js';
import type { Principal, Role } from '../resolvers/context.js';
import { unauthenticated, unavailable } from './auth.js';

/** The claims a bearer JWT must carry besides `iss`, `aud`, `exp` and `sub`. */
export const JWT_CLAIMS = {
  /** The tenant the token grants access to. */
  tenant: 'servo_tenant',
  /** The workspace (of that tenant) the token grants access to. */
  workspace: 'servo_workspace',
  /** `viewer`, `operator` or `admin`. */
  role: 'servo_role',
} as const;

/** Leeway for clocks that disagree a little, applied to `exp`, `nbf` and `iat`. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export interface JwtAuthenticatorOptions {
  /** The time tokens are checked against. @default the system clock */
  now?: () => Date;
}

/** Verifies bearer JWTs; the failures are errors the caller should see (HTTP 401 or 503). */
export interface JwtAuthenticator {
  authenticate(token: string): Promise<Principal>;
}

/**
 * Bearer JWTs from one issuer: the signature is checked against the issuer's key set (fetched from
 * `jwksUrl` and cached, so rotated keys are picked up by `kid`) or its one public key, then the
 * issuer, audience, expiry and the Servo claims. Wall-clock time is used even when Servo runs on
 * the virtual clock: tokens are minted by the real world.
 */
export function createJwtAuthenticator(
  settings: JwtSettings,
  options: JwtAuthenticatorOptions = {},
): JwtAuthenticator {
  const key = keySource(settings);
  const now = options.now ?? (() => new Date());

  return {
    async authenticate(token) {
      let payload: JWTPayload;
      try {
        // One call per overload: a key set (a function of the header) or a single key.
        const verified =
          typeof key === 'function'
            ? await jwtVerify(token, key, verifyOptions(settings, now()))
            : await jwtVerify(token, key, verifyOptions(settings, now()));
        payload = verified.payload;
      } catch (error) {
        throw explain(error, settings);
      }
      return principalOf(payload);
    },
  };
}

function verifyOptions(settings: JwtSettings, currentDate: Date) {
  return {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: settings.algorithms,
    currentDate,
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp', 'sub'],
  };
}

function keySource(settings: JwtSettings): JWTVerifyGetKey | KeyObject {
  if (settings.jwksUrl !== undefined) return createRemoteJWKSet(new URL(settings.jwksUrl));
  if (settings.publicKeyPem === undefined) {
    throw new ServoError(ErrorCode.Config, 'bearer JWTs need SERVO_JWT_JWKS_URL or SERVO_JWT_PUBLIC_KEY');
  }
  try {
    return createPublicKey(settings.publicKeyPem);
  } catch (error) {
    throw new ServoError(ErrorCode.Config, 'SERVO_JWT_PUBLIC_KEY is not a readable PEM public key', {
      cause: error,
    });
  }
}

function principalOf(payload: JWTPayload): Principal {
  const claim = (name: string): string => {
    const value = payload[name];
    if (typeof value !== 'string' || value === '') {
      throw unauthenticated(`the bearer token lacks the ${name} claim`);
    }
    return value;
  };
  const tenantId = claim(JWT_CLAIMS.tenant);
  const workspaceId = claim(JWT_CLAIMS.workspace);
  const role = claim(JWT_CLAIMS.role);
  for (const [name, value] of [
    [JWT_CLAIMS.tenant, tenantId],
    [JWT_CLAIMS.workspace, workspaceId],
  ] as const) {
    if (!SCOPE_ID_PATTERN.test(value)) {
      throw unauthenticated(`the bearer token's ${name} claim must match ${SCOPE_ID_PATTERN}`);
    }
  }
  // The subject becomes the actor recorded in the ledger, which holds at most 256 characters.
  if (typeof payload.sub !== 'string' || payload.sub.length > 250) {
    throw unauthenticated("the bearer token's sub claim must be a string of at most 250 characters");
  }
  if (!ROLES.includes(role as Role)) {
    throw unauthenticated(`the bearer token's ${JWT_CLAIMS.role} claim must be one of ${ROLES.join(', ')}`);
  }
  return { subject: `jwt:${payload.sub}`, kind: 'jwt', role: role as Role, scope: { tenantId, workspaceId } };
}

/** A message that says what is wrong with the token, never echoing the token itself. */
function explain(error: unknown, settings: JwtSettings): GraphQLError {
  if (error instanceof errors.JWTExpired) {
    const exp =
      typeof error.payload.exp === 'number' ? new Date(error.payload.exp * 1000).toISOString() : '?';
    return unauthenticated(`the bearer token expired at ${exp}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') {
      return unauthenticated(
        `the bearer token was issued by ${JSON.stringify(error.payload.iss ?? null)}; this server accepts tokens from ${JSON.stringify(settings.issuer)}`,
      );
    }
    if (error.claim === 'aud') {
      return unauthenticated(
        `the bearer token's audience is ${JSON.stringify(error.payload.aud ?? null)}; this server is ${JSON.stringify(settings.audience)}`,
      );
    }
    if (error.claim === 'nbf') return unauthenticated('the bearer token is not valid yet (nbf)');
    return unauthenticated(`the bearer token's ${error.claim} claim is missing or invalid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthenticated('the bearer token signature is not valid');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthenticated(
      `the bearer token is signed with an algorithm this server does not accept (accepted: ${settings.algorithms.join(', ')})`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthenticated("no key of the issuer's key set matches the bearer token");
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError)
  ) {
    return unavailable("the issuer's signing keys could not be fetched; try again");
  }
  return unauthenticated('the bearer token is not a valid JWT');
}
