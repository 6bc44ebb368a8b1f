import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Automation } from '../engine/automation/automation.js';
import { createAutomationRuntime } from '../engine/automation/runtime.js';
import { type Clock, ManualClock, systemClock } from '../engine/clock.js';
import { createCodeLocationRegistry } from '../engine/code-location/code-location.js';
import type { TaskCallbacks } from '../engine/code-location/task-protocol.js';
import { deployCodeLocation } from '../engine/commands/deploy.js';
import type { ServoEnv } from '../engine/config/env.js';
import { createDirectDispatchQueue } from '../engine/dispatch/dispatch-queue.js';
import type { Logger } from '../engine/logging.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { CompactionLoop } from '../engine/runtime/compaction-loop.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { createLocalTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { watchLocalDiskPrefix } from '../engine/storage/local-disk-watch.js';
import { LocalTimerQueue } from '../engine/timers/local-timer-queue.js';
import { schema } from '../schema/index.js';
import { apiWorkspaceOf, createApiServices } from './api-services.js';
import { drainInProcessTasks, loadCodeLocations } from './code-locations.js';
import { configuredAuthentication, servedScopes } from './configured-authenticator.js';
import {
  authenticatedPushRoutes,
  bearerTokenOf,
  callbacksForToken,
  type EmbeddedWorkspace,
  healthRoute,
  scopeKey,
} from './embedded-workspaces.js';
import { loadGraphiqlExamples } from './graphiql-examples.js';
import { createGraphqlServer } from './graphql.js';
import type { ResponseCacheStats } from './graphql-response-cache.js';
import { automationSummary, healthReport } from './health.js';
import { createHttpServer, listen, type RouteHandler } from './http-server.js';
import { followLedger } from './ledger-following.js';
import { taskCallbackRoutes } from './task-callbacks.js';
import { SERVO_VERSION } from './version.js';
import { virtualClockControl } from './virtual-clock.js';

export interface EmbeddedServo {
  url: string;
  /** The default workspace (`SERVO_TENANT`/`SERVO_WORKSPACE`), its automation and timers. */
  workspace: Workspace;
  automation: Automation;
  clock: Clock;
  timers: LocalTimerQueue;
  /** Every workspace served, by `tenant/workspace` (the default one included). */
  workspaces: ReadonlyMap<string, EmbeddedWorkspace>;
  /** How often GraphQL answers were reused. */
  responseCache: ResponseCacheStats;
  stop(): Promise<void>;
}

export function clockFor(env: ServoEnv): Clock {
  if (env.clock.mode === 'virtual') return new ManualClock(env.clock.start ?? new Date());
  return systemClock;
}

/**
 * Servo in one process on local disk: the store under `SERVO_DATA_DIR`; for each workspace served
 * (the default one, those `SERVO_WORKSPACES` lists and those API keys name) its ledger and
 * projections, background compaction, and automation on its own local timer queue with the
 * configured code locations deployed; and the HTTP server: GraphQL, `GET /healthz`, the task
 * callbacks and push messages.
 *
 * Without API keys or a JWT issuer configured it serves the default workspace openly, and only on
 * a loopback address; bound to any other address it refuses to start.
 */
export async function startEmbedded(env: ServoEnv, logger: Logger): Promise<EmbeddedServo> {
  const defaultScope = { tenantId: env.tenantId, workspaceId: env.workspaceId };
  // Before anything is opened: an unauthenticated server on a public address must not start.
  const authentication = configuredAuthentication(env, defaultScope, logger);
  const dataDir = resolve(env.dataDir);
  const clock = clockFor(env);
  const workspaceDeps = {
    // On the virtual clock the store holds a simulation: durability against power loss is not
    // worth an fsync per append, which would make time-skipping wait on the disk.
    store: createLocalDiskObjectStore(join(dataDir, 'store'), { fsync: env.clock.mode === 'real' }),
    codec: createHyparquetCodec(),
    clock,
    secrets: createLocalTenantSecrets(join(dataDir, 'secrets')),
    retention: env.retention,
  };
  const opened: { workspace: Workspace; compaction: CompactionLoop }[] = [];
  for (const scope of await servedScopes(env, authentication.apiKeys)) {
    const workspace = await Workspace.open(scope, workspaceDeps);
    const compaction = new CompactionLoop(workspace, {
      intervalMs: env.compactionIntervalMs,
      logger: logger.child({ workspace: scopeKey(scope) }),
    });
    await compaction.compactNow();
    compaction.start();
    opened.push({ workspace, compaction });
  }

  // The HTTP server first: code locations need its address for their callbacks.
  const workspaces = new Map<string, EmbeddedWorkspace>();
  const defaultCallbacks = (): TaskCallbacks | undefined =>
    workspaces.get(scopeKey(defaultScope))?.runtime.callbacks;
  let graphqlRoutes: RouteHandler[] = [];
  const server: Server = createHttpServer(
    [
      async (request, response) => {
        for (const route of graphqlRoutes) if (await route(request, response)) return true;
        return false;
      },
      healthRoute({
        authenticator: authentication.authenticator,
        defaultScope,
        reportOf: async (scope) => {
          const entry = opened.find((candidate) => scopeKey(candidate.workspace.scope) === scopeKey(scope));
          if (entry === undefined) return undefined;
          // Until its automation runs (start-up), a workspace reports its ledger and projections only.
          const running = workspaces.get(scopeKey(scope));
          return healthReport(
            entry.workspace,
            'embedded',
            entry.compaction.lastError,
            running === undefined
              ? undefined
              : automationSummary(running.automation.tables(), running.timers.pending().length),
          );
        },
        degraded: () => opened.some((entry) => entry.compaction.lastError !== undefined),
      }),
      taskCallbackRoutes((request) =>
        callbacksForToken(workspaces, defaultCallbacks, bearerTokenOf(request)),
      ),
      authenticatedPushRoutes({
        authenticator: authentication.authenticator,
        workspaces: () => workspaces,
        defaultScope,
        maxBytes: 1024 * 1024,
      }),
    ],
    (error) => logger.error({ err: error }, 'request failed'),
  );
  const address = await listen(server, env.port, env.host);
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  // One instance of each code location serves every workspace; a task reports to its own.
  const callbacksOf = (envelope: { tenantId: string; workspaceId: string }): TaskCallbacks =>
    requireCallbacks(workspaces.get(scopeKey(envelope))?.runtime.callbacks);
  const locations = await loadCodeLocations(env.codeLocations, callbacksOf, logger);
  const byName = new Map(locations.map((location) => [location.name, location]));
  const codeLocations = createCodeLocationRegistry(locations);
  const dispatchQueue = createDirectDispatchQueue({ executorFor: (name) => byName.get(name) });
  for (const { workspace, compaction } of opened) {
    const workspaceLogger = logger.child({ workspace: scopeKey(workspace.scope) });
    const timers = new LocalTimerQueue(clock, workspaceLogger, env.clock.mode === 'real');
    const runtime = createAutomationRuntime({
      workspace,
      clock,
      timers,
      codeLocations,
      dispatchQueue,
      callbackBaseUrl: env.publicUrl ?? url,
      logger: workspaceLogger,
      admission: env.admission,
    });
    runtime.automation.workspace.projections.subscribe(() => compaction.trigger(200));
    workspaces.set(scopeKey(workspace.scope), {
      workspace,
      compaction,
      timers,
      runtime,
      automation: runtime.automation,
    });
    for (const location of locations) {
      const result = await deployCodeLocation(
        runtime.automation,
        await location.describe(),
        'servo:embedded',
      );
      workspaceLogger.info(
        { codeLocation: result.codeLocation, codeVersion: result.codeVersion, changed: result.changed },
        result.changed ? 'deployed code location' : 'code location unchanged',
      );
    }
  }
  const served = [...workspaces.values()];
  const primary = workspaces.get(scopeKey(defaultScope)) as EmbeddedWorkspace;
  const graphql = createGraphqlServer({
    schema,
    services: createApiServices({
      version: SERVO_VERSION,
      mode: 'embedded',
      workspaces: served.map((entry) => apiWorkspaceOf(entry.automation)),
      graphqlLimits: env.graphqlLimits,
      ...(clock instanceof ManualClock
        ? {
            // One clock for every workspace: advancing it runs each one's due timers in time order.
            clock: virtualClockControl({
              clock,
              timers: {
                nextDueAt: () => earliest(served.map((entry) => entry.timers.nextDueAt())),
                runDue: async () => {
                  let fired = 0;
                  for (const entry of served) fired += await entry.timers.runDue();
                  return fired;
                },
              },
              automation: {
                quiesce: async () => {
                  for (const entry of served) await entry.automation.quiesce();
                },
              },
              drainTasks: () => drainInProcessTasks(locations),
            }),
          }
        : {}),
    }),
    authenticator: authentication.authenticator,
    logger,
    limits: env.graphqlLimits,
    examples: await loadGraphiqlExamples(),
  });
  graphqlRoutes = graphql.routes;
  graphql.attachWebSocket(server);

  for (const entry of served) {
    entry.timers.start((batch) => entry.automation.handleTimers(batch));
    await entry.automation.antiEntropy();
    entry.automation.kick();
  }
  const antiEntropy = setInterval(() => {
    for (const entry of served) {
      void entry.automation
        .antiEntropy()
        .catch((error: unknown) =>
          logger.error({ err: error, workspace: scopeKey(entry.workspace.scope) }, 'anti-entropy failed'),
        );
    }
  }, env.antiEntropyIntervalMs);
  antiEntropy.unref();
  // Segments other processes append to the same data directory (a worker, a `servo` command) reach
  // this process's subscriptions and reactors too.
  const followers = served.map((entry) =>
    followLedger({
      automation: entry.automation,
      react: true,
      env,
      storage: {
        watch: (prefix, onChange) => watchLocalDiskPrefix(join(dataDir, 'store'), prefix, onChange),
      },
      logger,
    }),
  );
  for (const follower of followers) follower.start();

  logger.info(
    {
      url,
      graphiql: `${url}/graphql`,
      dataDir,
      workspaces: served.map((entry) => scopeKey(entry.workspace.scope)),
      authentication: authentication.authenticator.required ? authentication.methods : 'none',
      clock: env.clock.mode,
      codeLocations: locations.map((location) => location.name),
    },
    'Servo is running',
  );
  if (!authentication.authenticator.required) {
    logger.info(
      { workspace: scopeKey(defaultScope) },
      'embedded mode on loopback without authentication: every local caller is the admin of the default workspace',
    );
  }

  return {
    url,
    workspace: primary.workspace,
    automation: primary.automation,
    clock,
    timers: primary.timers,
    workspaces,
    responseCache: graphql.responseCache,
    async stop() {
      clearInterval(antiEntropy);
      for (const follower of followers) await follower.stop();
      for (const entry of served) await entry.timers.stop();
      // The reactors first, so no attempt is dispatched after the drain below began.
      for (const entry of served) await entry.runtime.close();
      // Let running attempts report, so their outcome is recorded rather than timed out later.
      await Promise.race([
        drainInProcessTasks(locations),
        new Promise((done) => setTimeout(done, 10_000).unref()),
      ]);
      await graphql.close();
      await new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      for (const entry of served) await entry.compaction.stop();
    },
  };
}

function earliest(times: readonly (number | undefined)[]): number | undefined {
  let min: number | undefined;
  for (const time of times) if (time !== undefined && (min === undefined || time < min)) min = time;
  return min;
}

function requireCallbacks(callbacks: TaskCallbacks | undefined): TaskCallbacks {
  if (callbacks === undefined) throw new Error('task callbacks are not ready yet');
  return callbacks;
}
