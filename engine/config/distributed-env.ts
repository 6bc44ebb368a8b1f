import { z } from 'zod';

/**
 * The environment variables of distributed mode (the worker entrypoints), parsed by `parseEnv` in
 * `env.ts` with the rest: which storage, timer and dispatch adapters a process uses, how worker
 * endpoints verify their callers, and how a process follows the ledger. docs/configuration.md
 * lists them; docs/deployment.md shows them per Cloud Run service.
 */
export const DistributedEnvKeys = {
  storage: 'SERVO_STORAGE',
  gcsBucket: 'SERVO_GCS_BUCKET',
  gcsPrefix: 'SERVO_GCS_PREFIX',
  gcsApiEndpoint: 'SERVO_GCS_API_ENDPOINT',
  timers: 'SERVO_TIMERS',
  dispatch: 'SERVO_DISPATCH',
  cloudTasksProject: 'SERVO_CLOUD_TASKS_PROJECT',
  cloudTasksLocation: 'SERVO_CLOUD_TASKS_LOCATION',
  timerQueue: 'SERVO_TIMER_QUEUE',
  dispatchQueue: 'SERVO_DISPATCH_QUEUE',
  timerIngestUrl: 'SERVO_TIMER_INGEST_URL',
  tasksOidcServiceAccount: 'SERVO_TASKS_OIDC_SERVICE_ACCOUNT',
  tasksOidcAudience: 'SERVO_TASKS_OIDC_AUDIENCE',
  cloudTasksApiEndpoint: 'SERVO_CLOUD_TASKS_API_ENDPOINT',
  workerAuth: 'SERVO_WORKER_AUTH',
  workerSecret: 'SERVO_WORKER_SECRET',
  oidcAudience: 'SERVO_OIDC_AUDIENCE',
  oidcServiceAccounts: 'SERVO_OIDC_SERVICE_ACCOUNTS',
  oidcJwksUrl: 'SERVO_OIDC_JWKS_URL',
  callbackUrl: 'SERVO_CALLBACK_URL',
  followIntervalMs: 'SERVO_FOLLOW_INTERVAL_MS',
  followMaxIntervalMs: 'SERVO_FOLLOW_MAX_INTERVAL_MS',
  shutdownGraceMs: 'SERVO_SHUTDOWN_GRACE_MS',
} as const;

/** Google's published keys for the ID tokens it signs (Cloud Tasks' and Pub/Sub's OIDC tokens). */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

const K = DistributedEnvKeys;
const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL');
const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port');
const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  );

/** The fields `EnvSchema` gains (all optional strings; cross-variable rules are in `distributedProblems`). */
export const DistributedEnvShape = {
  [K.storage]: z.enum(['local', 'gcs']).default('local'),
  [K.gcsBucket]: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a bucket name')
    .optional(),
  [K.gcsPrefix]: z
    .string()
    .regex(/^([^/~][^~]*\/)?$/, 'must be empty or a key prefix ending in "/"')
    .optional(),
  [K.gcsApiEndpoint]: httpUrl.optional(),
  [K.timers]: z.enum(['local', 'cloud-tasks']).default('local'),
  [K.dispatch]: z.enum(['direct', 'cloud-tasks']).default('direct'),
  [K.cloudTasksProject]: z.string().min(1).optional(),
  [K.cloudTasksLocation]: z.string().min(1).optional(),
  [K.timerQueue]: z.string().min(1).optional(),
  [K.dispatchQueue]: z.string().min(1).optional(),
  [K.timerIngestUrl]: httpUrl.optional(),
  [K.tasksOidcServiceAccount]: z.string().email().optional(),
  [K.tasksOidcAudience]: z.string().min(1).optional(),
  [K.cloudTasksApiEndpoint]: hostPort.optional(),
  [K.workerAuth]: z.enum(['oidc', 'secret', 'none']).optional(),
  [K.workerSecret]: z.string().min(16, 'must be at least 16 characters').optional(),
  [K.oidcAudience]: commaList.pipe(z.array(httpUrl)),
  [K.oidcServiceAccounts]: commaList.pipe(z.array(z.string().email())),
  [K.oidcJwksUrl]: httpUrl.default(GOOGLE_JWKS_URL),
  [K.callbackUrl]: httpUrl.optional(),
  [K.followIntervalMs]: z.coerce.number().int().min(10).max(60_000).default(100),
  [K.followMaxIntervalMs]: z.coerce.number().int().min(10).max(600_000).default(1000),
  [K.shutdownGraceMs]: z.coerce.number().int().min(0).max(3_600_000).default(8000),
};

const DistributedEnvSchema = z.object(DistributedEnvShape);
type Parsed = z.output<typeof DistributedEnvSchema>;

/** How a worker endpoint (timer-ingest, push-ingest) checks who is calling it. */
export type WorkerAuthSettings =
  | {
      mode: 'oidc';
      /** Accepted `aud` values: the service's URL(s); a token for `{audience}{request path}` is accepted too. */
      audiences: string[];
      /** When non-empty, the token's verified `email` must be one of these service accounts. */
      serviceAccounts: string[];
      jwksUrl: string;
    }
  | { mode: 'secret'; secret: string }
  | { mode: 'none' };

export interface CloudTasksSettings {
  project: string;
  location: string;
  /** A plaintext gRPC `host:port` standing in for the Cloud Tasks API (tests); undefined in production. */
  apiEndpoint: string | undefined;
  /** The OIDC token Cloud Tasks attaches to every task, when set. */
  oidc: { serviceAccountEmail: string; audience: string | undefined } | undefined;
}

