import type { Server } from 'node:http';
import { decodeJwt } from 'jose';
import type { Automation } from '../engine/automation/automation.js';
import type { AutomationRuntime } from '../engine/automation/runtime.js';
import type { TaskCallbacks } from '../engine/code-location/task-protocol.js';
import type { ServoEnv } from '../engine/config/env.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { Logger } from '../engine/logging.js';
import { tickHistoryOf } from '../engine/queries/ticks.js';
import type { LedgerFollower } from '../engine/runtime/ledger-follower.js';
import type { Principal } from '../resolvers/context.js';
import { schema } from '../schema/index.js';
import { apiWorkspaceOf, createApiServices } from './api-services.js';
import type { Authenticator } from './auth.js';
import { configuredAuthentication, servedScopes } from './configured-authenticator.js';
import { loadGraphiqlExamples } from './graphiql-examples.js';
import { createGraphqlServer } from './graphql.js';
import type { ResponseCacheStats } from './graphql-response-cache.js';
import type { RouteHandler } from './http-server.js';
import { SERVO_VERSION } from './version.js';

/** The api role of a worker process: GraphQL over every workspace the credentials name. */
export interface ApiRole {
  routes: RouteHandler[];
  authenticator: Authenticator;
  attachWebSocket(server: Server): void;
  /** The callbacks of the workspace a task token names (the primary one when it names none served here). */
  callbacksForToken(token: string): TaskCallbacks | undefined;
  /** The caller of a request, or undefined when its credential is missing or not accepted. */
  principalOf(authorization: string | undefined): Promise<Principal | undefined>;
  /** How often GraphQL answers were reused. */
  readonly responseCache: ResponseCacheStats;
  close(): Promise<void>;
}

export interface ApiRoleOptions {
  env: ServoEnv;
  logger: Logger;
  /** The workspace this process's other roles serve (`SERVO_TENANT` / `SERVO_WORKSPACE`). */
  primary: { automation: Automation; callbacks: TaskCallbacks };
  /** Opens another workspace the API serves (read, commanded and followed; never automated here). */
  open(scope: Scope): Promise<{ runtime: AutomationRuntime; follower: LedgerFollower }>;
}

function scopeKey(scope: Scope): string {
  return `${scope.tenantId}/${scope.workspaceId}`;
}

/**
 * GraphQL (HTTP, SSE, graphql-ws), GraphiQL and its files, authenticated as configured (API keys,
 * bearer JWTs, or open on loopback). Every workspace a credential can name is served; each follows
 * the ledger, so subscriptions deliver changes whichever process made them.
 */
export async function startApiRole(options: ApiRoleOptions): Promise<ApiRole> {
  const { env, logger, primary } = options;
  const primaryScope = primary.automation.workspace.scope;
  const authentication = configuredAuthentication(env, primaryScope, logger);
  const others: { runtime: AutomationRuntime; follower: LedgerFollower }[] = [];
  const callbacks = new Map<string, TaskCallbacks>([[scopeKey(primaryScope), primary.callbacks]]);
  for (const scope of await servedScopes(env, authentication.apiKeys)) {
    if (callbacks.has(scopeKey(scope))) continue;
    const opened = await options.open(scope);
    others.push(opened);
    callbacks.set(scopeKey(scope), opened.runtime.callbacks);
  }
  const automations = [primary.automation, ...others.map((other) => other.runtime.automation)];
  // The tick-history index reads every tick once; built here, the api is not ready before it is, and
  // its first tick page costs what any other does.
  for (const automation of automations) tickHistoryOf(automation.workspace.projections);
  const graphql = createGraphqlServer({
    schema,
    services: createApiServices({
      version: SERVO_VERSION,
      mode: 'distributed',
      workspaces: automations.map(apiWorkspaceOf),
      graphqlLimits: env.graphqlLimits,
    }),
    authenticator: authentication.authenticator,
    logger,
    limits: env.graphqlLimits,
    examples: await loadGraphiqlExamples(),
  });
  return {
    routes: graphql.routes,
    authenticator: authentication.authenticator,
    attachWebSocket: (server) => graphql.attachWebSocket(server),
    responseCache: graphql.responseCache,
    callbacksForToken(token) {
      // The claims only pick the workspace; its runtime verifies the token with its tenant's key.
      try {
        const claims = decodeJwt(token);
        if (typeof claims.tenantId === 'string' && typeof claims.workspaceId === 'string') {
          const target = callbacks.get(`${claims.tenantId}/${claims.workspaceId}`);
          if (target !== undefined) return target;
        }
      } catch {
        // Not a JWT: the primary workspace's verification says what is wrong with it.
      }
      return primary.callbacks;
    },
    async principalOf(authorization) {
      try {
        return await authentication.authenticator.authenticate({ authorization });
      } catch {
        return undefined;
      }
    },
    async close() {
      await graphql.close();
      for (const other of others) {
        await other.follower.stop();
        await other.runtime.close();
      }
    },
  };
}
