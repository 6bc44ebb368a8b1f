import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';

export interface GraphqlLimits {
  /** Deepest field nesting an operation may have. */
  maxDepth: number;
  /**
   * Largest estimated cost: every field costs 1, and a field with a `limit` argument multiplies
   * the cost of what it selects by that limit (or by `maxPageSize` when the limit is a variable).
   */
  maxCost: number;
  /** Largest `limit` a paginated field accepts. */
  maxPageSize: number;
  /** Largest request body (HTTP) or WebSocket message, in bytes. */
  maxBodyBytes: number;
}

export const DEFAULT_GRAPHQL_LIMITS: GraphqlLimits = {
  maxDepth: 20,
  maxCost: 250_000,
  maxPageSize: 1000,
  maxBodyBytes: 1024 * 1024,
};

function limitMultiplier(
  args: readonly { name: { value: string }; value: ValueNode }[] | undefined,
  maxPageSize: number,
): number {
  const limit = args?.find((arg) => arg.name.value === 'limit');
  if (limit === undefined) return 1;
  if (limit.value.kind === Kind.INT) return Math.max(1, Math.min(Number(limit.value.value), maxPageSize));
  if (limit.value.kind === Kind.VARIABLE) return maxPageSize;
  return 1;
}

/** Depth and cost of a selection set, fragments inlined (a fragment cycle is counted once). */
function measure(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  maxPageSize: number,
  visiting: Set<string>,
): { depth: number; cost: number } {
  let depth = 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.selectionSet === undefined) {
        cost += 1;
        depth = Math.max(depth, 1);
        continue;
      }
      const inner = measure(selection.selectionSet, fragments, maxPageSize, visiting);
      cost += 1 + inner.cost * limitMultiplier(selection.arguments, maxPageSize);
      depth = Math.max(depth, 1 + inner.depth);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const inner = measure(selection.selectionSet, fragments, maxPageSize, visiting);
      cost += inner.cost;
      depth = Math.max(depth, inner.depth);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (fragment === undefined || visiting.has(name)) continue;
      visiting.add(name);
      const inner = measure(fragment.selectionSet, fragments, maxPageSize, visiting);
      visiting.delete(name);
      cost += inner.cost;
      depth = Math.max(depth, inner.depth);
    }
  }
  return { depth, cost };
}

/** A validation rule refusing operations deeper or costlier than the limits. */
export function operationLimitsRule(limits: GraphqlLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return {
      OperationDefinition(operation) {
        const { depth, cost } = measure(operation.selectionSet, fragments, limits.maxPageSize, new Set());
        if (depth > limits.maxDepth) {
          context.reportError(
            new GraphQLError(`the operation is ${depth} fields deep; the limit is ${limits.maxDepth}`, {
              nodes: [operation],
              extensions: { code: 'QUERY_TOO_DEEP', depth, limit: limits.maxDepth },
            }),
          );
        }
        if (cost > limits.maxCost) {
          context.reportError(
            new GraphQLError(`the operation's estimated cost is ${cost}; the limit is ${limits.maxCost}`, {
              nodes: [operation],
              extensions: { code: 'QUERY_TOO_COSTLY', cost, limit: limits.maxCost },
            }),
          );
        }
      },
    };
  };
}

/** A yoga/envelop plugin adding the limits rule to validation (HTTP and WebSocket alike). */
export function limitsPlugin(limits: GraphqlLimits) {
  const rule = operationLimitsRule(limits);
  return {
    onValidate({
      addValidationRule,
    }: {
      addValidationRule: (rule: (context: ValidationContext) => ASTVisitor) => void;
    }) {
      addValidationRule(rule);
    },
  };
}