export interface DistributedSettings {
  storage:
    | { kind: 'local' }
    | { kind: 'gcs'; bucket: string; prefix: string; apiEndpoint: string | undefined };
  timers: { kind: 'local' } | { kind: 'cloud-tasks'; queue: string; ingestUrl: string };
  dispatch: { kind: 'direct' } | { kind: 'cloud-tasks'; queue: string };
  /** Present when timers or dispatch use Cloud Tasks. */
  cloudTasks: CloudTasksSettings | undefined;
  workerAuth: WorkerAuthSettings;
  /**
   * The shared secret of the deployment's worker endpoints, when set: checked in `secret` mode, and
   * carried by every timer task this process creates (whatever its own mode), so any process may
   * schedule a timer for a timer-ingest that checks the secret.
   */
  workerSecret: string | undefined;
  /** Base URL of the task callbacks written into dispatch envelopes (default: the public URL, else this process's address). */
  callbackUrl: string | undefined;
  follow: { minIntervalMs: number; maxIntervalMs: number };
  /** How long a stopping process waits for work under way (Cloud Run allows 10 s after SIGTERM). */
  shutdownGraceMs: number;
}

/** Cross-variable rules, each a `KEY: problem` line (checked only on what parsed). */
export function distributedProblems(
  cleaned: Record<string, string>,
  publicUrl: string | undefined,
): string[] {
  const problems: string[] = [];
  const need = (key: string, when: string) => {
    if (cleaned[key] === undefined) problems.push(`${key}: required when ${when}`);
  };
  if (cleaned[K.storage] === 'gcs') need(K.gcsBucket, `${K.storage}=gcs`);
  const timers = cleaned[K.timers] === 'cloud-tasks';
  const dispatch = cleaned[K.dispatch] === 'cloud-tasks';
  if (timers || dispatch) {
    const when = `${timers ? K.timers : K.dispatch}=cloud-tasks`;
    need(K.cloudTasksProject, when);
    need(K.cloudTasksLocation, when);
  }
  if (timers) {
    need(K.timerQueue, `${K.timers}=cloud-tasks`);
    need(K.timerIngestUrl, `${K.timers}=cloud-tasks`);
  }
  if (dispatch) need(K.dispatchQueue, `${K.dispatch}=cloud-tasks`);
  const auth = cleaned[K.workerAuth] ?? (cleaned[K.workerSecret] === undefined ? 'none' : 'secret');
  if (auth === 'secret') need(K.workerSecret, `${K.workerAuth}=secret`);
  if (auth === 'oidc' && cleaned[K.oidcAudience] === undefined && publicUrl === undefined) {
    problems.push(`${K.oidcAudience}: required when ${K.workerAuth}=oidc (or set SERVO_PUBLIC_URL)`);
  }
  const min = Number(cleaned[K.followIntervalMs] ?? 100);
  const max = Number(cleaned[K.followMaxIntervalMs] ?? 1000);
  if (max < min) problems.push(`${K.followMaxIntervalMs}: must not be below ${K.followIntervalMs}`);
  return problems;
}

/** The settings, from values that passed `DistributedEnvShape` and `distributedProblems`. */
export function distributedSettingsOf(v: Parsed, publicUrl: string | undefined): DistributedSettings {
  const project = v[K.cloudTasksProject];
  const location = v[K.cloudTasksLocation];
  const oidcAccount = v[K.tasksOidcServiceAccount];
  const cloudTasks =
    project === undefined || location === undefined
      ? undefined
      : {
          project,
          location,
          apiEndpoint: v[K.cloudTasksApiEndpoint],
          oidc:
            oidcAccount === undefined
              ? undefined
              : { serviceAccountEmail: oidcAccount, audience: v[K.tasksOidcAudience] },
        };
  const secret = v[K.workerSecret];
  const authMode = v[K.workerAuth] ?? (secret === undefined ? 'none' : 'secret');
  const audiences =
    v[K.oidcAudience].length > 0 ? v[K.oidcAudience] : publicUrl === undefined ? [] : [publicUrl];
  const workerAuth: WorkerAuthSettings =
    authMode === 'oidc'
      ? { mode: 'oidc', audiences, serviceAccounts: v[K.oidcServiceAccounts], jwksUrl: v[K.oidcJwksUrl] }
      : authMode === 'secret' && secret !== undefined
        ? { mode: 'secret', secret }
        : { mode: 'none' };
  const bucket = v[K.gcsBucket];
  const timerQueue = v[K.timerQueue];
  const ingestUrl = v[K.timerIngestUrl];
  const dispatchQueue = v[K.dispatchQueue];
  return {
    storage:
      v[K.storage] === 'gcs' && bucket !== undefined
        ? { kind: 'gcs', bucket, prefix: v[K.gcsPrefix] ?? '', apiEndpoint: v[K.gcsApiEndpoint] }
        : { kind: 'local' },
    timers:
      v[K.timers] === 'cloud-tasks' && timerQueue !== undefined && ingestUrl !== undefined
        ? { kind: 'cloud-tasks', queue: timerQueue, ingestUrl }
        : { kind: 'local' },
    dispatch:
      v[K.dispatch] === 'cloud-tasks' && dispatchQueue !== undefined
        ? { kind: 'cloud-tasks', queue: dispatchQueue }
        : { kind: 'direct' },
    cloudTasks,
    workerAuth,
    workerSecret: secret,
    callbackUrl: v[K.callbackUrl],
    follow: { minIntervalMs: v[K.followIntervalMs], maxIntervalMs: v[K.followMaxIntervalMs] },
    shutdownGraceMs: v[K.shutdownGraceMs],
  };
}
