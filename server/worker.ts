import type { IncomingMessage, Server } from 'node:http';
import type { Automation } from '../engine/automation/automation.js';
import { type AutomationRuntime, createAutomationRuntime } from '../engine/automation/runtime.js';
import { systemClock } from '../engine/clock.js';
import { createCodeLocationRegistry } from '../engine/code-location/code-location.js';
import type { TaskCallbacks } from '../engine/code-location/task-protocol.js';
import { EnvKeys, type ServoEnv } from '../engine/config/env.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { Logger } from '../engine/logging.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { CompactionLoop } from '../engine/runtime/compaction-loop.js';
import type { LedgerFollower } from '../engine/runtime/ledger-follower.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { LocalTimerQueue } from '../engine/timers/local-timer-queue.js';
import type { TimerQueue } from '../engine/timers/timer-queue.js';
import {
  cloudTasksTimerQueue,
  dispatchQueueFor,
  type LazyCloudTasks,
  lazyCloudTasksClient,
  openStorage,
  type Storage,
} from './adapters.js';
import { isLoopbackHost } from './auth.js';
import {
  drainInProcessTasks,
  type LoadedCodeLocation,
  lateCallbacks,
  loadCodeLocations,
} from './code-locations.js';
import { authenticationConfigured } from './configured-authenticator.js';
import { bearerTokenOf } from './embedded-workspaces.js';
import { automationSummary, healthReport } from './health.js';
import { createHttpServer, listen, type RouteHandler, sendJson } from './http-server.js';
import { followLedger } from './ledger-following.js';
import { type MetricSample, metricsRoute } from './metrics.js';
import { pushRoutes } from './push-routes.js';
import { taskCallbackRoutes } from './task-callbacks.js';
import { TIMER_INGEST_PATH, timerIngestRoute } from './timer-ingest-route.js';
import type { ApiRole } from './worker-api.js';
import {
  type CallerVerifier,
  createCallerVerifier,
  verifiedRoute,
  WORKER_SECRET_HEADER,
} from './worker-auth.js';
import { antiEntropyEvery, deployInBackground } from './worker-maintenance.js';
import { workerMetrics } from './worker-metrics.js';

/**
 * The roles of distributed mode (SPEC §1). A worker entrypoint runs one; the `automation`
 * entrypoint runs every role but the API in one process.
 * - `api`: GraphQL (HTTP, SSE, graphql-ws), GraphiQL and the task callbacks; records operators'
 *   commands, runs no reactors.
 * - `timer-ingest`: `POST /internal/timers/fired` from Cloud Tasks (or a local timer queue), then the
 *   reactors until quiet.
 * - `push-ingest`: `POST /push/{codeLocation}/{sensor}`, Pub/Sub push envelopes or direct messages.
 * - `run-requests`: follows the ledger and runs the reactors after every append anywhere (run
 *   requests → runs, backfill planning, admission, dispatch, task timers); deploys the configured
 *   code locations; anti-entropy; the task callbacks.
 * - `compactor`: publishes the projections (the only role that does).
 */
export type WorkerRole = 'api' | 'timer-ingest' | 'push-ingest' | 'run-requests' | 'compactor';

export const AUTOMATION_ROLES: readonly WorkerRole[] = [
  'timer-ingest',
  'push-ingest',
  'run-requests',
  'compactor',
];

export interface RunningWorker {
  url: string;
  roles: readonly WorkerRole[];
  /** The workspace the worker roles serve (`SERVO_TENANT` / `SERVO_WORKSPACE`). */
  workspace: Workspace;
  automation: Automation;
  stop(): Promise<void>;
}

const MAX_PUSH_BYTES = 1024 * 1024;

/**
 * Starts one process of distributed mode: the adapters the environment names, the workspace, the
 * engine parts its roles need, and one HTTP server (`PORT`) with their routes plus `GET /healthz`
 * and `GET /metrics`. It listens before it is ready (its own address is the default callback URL)
 * and answers 503 until then. `stop()` is the SIGTERM path: stop taking requests, let work under
 * way finish (bounded by `SERVO_SHUTDOWN_GRACE_MS`), publish what was folded.
 */
