import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalTenantSecrets, MIN_SECRET_BYTES } from './secrets.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('local tenant secrets', () => {
  it('gives processes that start together on one data directory the same, complete secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'servo-secrets-'));
    dirs.push(dir);
    // Each instance stands for a process: none shares another's cache.
    const secrets = await Promise.all(
      Array.from({ length: 20 }, () => createLocalTenantSecrets(dir).secretFor('acme')),
    );
    expect(secrets[0]?.length).toBeGreaterThanOrEqual(MIN_SECRET_BYTES);
    for (const secret of secrets) expect(Buffer.from(secret).equals(Buffer.from(secrets[0]!))).toBe(true);
    // Only the key file is left behind.
    expect(await readdir(dir)).toEqual(['acme.key']);
  });
});
