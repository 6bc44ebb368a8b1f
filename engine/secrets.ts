import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, ServoError } from './errors.js';
import { SCOPE_ID_PATTERN } from './model/common.js';

/**
 * Where each tenant's secret comes from. The secret keys the HMAC that derives run ids from run
 * keys, so every process that folds a tenant's ledger must get the same secret, and it is never
 * empty.
 */
export interface TenantSecrets {
  secretFor(tenantId: string): Promise<Uint8Array>;
}

/** Minimum secret length in bytes. */
export const MIN_SECRET_BYTES = 16;

/**
 * Local storage: one secret per tenant in `{dir}/{tenant}.key` (base64 of 32 random bytes),
 * created on first use so that processes starting together on one data directory agree on it,
 * and readable only by the owner.
 */
export function createLocalTenantSecrets(dir: string): TenantSecrets {
  const cache = new Map<string, Uint8Array>();
  return {
    async secretFor(tenantId) {
      const cached = cache.get(tenantId);
      if (cached !== undefined) return cached;
      if (!SCOPE_ID_PATTERN.test(tenantId))
        throw new ServoError(ErrorCode.InvalidInput, `invalid tenant id ${tenantId}`);
      const path = join(dir, `${tenantId}.key`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // Written in full under a temporary name, then linked into place: the link either creates the
      // key file with its whole content or finds another process's, so no reader sees it half written.
      const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temp, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
      try {
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        await unlink(temp).catch(() => {});
      }
      const secret = decodeSecret((await readFile(path, 'utf8')).trim(), `secret file ${path}`);
      cache.set(tenantId, secret);
      return secret;
    },
  };
}

/** Distributed mode: secrets given by configuration (`SERVO_TENANT_SECRETS`); unknown tenants are refused. */
export function createStaticTenantSecrets(secrets: Record<string, string>): TenantSecrets {
  const decoded = new Map(
    Object.entries(secrets).map(([tenant, value]) => [
      tenant,
      decodeSecret(value, `secret of tenant ${tenant}`),
    ]),
  );
  return {
    async secretFor(tenantId) {
      const secret = decoded.get(tenantId);
      if (secret === undefined) {
        throw new ServoError(
          ErrorCode.Config,
          `no secret is configured for tenant ${tenantId} (SERVO_TENANT_SECRETS)`,
        );
      }
      return secret;
    },
  };
}

function decodeSecret(base64: string, what: string): Uint8Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new ServoError(ErrorCode.Config, `${what} must be base64 of at least ${MIN_SECRET_BYTES} bytes`);
  }
  return new Uint8Array(bytes);
}