export async function startWorker(
  env: ServoEnv,
  logger: Logger,
  options: { name: string; roles: readonly WorkerRole[] },
): Promise<RunningWorker> {
  const roles = new Set(options.roles);
  const has = (role: WorkerRole) => roles.has(role);
  const endpoints = has('timer-ingest') || has('push-ingest');
  checkConfiguration(env, endpoints, has('api'));
  const clock = systemClock;
  const scope: Scope = { tenantId: env.tenantId, workspaceId: env.workspaceId };
  const storage = await openStorage(env);
  const verifier = createCallerVerifier(env.distributed.workerAuth);
  const reacts = has('timer-ingest') || has('run-requests');

  let ready: Ready | undefined;
  let api: ApiRole | undefined;
  const apiRoutes: RouteHandler = async (request, response) => {
    for (const route of api?.routes ?? []) if (await route(request, response)) return true;
    return false;
  };
  const notReady: RouteHandler = (_request, response) => {
    if (ready !== undefined) return false;
    sendJson(response, 503, { error: { code: ErrorCode.Unavailable, message: 'starting; retry shortly' } });
    return true;
  };
  const routes: RouteHandler[] = [
    notReady,
    (request, response) => (ready === undefined ? false : ready.health(request, response)),
    metricsRoute(
      (request) => mayReadDetails(request, api, verifier, scope),
      async () => (ready === undefined ? [] : ready.metrics()),
    ),
  ];
  if (has('api')) routes.push(apiRoutes);
  if (has('api') || has('run-requests')) {
    routes.push(
      taskCallbackRoutes((request) =>
        api === undefined ? ready?.callbacks : api.callbacksForToken(bearerTokenOf(request)),
      ),
    );
  }
  if (has('timer-ingest')) {
    routes.push(
      verifiedRoute(
        verifier,
        (path) => path === TIMER_INGEST_PATH,
        timerIngestRoute({
          automation: () => ready?.automation,
          timerQueue: { schedule: (timer) => requireReady(ready).timers.schedule(timer) },
          logger,
        }),
      ),
    );
  }
  if (has('push-ingest')) {
    routes.push(
      verifiedRoute(
        verifier,
        (path) => path.startsWith('/push/'),
        pushRoutes(() => requireReady(ready).automation, MAX_PUSH_BYTES),
      ),
    );
  }
  const server: Server = createHttpServer(routes, (error) => logger.error({ err: error }, 'request failed'));
  const address = await listen(server, env.port, env.host);
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  const workspace = await Workspace.open(scope, {
    store: storage.store,
    codec: createHyparquetCodec(),
    clock,
    secrets: storage.secrets,
    retention: env.retention,
    publisher: has('compactor'),
  });
  let callbacks: TaskCallbacks | undefined;
  const locations: LoadedCodeLocation[] =
    roles.size === 1 && has('compactor')
      ? []
      : await loadCodeLocations(
          env.codeLocations,
          lateCallbacks(() => callbacks),
          logger,
        );
  const cloudTasks: LazyCloudTasks | undefined =
    env.distributed.cloudTasks === undefined ? undefined : lazyCloudTasksClient(env.distributed.cloudTasks);
  const firesTimers = env.distributed.timers.kind === 'local' && has('timer-ingest');
  const localTimers = firesTimers ? new LocalTimerQueue(clock, logger, true) : undefined;
  const timers: TimerQueue =
    env.distributed.timers.kind === 'cloud-tasks' && cloudTasks !== undefined
      ? cloudTasksTimerQueue(env, cloudTasks, clock)
      : (localTimers ?? droppedTimers);
  const runtime = createAutomationRuntime({
    workspace,
    clock,
    timers,
    codeLocations: createCodeLocationRegistry(locations),
    dispatchQueue: dispatchQueueFor(env, locations, () => requireCloudTasks(cloudTasks)),
    callbackBaseUrl: env.distributed.callbackUrl ?? env.publicUrl ?? url,
    logger,
    admission: env.admission,
    reactors: reacts,
  });
  const automation = runtime.automation;
  callbacks = runtime.callbacks;

  const compaction = has('compactor')
    ? new CompactionLoop(workspace, { intervalMs: env.compactionIntervalMs, logger })
    : undefined;
  if (compaction !== undefined) {
    workspace.projections.subscribe(() => compaction.trigger(200));
    compaction.start();
    compaction.trigger(0);
  }
  const follower = followLedger({ automation, react: reacts, env, storage, logger });
  follower.start();

  if (has('api')) {
    // Loaded only here: the schema and GraphQL server cost start-up time the other roles need not pay.
    const { startApiRole } = await import('./worker-api.js');
    api = await startApiRole({
      env,
      logger,
      primary: { automation, callbacks: runtime.callbacks },
      open: (other) => openApiWorkspace(env, storage, other, logger),
    });
    api.attachWebSocket(server);
  }

  const background: { stop(): void }[] = [];
  const maintains = has('run-requests') || firesTimers;
  if (has('run-requests')) background.push(deployInBackground(automation, locations, logger));
  if (maintains) background.push(antiEntropyEvery(automation, env.antiEntropyIntervalMs, logger));
  localTimers?.start((batch) => automation.handleTimers(batch));
  if (reacts) automation.kick();

  ready = {
    automation,
    callbacks: runtime.callbacks,
    timers,
    health: async (request, response) => {
      if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/healthz') return false;
      const degraded = compaction?.lastError !== undefined || follower.stats.lastError !== undefined;
      if (!(await mayReadDetails(request, api, verifier, scope))) {
        // Enough for a load balancer's or platform's probe, which sends no credential.
        sendJson(response, 200, { status: degraded ? 'degraded' : 'ok', mode: options.name });
        return true;
      }
      const summary = reacts
        ? automationSummary(automation.tables(), localTimers?.pending().length ?? 0)
        : undefined;
      const report = await healthReport(workspace, options.name, compaction?.lastError, summary);
      sendJson(response, 200, degraded ? { ...report, status: 'degraded' } : report);
      return true;
    },
    metrics: () => workerMetrics(automation, follower, compaction, api?.responseCache),
  };
  logger.info(
    {
      url,
      roles: [...roles],
      tenant: scope.tenantId,
      workspace: scope.workspaceId,
      storage: storage.location,
      timers: env.distributed.timers.kind,
      dispatch: env.distributed.dispatch.kind,
      workerAuth: verifier.mode,
      codeLocations: locations.map((location) => location.name),
    },
    `Servo ${options.name} is running`,
  );

  return {
    url,
    roles: [...roles],
    workspace,
    automation,
    async stop() {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      for (const task of background) task.stop();
      await localTimers?.stop();
      await withinGrace(env.distributed.shutdownGraceMs, async () => {
        await automation.quiesce();
        await drainInProcessTasks(locations);
      });
      await runtime.close();
      await follower.stop();
      await api?.close();
      server.closeAllConnections();
      await closed;
      await compaction?.stop();
      await cloudTasks?.close();
    },
  };
}

