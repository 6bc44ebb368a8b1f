import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyStore, verifyApiKey } from '../engine/api-keys.js';

const run = promisify(execFile);
const CLI = new URL('./cli.ts', import.meta.url).pathname;

async function servo(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd: new URL('..', import.meta.url).pathname,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('servo api-key', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'servo-cli-'));
    env = { SERVO_API_KEYS_FILE: join(dir, 'keys.jsonl'), SERVO_TENANT: 'acme', SERVO_WORKSPACE: 'prod' };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a key shown once, lists it without its secret, and revokes it', async () => {
    const created = await servo(['api-key', 'create', '--role', 'operator', '--name', 'ci deploys'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^servo_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const keyId = key.split('_')[1] as string;
    expect(created.stderr).toContain(`created API key ${keyId} (operator of acme/prod)`);

    const file = await readFile(env.SERVO_API_KEYS_FILE as string, 'utf8');
    expect(file).not.toContain(key.slice(-43));
    const store = createApiKeyStore({ file: env.SERVO_API_KEYS_FILE as string, refreshMs: 0 });
    expect(await verifyApiKey(store, key)).toMatchObject({
      keyId,
      tenant: 'acme',
      workspace: 'prod',
      role: 'operator',
    });

    const listed = await servo(['api-key', 'list'], env);
    expect(listed.stdout).toMatch(
      new RegExp(`${keyId}\\s+acme/prod\\s+operator\\s+\\S+\\s+active\\s+ci deploys`),
    );
    expect(listed.stdout).not.toContain(key.slice(-43));

    const revoked = await servo(['api-key', 'revoke', keyId], env);
    expect(revoked.stdout).toMatch(new RegExp(`^revoked API key ${keyId} at `));
    await expect(verifyApiKey(store, key)).rejects.toThrow(/was revoked/);
    expect((await servo(['api-key', 'list'], env)).stdout).toMatch(new RegExp(`${keyId}.*revoked`));
  });

  it('refuses an unknown role, and works only with a key file configured', async () => {
    const badRole = await servo(['api-key', 'create', '--role', 'root'], env);
    expect(badRole).toMatchObject({ code: 1, stderr: '--role must be one of viewer, operator, admin\n' });
    const noFile = await servo(['api-key', 'list'], {});
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/set SERVO_API_KEYS_FILE/);
  });
});
