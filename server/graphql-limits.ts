import {
  type ASTVisitor,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';

/**
 * What one GraphQL request may ask for. Each has a `SERVO_GRAPHQL_*` variable (docs/security.md);
 * the defaults leave every Dagster UI operation and GraphiQL's introspection well inside them.
 */
export interface GraphqlLimits {
  /**
   * Deepest field nesting an operation may have (fragments inlined). Dagster's UI operations reach
   * 8, GraphiQL's introspection query 15. @default 20
   */
  maxDepth: number;
  /**
   * Largest estimated cost: every field costs 1, and a field with a `limit` argument multiplies
   * the cost of what it selects by that limit (by `maxPageSize` when the limit is a variable, which
   * it cannot exceed). The estimate bounds the rows a response can hold. Dagster's UI operations
   * reach 87,001. @default 250_000
   */
  maxCost: number;
  /**
   * Largest `limit` a paginated field accepts; a larger one (literal or variable) fails the
   * request with `BAD_USER_INPUT` before anything runs. @default 1000
   */
  maxPageSize: number;
  /** Largest HTTP request body, in bytes; larger ones get HTTP 413. @default 1 MiB */
  maxBodyBytes: number;
  /** Largest WebSocket message, in bytes; a larger one closes the socket (1009). @default 1 MiB */
  maxWebSocketMessageBytes: number;
  /**
   * Memory, in bytes, for answers kept to be reused while nothing they depend on changed
   * (server/graphql-response-cache.ts); 0 turns reuse off. @default 64 MiB
   */
  responseCacheBytes: number;
}

export const DEFAULT_GRAPHQL_LIMITS: GraphqlLimits = {
  maxDepth: 20,
  maxCost: 250_000,
  maxPageSize: 1000,
  maxBodyBytes: 1024 * 1024,
  maxWebSocketMessageBytes: 1024 * 1024,
  responseCacheBytes: 64 * 1024 * 1024,
};

/** The argument every paginated field names its page size with. */
const PAGE_SIZE_ARGUMENT = 'limit';

function limitMultiplier(
  args: readonly { name: { value: string }; value: ValueNode }[] | undefined,
  maxPageSize: number,
): number {
  const limit = args?.find((arg) => arg.name.value === PAGE_SIZE_ARGUMENT);
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

/**
 * The `limit` arguments of the operation `args` will run that exceed `maxPageSize`, as errors
 * (literals and variables alike; fragments included).
 */
export function pageSizeErrors(
  args: Pick<ExecutionArgs, 'document' | 'operationName' | 'variableValues'>,
  maxPageSize: number,
): GraphQLError[] {
  const operation = selectedOperation(args.document, args.operationName);
  if (operation === undefined) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of args.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const errors: GraphQLError[] = [];
  const visited = new Set<string>();
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment === undefined || visited.has(fragment.name.value)) continue;
        visited.add(fragment.name.value);
        visit(fragment.selectionSet);
        continue;
      }
      if (selection.kind === Kind.FIELD) {
        const argument = selection.arguments?.find((arg) => arg.name.value === PAGE_SIZE_ARGUMENT);
        const value =
          argument === undefined
            ? undefined
            : argument.value.kind === Kind.INT
              ? Number(argument.value.value)
              : argument.value.kind === Kind.VARIABLE
                ? args.variableValues?.[argument.value.name.value]
                : undefined;
        if (typeof value === 'number' && value > maxPageSize) {
          errors.push(
            new GraphQLError(
              `${selection.name.value}(limit: ${value}) asks for more than the largest page, ${maxPageSize}; page with a cursor instead`,
              { nodes: [selection], extensions: { code: 'BAD_USER_INPUT', limit: value, maxPageSize } },
            ),
          );
        }
      }
      if (selection.selectionSet !== undefined) visit(selection.selectionSet);
    }
  };
  visit(operation.selectionSet);
  return errors;
}

function selectedOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName == null) return operations.length === 1 ? operations[0] : undefined;
  return operations.find((operation) => operation.name?.value === operationName);
}

/**
 * A yoga/envelop plugin enforcing the limits on HTTP and WebSocket alike: depth and cost during
 * validation (cached per document), page sizes just before execution (they depend on variables).
 */
export function limitsPlugin(limits: GraphqlLimits) {
  const rule = operationLimitsRule(limits);
  const refuse = (args: ExecutionArgs, stop: (result: ExecutionResult) => void): void => {
    const errors = pageSizeErrors(args, limits.maxPageSize);
    if (errors.length > 0) stop({ errors });
  };
  return {
    onValidate({
      addValidationRule,
    }: {
      addValidationRule: (rule: (context: ValidationContext) => ASTVisitor) => void;
    }) {
      addValidationRule(rule);
    },
    onExecute({
      args,
      setResultAndStopExecution,
    }: {
      args: ExecutionArgs;
      setResultAndStopExecution: (result: ExecutionResult) => void;
    }) {
      refuse(args, setResultAndStopExecution);
    },
    onSubscribe({
      args,
      setResultAndStopExecution,
    }: {
      args: ExecutionArgs;
      setResultAndStopExecution: (result: ExecutionResult) => void;
    }) {
      refuse(args, setResultAndStopExecution);
    },
  };
}
