import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyFile,
  apiKeyMatches,
  createApiKeyStore,
  generateApiKey,
  hashApiKey,
  parseApiKeyLines,
  verifyApiKey,
} from './api-keys.js';
import { isServoError } from './errors.js';

const NOW = new Date('2026-11-20T00:00:00.000Z');

function makeKey(role: 'viewer' | 'operator' | 'admin' = 'operator') {
  return generateApiKey({ tenant: 'acme', workspace: 'prod', role, name: 'ci', now: NOW });
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isServoError(error, 'UNAUTHORIZED')) return error.message;
    throw error;
  }
  throw new Error('expected the key to be refused');
}

describe('API keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'servo-api-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are servo_<keyId>_<secret> and their record holds a SHA-256 digest, never the key or its secret', () => {
    const { key, record } = makeKey();
    expect(key).toMatch(/^servo_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`servo_${record.keyId}_`)).toBe(true);
    expect(record.hash).toBe(hashApiKey(key));
    const secret = key.slice(`servo_${record.keyId}_`.length);
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(record).toMatchObject({ tenant: 'acme', workspace: 'prod', role: 'operator', revokedAt: null });
  });

  it('two keys never share an id or a secret', () => {
    const first = makeKey();
    const second = makeKey();
    expect(first.record.keyId).not.toBe(second.record.keyId);
    expect(first.key).not.toBe(second.key);
  });

  it('match only the exact key they were made for', () => {
    const { key, record } = makeKey();
    expect(apiKeyMatches(record, key)).toBe(true);
    const flipped = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(apiKeyMatches(record, flipped)).toBe(false);
    expect(apiKeyMatches(record, `${key}x`)).toBe(false);
    expect(apiKeyMatches(record, '')).toBe(false);
  });

  it('authenticate as their record, and refuse a wrong secret, an unknown id, a malformed key and a revoked key with reasons', async () => {
    const { key, record } = makeKey();
    const other = makeKey();
    const revoked = makeKey('admin');
    const store = createApiKeyStore({
      records: [record, { ...revoked.record, revokedAt: '2026-11-21T00:00:00.000Z' }],
    });
    expect(await verifyApiKey(store, key)).toEqual(record);

    const wrongSecret = `servo_${record.keyId}_${other.key.slice(-43)}`;
    expect(await reasonOf(verifyApiKey(store, wrongSecret))).toBe(`API key ${record.keyId} is not valid`);
    expect(await reasonOf(verifyApiKey(store, other.key))).toBe(`API key ${other.record.keyId} is not valid`);
    expect(await reasonOf(verifyApiKey(store, 'servo_nope'))).toMatch(/malformed/);
    expect(await reasonOf(verifyApiKey(store, revoked.key))).toBe(
      `API key ${revoked.record.keyId} was revoked at 2026-11-21T00:00:00.000Z`,
    );
  });

  it('are kept in a JSON-lines file readable only by its owner; revoking keeps the key listed as revoked', async () => {
    const path = join(dir, 'nested', 'keys.jsonl');
    const file = new ApiKeyFile(path);
    expect(await file.read()).toEqual([]);
    const first = makeKey('viewer');
    const second = makeKey('admin');
    await file.add(first.record);
    await file.add(second.record);
    const text = await readFile(path, 'utf8');
    expect(
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([first.record, second.record]);
    expect(text).not.toContain(first.key.slice(-43));
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    await expect(file.add(first.record)).rejects.toThrow(/already exists/);
    const revoked = await file.revoke(first.record.keyId, NOW);
    expect(revoked.revokedAt).toBe(NOW.toISOString());
    expect((await file.read()).map((record) => record.revokedAt)).toEqual([NOW.toISOString(), null]);
    await expect(file.revoke('0123456789abcdef', NOW)).rejects.toThrow(/no API key 0123456789abcdef/);
  });

  it('a store notices a revocation written to its file', async () => {
    const path = join(dir, 'live.jsonl');
    const file = new ApiKeyFile(path);
    const { key, record } = makeKey();
    await file.add(record);
    const store = createApiKeyStore({ file: path, refreshMs: 0 });
    expect((await verifyApiKey(store, key)).keyId).toBe(record.keyId);
    await file.revoke(record.keyId, NOW);
    expect(await reasonOf(verifyApiKey(store, key))).toMatch(/was revoked/);
  });

  it('a key file with a bad line is refused naming the line, and the store fails closed', async () => {
    const { record } = makeKey();
    const text = `${JSON.stringify(record)}\n\n{"keyId":"x"}\nnot json\n${JSON.stringify(record)}\n`;
    expect(() => parseApiKeyLines(text, 'keys.jsonl')).toThrow(
      /line 3: .*\n.*line 4: not JSON\n.*appears twice/,
    );

    const path = join(dir, 'broken.jsonl');
    await writeFile(path, 'not json\n');
    const store = createApiKeyStore({ file: path, refreshMs: 0 });
    await expect(store.records()).rejects.toThrow(/not a valid API key file/);
  });

  it('a key id both in the file and inline is refused', async () => {
    const path = join(dir, 'clash.jsonl');
    const { record } = makeKey();
    await new ApiKeyFile(path).add(record);
    const store = createApiKeyStore({ file: path, records: [record], refreshMs: 0 });
    await expect(store.records()).rejects.toThrow(/both in/);
  });
});
