import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { decodeJwt } from 'jose';
import type { Automation } from '../engine/automation/automation.js';
import type { AutomationRuntime } from '../engine/automation/runtime.js';
import type { TaskCallbacks } from '../engine/code-location/task-protocol.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { CompactionLoop } from '../engine/runtime/compaction-loop.js';
import type { Workspace } from '../engine/runtime/workspace.js';
import type { LocalTimerQueue } from '../engine/timers/local-timer-queue.js';
import { type Principal, roleAllows } from '../resolvers/context.js';
import type { Authenticator } from './auth.js';
import { type RouteHandler, sendJson } from './http-server.js';
import { pushRoutes } from './push-routes.js';

/** One workspace an embedded server runs: its ledger and projections, compaction, timers and automation. */
export interface EmbeddedWorkspace {
  readonly workspace: Workspace;
  readonly compaction: CompactionLoop;
  readonly timers: LocalTimerQueue;
  readonly runtime: AutomationRuntime;
  readonly automation: Automation;
}

export function scopeKey(scope: Scope): string {
  return `${scope.tenantId}/${scope.workspaceId}`;
}

/**
 * Task callbacks go to the workspace the task token names. The claims are only read here to pick
 * the workspace; that workspace's runtime verifies the token with its tenant's key, so a token
 * claiming another workspace fails there. A token that cannot be read goes to the default
 * workspace, which answers 401 saying why.
 */
export function callbacksForToken(
  workspaces: ReadonlyMap<string, EmbeddedWorkspace>,
  fallback: () => TaskCallbacks | undefined,
  token: string,
): TaskCallbacks | undefined {
  try {
    const claims = decodeJwt(token);
    if (typeof claims.tenantId === 'string' && typeof claims.workspaceId === 'string') {
      const target = workspaces.get(scopeKey({ tenantId: claims.tenantId, workspaceId: claims.workspaceId }));
      if (target !== undefined) return target.runtime.callbacks;
    }
  } catch {
    // Not a JWT: the fallback's verification reports it.
  }
  return fallback();
}

export function bearerTokenOf(request: IncomingMessage): string {
  const authorization = request.headers.authorization ?? '';
  return authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : '';
}

/** The caller of a plain HTTP route, or undefined after answering 401/403 with the reason. */
async function principalOf(
  authenticator: Authenticator,
  request: IncomingMessage,
  respond: (status: number, body: unknown) => void,
): Promise<Principal | undefined> {
  try {
    return await authenticator.authenticate({ authorization: request.headers.authorization });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
    respond(status, { error: { code: error.extensions.code, message: error.message } });
    return undefined;
  }
}

/**
 * `GET /healthz`. Open (loopback) mode reports the default workspace. When credentials are
 * required, a caller without one sees only whether the process is up; a caller with one sees the
 * report of the workspace the credential is for, and of no other.
 */
export function healthRoute(options: {
  authenticator: Authenticator;
  defaultScope: Scope;
  /** The report of a workspace this process opened, or undefined for one it did not. */
  reportOf(scope: Scope): Promise<{ status: string } | undefined>;
  /** Whether any workspace's compaction is failing. */
  degraded(): boolean;
}): RouteHandler {
  return async (request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/healthz') return false;
    const respond = (status: number, body: unknown): void => sendJson(response, status, body);
    let scope = options.defaultScope;
    if (options.authenticator.required) {
      if (request.headers.authorization === undefined) {
        respond(200, { status: options.degraded() ? 'degraded' : 'ok', mode: 'embedded' });
        return true;
      }
      const principal = await principalOf(options.authenticator, request, respond);
      if (principal === undefined) return true;
      scope = principal.scope;
    }
    const report = await options.reportOf(scope);
    if (report === undefined) {
      respond(403, {
        error: { code: 'WORKSPACE_NOT_SERVED', message: `this server does not serve ${scopeKey(scope)}` },
      });
      return true;
    }
    respond(200, report);
    return true;
  };
}

/**
 * `POST /push/{codeLocation}/{sensor}`. In open (loopback) mode messages go to the default
 * workspace. When credentials are required, the caller needs the operator role and the message
 * goes to the workspace its credential is for.
 */
export function authenticatedPushRoutes(options: {
  authenticator: Authenticator;
  workspaces: () => ReadonlyMap<string, EmbeddedWorkspace>;
  defaultScope: Scope;
  maxBytes: number;
}): RouteHandler {
  return async (request, response) => {
    if (!/^\/push\/[^/]+\/[^/]+$/.test((request.url ?? '').split('?')[0] ?? '')) return false;
    const respond = (status: number, body: unknown): void => sendJson(response, status, body);
    let scope = options.defaultScope;
    if (options.authenticator.required) {
      const principal = await principalOf(options.authenticator, request, respond);
      if (principal === undefined) return true;
      if (!roleAllows(principal.role, 'operator')) {
        respond(403, {
          error: {
            code: 'UNAUTHORIZED',
            message: `sending push messages needs the operator role; the credential ${principal.subject} has ${principal.role}`,
          },
        });
        return true;
      }
      scope = principal.scope;
    }
    const entry = options.workspaces().get(scopeKey(scope));
    if (entry === undefined) {
      respond(403, {
        error: { code: 'WORKSPACE_NOT_SERVED', message: `this server does not serve ${scopeKey(scope)}` },
      });
      return true;
    }
    return pushRoutes(() => entry.automation, options.maxBytes)(request, response);
  };
}
