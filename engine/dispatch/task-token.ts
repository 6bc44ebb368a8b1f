import { errors, jwtVerify, SignJWT } from 'jose';
import { ErrorCode, ServoError } from '../errors.js';
import { hmacSha256 } from '../model/hashing.js';

/** What a task token grants: the callbacks of one attempt of one task, until it expires. */
export interface TaskTokenClaims {
  tenantId: string;
  workspaceId: string;
  runId: string;
  taskKey: string;
  attempt: number;
  attemptId: string;
}

const ISSUER = 'servo';
const AUDIENCE = 'servo-task-callbacks';

/**
 * Signs and verifies task tokens: HS256 JWTs bound to tenant, workspace, run, task and attempt, with
 * an expiry. The signing key is derived from the tenant secret (HMAC with a fixed label), so it is
 * never the secret itself and differs from the key that derives run ids.
 */
export class TaskTokens {
  private readonly key: Uint8Array;

  constructor(
    tenantSecret: Uint8Array,
    /** Lifetime of a token. Default 24 h: it must outlive the longest attempt. */
    private readonly ttlSeconds = 86_400,
  ) {
    this.key = hmacSha256(tenantSecret, 'servo task token signing key v1');
  }

  async sign(claims: TaskTokenClaims, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + this.ttlSeconds) * 1000);
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(`${claims.runId}/${claims.taskKey}/${claims.attempt}`)
      .setIssuedAt(issuedAt)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The token's claims, or UNAUTHORIZED naming why it is refused (forged, expired, malformed). */
  async verify(token: string, now: Date): Promise<TaskTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now,
      });
      const { tenantId, workspaceId, runId, taskKey, attempt, attemptId } = payload as Record<
        string,
        unknown
      >;
      if (
        typeof tenantId !== 'string' ||
        typeof workspaceId !== 'string' ||
        typeof runId !== 'string' ||
        typeof taskKey !== 'string' ||
        typeof attempt !== 'number' ||
        typeof attemptId !== 'string'
      ) {
        throw new ServoError(ErrorCode.Unauthorized, 'task token lacks its task claims');
      }
      return { tenantId, workspaceId, runId, taskKey, attempt, attemptId };
    } catch (error) {
      if (error instanceof ServoError) throw error;
      const reason =
        error instanceof errors.JWTExpired
          ? 'task token expired'
          : error instanceof errors.JWSSignatureVerificationFailed
            ? 'task token signature is invalid'
            : 'task token is malformed or not for task callbacks';
      throw new ServoError(ErrorCode.Unauthorized, reason, { cause: error });
    }
  }
}