interface Ready {
  automation: Automation;
  callbacks: TaskCallbacks;
  timers: TimerQueue;
  health: RouteHandler;
  metrics(): Promise<MetricSample[]>;
}

/**
 * Where a process that does not fire timers sends the timers its commands ask for, with local
 * timers: nowhere. The process that fires them (timer-ingest) derives them itself — a schedule's or
 * sensor's timer as soon as it folds the change, the others by anti-entropy.
 */
const droppedTimers: TimerQueue = { schedule: async () => {} };

/**
 * Whether a `/healthz` caller may see the workspace's report (ledger positions, counts, sensor
 * cursors): any caller when nothing is protected; otherwise one whose API credential is for this
 * workspace, or who passes the worker caller check.
 */
async function mayReadDetails(
  request: IncomingMessage,
  api: ApiRole | undefined,
  verifier: CallerVerifier,
  scope: Scope,
): Promise<boolean> {
  if ((api === undefined || !api.authenticator.required) && verifier.mode === 'none') return true;
  if (request.headers.authorization === undefined && request.headers[WORKER_SECRET_HEADER] === undefined) {
    return false;
  }
  const principal = await api?.principalOf(request.headers.authorization);
  if (principal !== undefined) {
    return principal.scope.tenantId === scope.tenantId && principal.scope.workspaceId === scope.workspaceId;
  }
  if (verifier.mode === 'none') return false;
  try {
    await verifier.verify(request);
    return true;
  } catch {
    return false;
  }
}

