import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { WorkerAuthSettings } from '../engine/config/distributed-env.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import { type RouteHandler, sendJson } from './http-server.js';

/** The issuers of Google-signed ID tokens (both spellings occur). */
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/** The header that carries the shared secret (`Authorization: Bearer <secret>` is accepted too). */
export const WORKER_SECRET_HEADER = 'x-servo-worker-secret';

/** Leeway for clocks that disagree a little, applied to `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** Checks who is calling a worker endpoint. */
export interface CallerVerifier {
  readonly mode: WorkerAuthSettings['mode'];
  /**
   * Resolves when the caller may call; rejects with `UNAUTHORIZED` (answer 401) saying what is wrong
   * with the credential, never echoing it, or `UNAVAILABLE` (503) when the keys to check it against
   * cannot be fetched.
   */
  verify(request: IncomingMessage): Promise<void>;
}

export interface CallerVerifierOptions {
  /** The time tokens are checked against. @default the system clock */
  now?: () => Date;
  /** The issuer's key set. @default fetched from the settings' JWKS URL and cached */
  keys?: JWTVerifyGetKey;
}

/**
 * The caller check of the timer-ingest and push-ingest endpoints (SPEC §7):
 * - `oidc` (GCP): a Google-signed ID token as `Authorization: Bearer …`, as Cloud Tasks and Pub/Sub
 *   push send it: signature against Google's keys, issuer, expiry, audience — the service URL, or
 *   the service URL followed by the request's path (Cloud Tasks' default audience is the task URL)
 *   — and, when service accounts are listed, a verified `email` among them.
 * - `secret`: the shared secret in `x-servo-worker-secret` (or as a bearer token), compared in
 *   constant time.
 * - `none`: every caller is accepted (loopback only; the worker refuses it on other addresses).
 */
export function createCallerVerifier(
  settings: WorkerAuthSettings,
  options: CallerVerifierOptions = {},
): CallerVerifier {
  if (settings.mode === 'none') return { mode: 'none', verify: async () => {} };
  if (settings.mode === 'secret') {
    const expected = digest(settings.secret);
    return {
      mode: 'secret',
      async verify(request) {
        const header = request.headers[WORKER_SECRET_HEADER];
        const presented = typeof header === 'string' ? header : bearerToken(request);
        if (presented === undefined) {
          throw unauthorized(`a worker secret is required (${WORKER_SECRET_HEADER} header)`);
        }
        if (!timingSafeEqual(digest(presented), expected)) throw unauthorized('the worker secret is wrong');
      },
    };
  }
  const keys = options.keys ?? createRemoteJWKSet(new URL(settings.jwksUrl));
  const now = options.now ?? (() => new Date());
  const accepted = new Set(settings.serviceAccounts);
  return {
    mode: 'oidc',
    async verify(request) {
      const token = bearerToken(request);
      if (token === undefined) {
        throw unauthorized('an OIDC ID token is required (Authorization: Bearer <token>)');
      }
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      const audience = settings.audiences.flatMap((base) => [base, `${base.replace(/\/+$/, '')}${path}`]);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: GOOGLE_ISSUERS,
          audience,
          algorithms: ['RS256'],
          currentDate: now(),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'iat'],
        }));
      } catch (error) {
        throw explain(error);
      }
      if (accepted.size > 0) {
        const email = typeof payload.email === 'string' ? payload.email : undefined;
        if (email === undefined || payload.email_verified !== true || !accepted.has(email)) {
          throw unauthorized('the ID token is not from an accepted service account');
        }
      }
    },
  };
}

/**
 * Wraps `route` so that requests it would handle are verified first: a caller that fails the check
 * gets 401 (or 503) before its body is read, and nothing is appended.
 */
export function verifiedRoute(
  verifier: CallerVerifier,
  handles: (path: string) => boolean,
  route: RouteHandler,
): RouteHandler {
  return async (request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (!handles(path)) return false;
    try {
      await verifier.verify(request);
    } catch (error) {
      const unavailable = error instanceof ServoError && error.code === ErrorCode.Unavailable;
      if (!unavailable) response.setHeader('www-authenticate', 'Bearer');
      sendJson(response, unavailable ? 503 : 401, {
        error: {
          code: error instanceof ServoError ? error.code : ErrorCode.Unauthorized,
          message: error instanceof Error ? error.message : 'the caller could not be verified',
        },
      });
      return true;
    }
    return route(request, response);
  };
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function unauthorized(message: string): ServoError {
  return new ServoError(ErrorCode.Unauthorized, message);
}

/** Says what is wrong with a token, in words that help whoever configured the caller. */
function explain(error: unknown): ServoError {
  if (error instanceof errors.JWTExpired) return unauthorized('the ID token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim === 'aud' ? 'audience' : error.claim === 'iss' ? 'issuer' : error.claim;
    return unauthorized(`the ID token's ${claim} is not accepted here`);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthorized('the ID token is not signed by Google');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return unauthorized('the ID token is not signed by Google');
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error instanceof TypeError
  ) {
    return new ServoError(ErrorCode.Unavailable, 'the keys to check ID tokens cannot be fetched now', {
      cause: error,
    });
  }
  return unauthorized('the credential is not a valid ID token');
}
