import { ErrorCode, ServoError } from '../errors.js';
import { SCOPE_ID_PATTERN } from '../model/common.js';

/** One tenant's workspace: the unit of isolation. Its ledger and projections live under one prefix. */
export interface Scope {
  tenantId: string;
  workspaceId: string;
}

export function assertScope(scope: Scope): void {
  for (const [name, value] of [
    ['tenantId', scope.tenantId],
    ['workspaceId', scope.workspaceId],
  ] as const) {
    if (!SCOPE_ID_PATTERN.test(value)) {
      throw new ServoError(
        ErrorCode.InvalidInput,
        `${name} ${JSON.stringify(value)} must match ${SCOPE_ID_PATTERN}`,
      );
    }
  }
}

/** Object key of a workspace-relative path: `tenants/{tenant}/workspaces/{workspace}/{path}`. */
export function scopedKey(scope: Scope, path: string): string {
  return `tenants/${scope.tenantId}/workspaces/${scope.workspaceId}/${path}`;
}
