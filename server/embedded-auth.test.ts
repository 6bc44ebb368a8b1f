import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyFile, generateApiKey } from '../engine/api-keys.js';
import { parseEnv } from '../engine/config/env.js';
import { type EmbeddedServo, startEmbedded } from './embedded.js';

function recordingLogger() {
  const lines: { msg?: string; [key: string]: unknown }[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { logger, lines };
}

const base = { PORT: '0', SERVO_CLOCK: 'virtual', SERVO_CLOCK_START: '2026-11-20T00:00:00.000Z' };

describe('the embedded server and authentication', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'servo-embedded-auth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('bound to a non-loopback address without authentication, it refuses to start and opens nothing', async () => {
    const dataDir = join(dir, 'public');
    const { logger } = recordingLogger();
    await expect(
      startEmbedded(parseEnv({ ...base, SERVO_HOST: '0.0.0.0', SERVO_DATA_DIR: dataDir }), logger),
    ).rejects.toThrow(/^refusing to serve SERVO_HOST=0.0.0.0 without authentication/);
    await expect(readdir(dataDir)).rejects.toThrow(/ENOENT/);
  });

  describe('on loopback without authentication', () => {
    let servo: EmbeddedServo;
    let lines: { msg?: string; [key: string]: unknown }[];
    beforeAll(async () => {
      const recording = recordingLogger();
      lines = recording.lines;
      servo = await startEmbedded(
        parseEnv({ ...base, SERVO_HOST: '127.0.0.1', SERVO_DATA_DIR: join(dir, 'open') }),
        recording.logger,
      );
    });
    afterAll(async () => {
      await servo?.stop();
    });

    it('says at start that it runs open, and every caller is the admin of the default workspace', async () => {
      expect(lines.find((line) => line.msg === 'Servo is running')).toMatchObject({
        authentication: 'none',
        workspaces: ['default/default'],
      });
      expect(lines.map((line) => line.msg)).toContain(
        'embedded mode on loopback without authentication: every local caller is the admin of the default workspace',
      );
      const response = await fetch(`${servo.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { advanceClock(seconds: 0) { __typename } }' }),
      });
      expect(await response.json()).toEqual({ data: { advanceClock: { __typename: 'ClockAdvanced' } } });
    });
  });

  describe('with API keys, also on loopback', () => {
    let servo: EmbeddedServo;
    let key: string;
    beforeAll(async () => {
      const file = new ApiKeyFile(join(dir, 'keys.jsonl'));
      const made = generateApiKey({ tenant: 'acme', workspace: 'prod', role: 'viewer', now: new Date() });
      await file.add(made.record);
      key = made.key;
      servo = await startEmbedded(
        parseEnv({
          ...base,
          SERVO_HOST: '127.0.0.1',
          SERVO_DATA_DIR: join(dir, 'keys'),
          SERVO_API_KEYS_FILE: file.path,
          SERVO_GRAPHQL_MAX_PAGE_SIZE: '500',
        }),
        recordingLogger().logger,
      );
    });
    afterAll(async () => {
      await servo?.stop();
    });

    it('serves the default workspace and the one the key names, and needs a credential for every request', async () => {
      expect([...servo.workspaces.keys()].sort()).toEqual(['acme/prod', 'default/default']);
      const ask = (headers: Record<string, string>) =>
        fetch(`${servo.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: '{ version }' }),
        });
      const anonymous = await ask({});
      expect(anonymous.status).toBe(401);
      expect(
        ((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions
          .code,
      ).toBe('UNAUTHENTICATED');
      const keyed = await ask({ authorization: `Bearer ${key}` });
      expect(keyed.status).toBe(200);
      expect(((await keyed.json()) as { data: { version: string } }).data.version).toEqual(
        expect.any(String),
      );
    });

    it('shows the limits it was configured with', async () => {
      const response = await fetch(`${servo.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          query: '{ platformLimits { graphql { maxDepth maxPageSize maxWebSocketMessageBytes } } }',
        }),
      });
      expect(await response.json()).toEqual({
        data: {
          platformLimits: {
            graphql: { maxDepth: 20, maxPageSize: 500, maxWebSocketMessageBytes: 1_048_576 },
          },
        },
      });
    });
  });
});
