import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../errors.js';
import { GOOGLE_JWKS_URL } from './distributed-env.js';
import { EnvKeys, parseEnv } from './env.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseEnv(env);
  } catch (error) {
    if (isServoError(error, ErrorCode.Config)) return error.details.problems as string[];
    throw error;
  }
  throw new Error('the environment was accepted');
}

describe('distributed-mode configuration', () => {
  it('defaults to local storage, local timers, direct dispatch and no caller check', () => {
    const { distributed } = parseEnv({});
    expect(distributed).toMatchObject({
      storage: { kind: 'local' },
      timers: { kind: 'local' },
      dispatch: { kind: 'direct' },
      cloudTasks: undefined,
      workerAuth: { mode: 'none' },
      follow: { minIntervalMs: 100, maxIntervalMs: 1000 },
      shutdownGraceMs: 8000,
    });
  });

  it('reads a GCP deployment: GCS, Cloud Tasks queues, OIDC-verified callers', () => {
    const { distributed } = parseEnv({
      SERVO_STORAGE: 'gcs',
      SERVO_GCS_BUCKET: 'acme-servo',
      SERVO_GCS_PREFIX: 'prod/',
      SERVO_TIMERS: 'cloud-tasks',
      SERVO_DISPATCH: 'cloud-tasks',
      SERVO_CLOUD_TASKS_PROJECT: 'acme-prod',
      SERVO_CLOUD_TASKS_LOCATION: 'europe-west1',
      SERVO_TIMER_QUEUE: 'servo-timers',
      SERVO_DISPATCH_QUEUE: 'servo-dispatch',
      SERVO_TIMER_INGEST_URL: 'https://timer-ingest-abc-ew.a.run.app/internal/timers/fired',
      SERVO_TASKS_OIDC_SERVICE_ACCOUNT: 'servo-tasks@acme-prod.iam.gserviceaccount.com',
      SERVO_WORKER_AUTH: 'oidc',
      SERVO_PUBLIC_URL: 'https://timer-ingest-abc-ew.a.run.app',
      SERVO_OIDC_SERVICE_ACCOUNTS:
        'servo-tasks@acme-prod.iam.gserviceaccount.com, pubsub@acme-prod.iam.gserviceaccount.com',
    });
    expect(distributed.storage).toEqual({
      kind: 'gcs',
      bucket: 'acme-servo',
      prefix: 'prod/',
      apiEndpoint: undefined,
    });
    expect(distributed.timers).toEqual({
      kind: 'cloud-tasks',
      queue: 'servo-timers',
      ingestUrl: 'https://timer-ingest-abc-ew.a.run.app/internal/timers/fired',
    });
    expect(distributed.dispatch).toEqual({ kind: 'cloud-tasks', queue: 'servo-dispatch' });
    expect(distributed.cloudTasks).toEqual({
      project: 'acme-prod',
      location: 'europe-west1',
      apiEndpoint: undefined,
      oidc: { serviceAccountEmail: 'servo-tasks@acme-prod.iam.gserviceaccount.com', audience: undefined },
    });
    // The audience defaults to the service's public URL.
    expect(distributed.workerAuth).toEqual({
      mode: 'oidc',
      audiences: ['https://timer-ingest-abc-ew.a.run.app'],
      serviceAccounts: [
        'servo-tasks@acme-prod.iam.gserviceaccount.com',
        'pubsub@acme-prod.iam.gserviceaccount.com',
      ],
      jwksUrl: GOOGLE_JWKS_URL,
    });
  });

  it('uses the shared secret when one is given', () => {
    expect(parseEnv({ SERVO_WORKER_SECRET: 'a-long-enough-secret' }).distributed.workerAuth).toEqual({
      mode: 'secret',
      secret: 'a-long-enough-secret',
    });
    // In OIDC mode the secret is still what this process's timer tasks carry.
    const oidc = parseEnv({
      SERVO_WORKER_AUTH: 'oidc',
      SERVO_PUBLIC_URL: 'https://timer-ingest-abc-ew.a.run.app',
      SERVO_WORKER_SECRET: 'a-long-enough-secret',
    }).distributed;
    expect(oidc.workerAuth.mode).toBe('oidc');
    expect(oidc.workerSecret).toBe('a-long-enough-secret');
  });

  it('reports every missing companion variable at once', () => {
    const problems = problemsOf({
      SERVO_STORAGE: 'gcs',
      SERVO_TIMERS: 'cloud-tasks',
      SERVO_DISPATCH: 'cloud-tasks',
      SERVO_WORKER_AUTH: 'oidc',
      SERVO_FOLLOW_INTERVAL_MS: '500',
      SERVO_FOLLOW_MAX_INTERVAL_MS: '200',
    });
    for (const key of [
      'SERVO_GCS_BUCKET',
      'SERVO_CLOUD_TASKS_PROJECT',
      'SERVO_CLOUD_TASKS_LOCATION',
      'SERVO_TIMER_QUEUE',
      'SERVO_TIMER_INGEST_URL',
      'SERVO_DISPATCH_QUEUE',
      'SERVO_OIDC_AUDIENCE',
      'SERVO_FOLLOW_MAX_INTERVAL_MS',
    ]) {
      expect(
        problems.some((problem) => problem.startsWith(`${key}:`)),
        `${key} in ${problems.join('; ')}`,
      ).toBe(true);
    }
  });

  it('refuses malformed values, naming the variable', () => {
    const problems = problemsOf({
      SERVO_STORAGE: 's3',
      SERVO_WORKER_SECRET: 'short',
      SERVO_OIDC_AUDIENCE: 'not a url',
      SERVO_CLOUD_TASKS_API_ENDPOINT: 'localhost',
      SERVO_GCS_PREFIX: 'no-trailing-slash',
    });
    for (const key of [
      'SERVO_STORAGE',
      'SERVO_WORKER_SECRET',
      'SERVO_OIDC_AUDIENCE',
      'SERVO_CLOUD_TASKS_API_ENDPOINT',
      'SERVO_GCS_PREFIX',
    ]) {
      expect(
        problems.some((problem) => problem.startsWith(key)),
        `${key} in ${problems.join('; ')}`,
      ).toBe(true);
    }
  });

  it('documents every environment variable in docs/configuration.md', async () => {
    const documentation = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const documented = new Set(
      [...documentation.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]),
    );
    const missing = Object.values(EnvKeys).filter((key) => !documented.has(key));
    expect(missing).toEqual([]);
  });
});
