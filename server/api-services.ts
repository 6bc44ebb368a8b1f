import type { Automation } from '../engine/automation/automation.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { ApiServices, ApiWorkspace, ClockControl } from '../resolvers/context.js';
import { DEFAULT_GRAPHQL_LIMITS, type GraphqlLimits } from './graphql-limits.js';

function scopeKey(scope: Scope): string {
  return `${scope.tenantId}/${scope.workspaceId}`;
}

/** The API's view of one workspace whose automation runs in this process. */
export function apiWorkspaceOf(automation: Automation): ApiWorkspace {
  return {
    scope: automation.workspace.scope,
    automation,
    subscribe: (listener) => automation.workspace.projections.subscribe(listener),
    sync: async () => {
      await automation.workspace.sync();
    },
  };
}

export interface ApiServicesOptions {
  version: string;
  mode: 'embedded' | 'distributed';
  workspaces: readonly ApiWorkspace[];
  clock?: ClockControl;
  /** The limits the GraphQL server enforces. @default DEFAULT_GRAPHQL_LIMITS */
  graphqlLimits?: GraphqlLimits;
}

/** Services over a fixed set of workspaces; a scope outside them is refused. */
export function createApiServices(options: ApiServicesOptions): ApiServices {
  const byScope = new Map(options.workspaces.map((workspace) => [scopeKey(workspace.scope), workspace]));
  return {
    version: options.version,
    mode: options.mode,
    clock: options.clock,
    graphqlLimits: options.graphqlLimits ?? DEFAULT_GRAPHQL_LIMITS,
    async workspaceFor(scope) {
      const workspace = byScope.get(scopeKey(scope));
      if (workspace === undefined) {
        throw new ServoError(ErrorCode.NotFound, `this server does not serve workspace ${scopeKey(scope)}`);
      }
      return workspace;
    },
  };
}
