import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Automation } from '../engine/automation/automation.js';
import { createAutomationRuntime } from '../engine/automation/runtime.js';
import { type Clock, ManualClock, systemClock } from '../engine/clock.js';
import { type CodeLocation, createCodeLocationRegistry } from '../engine/code-location/code-location.js';
import { createHttpCodeLocation } from '../engine/code-location/http/http-code-location.js';
import {
  createInProcessCodeLocation,
  type InProcessCodeLocation,
} from '../engine/code-location/in-process/in-process-code-location.js';
import type { TaskCallbacks, TaskExecutor } from '../engine/code-location/task-protocol.js';
import { deployCodeLocation } from '../engine/commands/deploy.js';
import type { ServoEnv } from '../engine/config/env.js';
import { createDirectDispatchQueue } from '../engine/dispatch/dispatch-queue.js';
import type { Logger } from '../engine/logging.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { CompactionLoop } from '../engine/runtime/compaction-loop.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { createLocalTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { LocalTimerQueue } from '../engine/timers/local-timer-queue.js';
import { schema } from '../schema/index.js';
import { apiWorkspaceOf, createApiServices } from './api-services.js';
import { loopbackAuthenticator } from './auth.js';
import { loadDefinitions } from './code-server.js';
import { loadGraphiqlExamples } from './graphiql-examples.js';
import { createGraphqlServer } from './graphql.js';
import { DEFAULT_GRAPHQL_LIMITS } from './graphql-limits.js';
import { automationSummary, healthReport } from './health.js';
import { createHttpServer, listen, type RouteHandler, sendJson } from './http-server.js';
import { pushRoutes } from './push-routes.js';
import { taskCallbackRoutes } from './task-callbacks.js';
import { SERVO_VERSION } from './version.js';
import { virtualClockControl } from './virtual-clock.js';

export interface EmbeddedServo {
  url: string;
  workspace: Workspace;
  automation: Automation;
  clock: Clock;
  timers: LocalTimerQueue;
  stop(): Promise<void>;
}

export function clockFor(env: ServoEnv): Clock {
  if (env.clock.mode === 'virtual') return new ManualClock(env.clock.start ?? new Date());
  return systemClock;
}

/**
 * Servo in one process on local disk: the store under `SERVO_DATA_DIR`, the workspace's ledger and
 * projections, background compaction, automation on a local timer queue, the configured code
 * locations (the example by default, loaded in process), and the HTTP server: `GET /healthz`, the
 * task callbacks and push messages.
 */
export async function startEmbedded(env: ServoEnv, logger: Logger): Promise<EmbeddedServo> {
  const dataDir = resolve(env.dataDir);
  const clock = clockFor(env);
  const workspace = await Workspace.open(
    { tenantId: env.tenantId, workspaceId: env.workspaceId },
    {
      store: createLocalDiskObjectStore(join(dataDir, 'store')),
      codec: createHyparquetCodec(),
      clock,
      secrets: createLocalTenantSecrets(join(dataDir, 'secrets')),
      retention: env.retention,
    },
  );
  const compaction = new CompactionLoop(workspace, { intervalMs: env.compactionIntervalMs, logger });
  await compaction.compactNow();
  compaction.start();

  // The HTTP server first: code locations need its address for their callbacks.
  let callbacks: TaskCallbacks | undefined;
  let automation: Automation | undefined;
  let graphqlRoutes: RouteHandler[] = [];
  const server: Server = createHttpServer(
    [
      async (request, response) => {
        for (const route of graphqlRoutes) if (await route(request, response)) return true;
        return false;
      },
      async (request, response) => {
        if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/healthz') return false;
        const summary =
          automation === undefined
            ? undefined
            : automationSummary(automation.tables(), timers.pending().length);
        sendJson(response, 200, await healthReport(workspace, 'embedded', compaction.lastError, summary));
        return true;
      },
      taskCallbackRoutes(() => callbacks),
      pushRoutes(() => requireAutomation(automation), 1024 * 1024),
    ],
    (error) => logger.error({ err: error }, 'request failed'),
  );
  const address = await listen(server, env.port, env.host);
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  const locations: (CodeLocation & TaskExecutor)[] = [];
  const lazyCallbacks: TaskCallbacks = {
    started: (token, body) => requireCallbacks(callbacks).started(token, body),
    heartbeat: (token, body) => requireCallbacks(callbacks).heartbeat(token, body),
    finished: (token, body) => requireCallbacks(callbacks).finished(token, body),
  };
  for (const config of env.codeLocations) {
    if ('module' in config) {
      const definitions = await loadDefinitions(config.module);
      locations.push(
        createInProcessCodeLocation(definitions, lazyCallbacks, {
          logger: logger.child({ codeLocation: definitions.codeLocation }),
        }),
      );
    } else {
      locations.push(
        createHttpCodeLocation({
          name: config.name,
          baseUrl: config.url,
          ...(config.secret === undefined ? {} : { secret: config.secret }),
        }),
      );
    }
  }
  const byName = new Map(locations.map((location) => [location.name, location]));
  const timers = new LocalTimerQueue(clock, logger, env.clock.mode === 'real');
  const runtime = createAutomationRuntime({
    workspace,
    clock,
    timers,
    codeLocations: createCodeLocationRegistry(locations),
    dispatchQueue: createDirectDispatchQueue({ executorFor: (name) => byName.get(name) }),
    callbackBaseUrl: env.publicUrl ?? url,
    logger,
    admission: env.admission,
  });
  automation = runtime.automation;
  callbacks = runtime.callbacks;
  automation.workspace.projections.subscribe(() => compaction.trigger(200));

  for (const location of locations) {
    const result = await deployCodeLocation(runtime.automation, await location.describe(), 'servo:embedded');
    logger.info(
      { codeLocation: result.codeLocation, codeVersion: result.codeVersion, changed: result.changed },
      result.changed ? 'deployed code location' : 'code location unchanged',
    );
  }
  const graphql = createGraphqlServer({
    schema,
    services: createApiServices({
      version: SERVO_VERSION,
      mode: 'embedded',
      workspaces: [apiWorkspaceOf(runtime.automation)],
      ...(clock instanceof ManualClock
        ? {
            clock: virtualClockControl({
              clock,
              timers,
              automation: runtime.automation,
              drainTasks: () => drainInProcessTasks(locations),
            }),
          }
        : {}),
    }),
    authenticator: loopbackAuthenticator(workspace.scope),
    logger,
    limits: DEFAULT_GRAPHQL_LIMITS,
    examples: await loadGraphiqlExamples(),
  });
  graphqlRoutes = graphql.routes;
  graphql.attachWebSocket(server);

  timers.start((batch) => requireAutomation(automation).handleTimers(batch));
  await runtime.automation.antiEntropy();
  runtime.automation.kick();
  const antiEntropy = setInterval(() => {
    void requireAutomation(automation)
      .antiEntropy()
      .catch((error: unknown) => logger.error({ err: error }, 'anti-entropy failed'));
  }, env.antiEntropyIntervalMs);
  antiEntropy.unref();

  logger.info(
    {
      url,
      graphiql: `${url}/graphql`,
      dataDir,
      tenant: env.tenantId,
      workspace: env.workspaceId,
      clock: env.clock.mode,
      codeLocations: locations.map((location) => location.name),
    },
    'Servo is running',
  );
  if (env.host === '127.0.0.1' || env.host === 'localhost' || env.host === '::1') {
    logger.info({}, 'embedded mode on loopback: no authentication is required');
  }

  return {
    url,
    workspace,
    automation: runtime.automation,
    clock,
    timers,
    async stop() {
      clearInterval(antiEntropy);
      await timers.stop();
      // Let running attempts report, so their outcome is recorded rather than timed out later.
      await Promise.race([
        drainInProcessTasks(locations),
        new Promise((done) => setTimeout(done, 10_000).unref()),
      ]);
      await runtime.close();
      await graphql.close();
      await new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await compaction.stop();
    },
  };
}

/** Waits for in-process code locations' running task attempts; true when there were any. */
async function drainInProcessTasks(locations: readonly (CodeLocation & TaskExecutor)[]): Promise<boolean> {
  let waited = false;
  for (const location of locations) {
    if (!isInProcess(location) || location.runningTasks() === 0) continue;
    waited = true;
    await location.drain();
  }
  return waited;
}

function isInProcess(location: CodeLocation & TaskExecutor): location is InProcessCodeLocation {
  return 'drain' in location && 'runningTasks' in location;
}

function requireCallbacks(callbacks: TaskCallbacks | undefined): TaskCallbacks {
  if (callbacks === undefined) throw new Error('task callbacks are not ready yet');
  return callbacks;
}

function requireAutomation(automation: Automation | undefined): Automation {
  if (automation === undefined) throw new Error('automation is not ready yet');
  return automation;
}