function checkConfiguration(env: ServoEnv, endpoints: boolean, serveApi: boolean): void {
  const problems: string[] = [];
  if (serveApi && !authenticationConfigured(env) && !isLoopbackHost(env.host)) {
    problems.push(
      `${EnvKeys.host}: refusing to serve the API on ${env.host} without authentication; configure API keys or bearer JWTs (docs/security.md), or listen on 127.0.0.1`,
    );
  }
  if (env.clock.mode === 'virtual') {
    problems.push(`${EnvKeys.clock}=virtual is for embedded mode (npm start); workers run on the real clock`);
  }
  if (endpoints && env.distributed.workerAuth.mode === 'none' && !isLoopbackHost(env.host)) {
    problems.push(
      `${EnvKeys.workerAuth}: refusing to serve worker endpoints on ${env.host} without verifying callers; set ${EnvKeys.workerAuth}=oidc (GCP) or ${EnvKeys.workerSecret}`,
    );
  }
  if (problems.length > 0) {
    throw new ServoError(ErrorCode.Config, `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
}

/** A workspace the API serves besides the workers' one: read and commanded, never automated here. */
async function openApiWorkspace(
  env: ServoEnv,
  storage: Storage,
  scope: Scope,
  logger: Logger,
): Promise<{ runtime: AutomationRuntime; follower: LedgerFollower }> {
  const workspace = await Workspace.open(scope, {
    store: storage.store,
    codec: createHyparquetCodec(),
    clock: systemClock,
    secrets: storage.secrets,
    retention: env.retention,
    publisher: false,
  });
  const runtime = createAutomationRuntime({
    workspace,
    clock: systemClock,
    // Timer tasks do not name their workspace: only the workers' own workspace may create them.
    timers: droppedTimers,
    codeLocations: createCodeLocationRegistry([]),
    dispatchQueue: {
      enqueue: () => Promise.reject(new ServoError(ErrorCode.Unavailable, 'no dispatch here')),
    },
    callbackBaseUrl: env.distributed.callbackUrl ?? env.publicUrl ?? 'http://127.0.0.1',
    logger,
    reactors: false,
  });
  const follower = followLedger({ automation: runtime.automation, react: false, env, storage, logger });
  follower.start();
  return { runtime, follower };
}

async function withinGrace(graceMs: number, work: () => Promise<void>): Promise<void> {
  let timeout: NodeJS.Timeout | undefined;
  await Promise.race([
    work(),
    new Promise<void>((done) => {
      timeout = setTimeout(done, graceMs);
      timeout.unref();
    }),
  ]);
  clearTimeout(timeout);
}

function requireReady(ready: Ready | undefined): Ready {
  if (ready === undefined) throw new ServoError(ErrorCode.Unavailable, 'starting; retry shortly');
  return ready;
}

function requireCloudTasks(client: LazyCloudTasks | undefined): LazyCloudTasks {
  if (client === undefined) throw new ServoError(ErrorCode.Config, 'Cloud Tasks is not configured');
  return client;
}
