import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ErrorCode, ServoError } from './errors.js';
import { ScopeId } from './model/common.js';

/**
 * Servo-issued API keys. A key is `servo_<keyId>_<secret>`: the key id (16 lowercase hex
 * characters) names the key in logs, listings and the ledger's actor fields; the secret is 32
 * random bytes in base64url. Servo keeps only a SHA-256 digest of the whole key, never the key:
 * with 256 random bits a fast digest cannot be reversed or guessed, so a slow password hash would
 * add latency to every request and no protection.
 */

export const API_KEY_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

const KEY_PREFIX = 'servo_';
const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
const KEY_PATTERN = /^servo_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const HASH_PATTERN = /^sha256:[A-Za-z0-9_-]{43}$/;

/** One key as stored: the digest of the key and what it grants. */
export const ApiKeyRecord = z.strictObject({
  keyId: z.string().regex(KEY_ID_PATTERN, 'must be 16 lowercase hex characters'),
  /** `sha256:` + base64url of SHA-256 over the whole key's UTF-8 bytes. */
  hash: z.string().regex(HASH_PATTERN, 'must be sha256:<43 base64url characters>'),
  tenant: ScopeId,
  workspace: ScopeId,
  role: z.enum(API_KEY_ROLES),
  /** What the key is for, shown by `servo api-key list`. */
  name: z.string().max(200).optional(),
  createdAt: z.iso.datetime({ offset: true }).optional(),
  /** Set when the key was revoked; a revoked key authenticates no one. */
  revokedAt: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

export function isApiKeyShaped(token: string): boolean {
  return token.startsWith(KEY_PREFIX);
}

/** The digest stored for `key`. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

/** A new key and its record. The key is shown once; only the record is kept. */
export function generateApiKey(grant: {
  tenant: string;
  workspace: string;
  role: ApiKeyRole;
  name?: string;
  now: Date;
}): { key: string; record: ApiKeyRecord } {
  const keyId = randomBytes(8).toString('hex');
  const key = `${KEY_PREFIX}${keyId}_${randomBytes(32).toString('base64url')}`;
  const record = ApiKeyRecord.parse({
    keyId,
    hash: hashApiKey(key),
    tenant: grant.tenant,
    workspace: grant.workspace,
    role: grant.role,
    ...(grant.name === undefined ? {} : { name: grant.name }),
    createdAt: grant.now.toISOString(),
    revokedAt: null,
  });
  return { key, record };
}

/** Whether `key` is the key `record` was made for, compared in constant time. */
export function apiKeyMatches(record: ApiKeyRecord, key: string): boolean {
  const expected = Buffer.from(record.hash.slice('sha256:'.length), 'base64url');
  const actual = Buffer.from(hashApiKey(key).slice('sha256:'.length), 'base64url');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Where the server looks keys up. */
export interface ApiKeyStore {
  /** Every record (revoked ones included), reloaded when the file changed. */
  records(): Promise<readonly ApiKeyRecord[]>;
}

/**
 * The record a presented key authenticates as. Throws `ServoError` UNAUTHORIZED saying why not
 * (malformed, unknown or wrong secret — one message for both, revoked).
 */
export async function verifyApiKey(store: ApiKeyStore, key: string): Promise<ApiKeyRecord> {
  const match = KEY_PATTERN.exec(key);
  if (match === null) {
    throw new ServoError(ErrorCode.Unauthorized, 'the API key is malformed: expected servo_<keyId>_<secret>');
  }
  const keyId = match[1] as string;
  const record = (await store.records()).find((candidate) => candidate.keyId === keyId);
  // Compare against something even when the id is unknown, so both paths take the same time.
  const matches = apiKeyMatches(record ?? UNKNOWN_KEY, key);
  if (record === undefined || !matches) {
    throw new ServoError(ErrorCode.Unauthorized, `API key ${keyId} is not valid`);
  }
  if (record.revokedAt != null) {
    throw new ServoError(ErrorCode.Unauthorized, `API key ${keyId} was revoked at ${record.revokedAt}`);
  }
  return record;
}

const UNKNOWN_KEY: ApiKeyRecord = {
  keyId: '0000000000000000',
  hash: hashApiKey('servo_unknown'),
  tenant: 'unknown',
  workspace: 'unknown',
  role: 'viewer',
};

/** Parses a key file: JSON lines, one `ApiKeyRecord` each; blank lines are ignored. */
export function parseApiKeyLines(text: string, source: string): ApiKeyRecord[] {
  const records: ApiKeyRecord[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      const parsed = ApiKeyRecord.safeParse(JSON.parse(line));
      if (parsed.success) records.push(parsed.data);
      else
        problems.push(
          `line ${index + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`,
        );
    } catch {
      problems.push(`line ${index + 1}: not JSON`);
    }
  }
  const ids = new Set<string>();
  for (const record of records) {
    if (ids.has(record.keyId)) problems.push(`key id ${record.keyId} appears twice`);
    ids.add(record.keyId);
  }
  if (problems.length > 0) {
    throw new ServoError(
      ErrorCode.Config,
      `${source} is not a valid API key file:\n  ${problems.join('\n  ')}`,
      {
        details: { problems },
      },
    );
  }
  return records;
}

function formatApiKeyLines(records: readonly ApiKeyRecord[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}

/**
 * The API key file (`SERVO_API_KEYS_FILE`). A missing file holds no keys. Writes replace the file
 * atomically (a new file renamed over it), readable by its owner only, so a server reading it
 * never sees half a change.
 */
export class ApiKeyFile {
  constructor(readonly path: string) {}

  async read(): Promise<ApiKeyRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return parseApiKeyLines(text, this.path);
  }

  async add(record: ApiKeyRecord): Promise<void> {
    const records = await this.read();
    if (records.some((existing) => existing.keyId === record.keyId)) {
      throw new ServoError(ErrorCode.IllegalState, `key id ${record.keyId} already exists in ${this.path}`);
    }
    await this.write([...records, record]);
  }

  /** Marks a key revoked (it stays listed). Returns the updated record. */
  async revoke(keyId: string, now: Date): Promise<ApiKeyRecord> {
    const records = await this.read();
    const index = records.findIndex((record) => record.keyId === keyId);
    const record = records[index];
    if (record === undefined) throw new ServoError(ErrorCode.NotFound, `no API key ${keyId} in ${this.path}`);
    if (record.revokedAt != null) return record;
    const revoked = { ...record, revokedAt: now.toISOString() };
    records[index] = revoked;
    await this.write(records);
    return revoked;
  }

  private async write(records: readonly ApiKeyRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, formatApiKeyLines(records), { mode: 0o600, flag: 'wx' });
    await rename(temporary, this.path);
  }
}

export interface ApiKeyStoreOptions {
  /** The key file; re-read when its modification time or size changes. */
  file?: string;
  /** Keys given inline (`SERVO_API_KEYS`). */
  records?: readonly ApiKeyRecord[];
  /**
   * How often, at most, the file is checked for changes (a revocation takes effect within this).
   * @default 1000
   */
  refreshMs?: number;
}

/**
 * Keys from a file and/or inline records. The file is checked at most every `refreshMs`; a file
 * that stops parsing makes every lookup fail (closed) until it parses again.
 */
export function createApiKeyStore(options: ApiKeyStoreOptions): ApiKeyStore {
  const inline = options.records ?? [];
  const file = options.file === undefined ? undefined : new ApiKeyFile(options.file);
  const refreshMs = options.refreshMs ?? 1000;
  let loaded: { records: readonly ApiKeyRecord[]; version: string; checkedAt: number } | undefined;
  let loading: Promise<readonly ApiKeyRecord[]> | undefined;

  const load = async (): Promise<readonly ApiKeyRecord[]> => {
    if (file === undefined) return inline;
    const version = await fileVersion(file.path);
    if (loaded !== undefined && loaded.version === version) {
      loaded.checkedAt = Date.now();
      return loaded.records;
    }
    loaded = undefined;
    const fromFile = await file.read();
    const inlineIds = new Set(inline.map((record) => record.keyId));
    const clash = fromFile.find((record) => inlineIds.has(record.keyId));
    if (clash !== undefined) {
      throw new ServoError(
        ErrorCode.Config,
        `key id ${clash.keyId} is both in ${file.path} and in SERVO_API_KEYS`,
      );
    }
    const records = [...inline, ...fromFile];
    loaded = { records, version, checkedAt: Date.now() };
    return records;
  };

  return {
    async records() {
      if (file === undefined) return inline;
      if (loaded !== undefined && Date.now() - loaded.checkedAt < refreshMs) return loaded.records;
      loading ??= load().finally(() => {
        loading = undefined;
      });
      return loading;
    },
  };
}

async function fileVersion(path: string): Promise<string> {
  try {
    const info = await stat(path);
    return `${info.mtimeMs}:${info.size}:${info.ino}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}
