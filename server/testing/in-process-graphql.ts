import { type ExecutionResult, execute, parse, validate } from 'graphql';
import type { Automation } from '../../engine/automation/automation.js';
import { createApiContext, type Role } from '../../resolvers/context.js';
import { schema } from '../../schema/index.js';
import { apiWorkspaceOf, createApiServices } from '../api-services.js';

export interface InProcessResult<T> extends ExecutionResult<T> {
  /** Projection reads the operation made (`context.reads`). */
  reads: number;
}

/**
 * Runs operations against Servo's schema in this process, as a caller with the given role, over an
 * embedded server's automation: for tests that need another role than the loopback admin, or the
 * number of projection reads an operation makes.
 */
export function inProcessGraphql(automation: Automation, role: Role = 'admin') {
  const workspace = apiWorkspaceOf(automation);
  const services = createApiServices({ version: 'test', mode: 'embedded', workspaces: [workspace] });
  return async <T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<InProcessResult<T>> => {
    const document = parse(query);
    const errors = validate(schema, document);
    if (errors.length > 0) return { errors, reads: 0 };
    const context = await createApiContext(services, {
      subject: `test-${role}`,
      kind: 'api-key',
      role,
      scope: workspace.scope,
    });
    const result = (await execute({
      schema,
      document,
      contextValue: context,
      ...(variables === undefined ? {} : { variableValues: variables }),
    })) as ExecutionResult<T>;
    return { ...result, reads: context.reads.count };
  };
}
