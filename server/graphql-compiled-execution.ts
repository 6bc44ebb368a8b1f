import {
  type ASTNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  GraphQLUnionType,
  getLocation,
  getOperationAST,
  getVariableValues,
  locatedError,
  type SourceLocation,
  visit,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

/**
 * Queries run on a compiled executor (graphql-jit): each document is compiled once into a function
 * that walks its selection without interpreting the schema field by field. On the schedule page
 * (1,000 schedules, bench B7) that cuts the request's CPU time by more than half.
 *
 * Only queries: mutations keep graphql's executor (they are rare and run their fields one after
 * another), and so do subscriptions (graphql executes each event itself). A document the compiler
 * refuses also runs on graphql's executor.
 *
 * Three differences of the compiled executor are bridged, so a query's answer is exactly what
 * graphql's executor gives:
 * - variables are checked with graphql's coercion first, and an operation whose variables fail it
 *   runs on the usual executor, so the request fails with the same errors and HTTP status;
 * - its errors carry `locations` but not the AST nodes, and yoga rebuilds every error from its
 *   nodes (dropping the locations): they are located again on the nodes at those locations;
 * - it calls a union's `resolveType` without the union, which Pothos passes on to graphql's default
 *   resolver (the members' `isTypeOf`) when the union declares none: see `resolveUnionsAsThemselves`.
 */
export function compiledExecutionPlugin(schema: GraphQLSchema): Plugin {
  resolveUnionsAsThemselves(schema);
  /** By document, then operation name (`''` for none); null when the operation is not compiled. */
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledOperation | null>>();
  const compiledFor = (args: ExecutionArgs): CompiledOperation | null => {
    let byName = compiled.get(args.document);
    if (byName === undefined) {
      byName = new Map();
      compiled.set(args.document, byName);
    }
    const name = args.operationName ?? '';
    let operation = byName.get(name);
    if (operation === undefined) {
      operation = compile(args);
      byName.set(name, operation);
    }
    return operation;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = compiledFor(args);
      if (operation !== null) setExecuteFn((execution) => operation.execute(execution, executeFn));
    },
  };
}

type Execute = (args: ExecutionArgs) => unknown;

interface CompiledOperation {
  /** Runs the compiled operation, or `usual` when its variables do not coerce. */
  execute(args: ExecutionArgs, usual: Execute): unknown;
}

function compile(args: ExecutionArgs): CompiledOperation | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== 'query') return null;
  let query: CompiledQuery | ExecutionResult;
  try {
    query = compileQuery(args.schema, args.document, args.operationName ?? undefined);
  } catch {
    // A document the compiler cannot handle is still answered, by graphql's executor.
    return null;
  }
  if (!isCompiledQuery(query)) return null;
  let nodes: Map<string, ASTNode> | undefined;
  const relocate = (result: ExecutionResult): ExecutionResult => {
    if (result.errors === undefined || result.errors.length === 0) return result;
    nodes ??= nodesByLocation(args.document);
    const located = nodes;
    return { ...result, errors: result.errors.map((error) => locateAgain(error, located)) };
  };
  const variableDefinitions = operation.variableDefinitions ?? [];
  return {
    execute(execution, usual) {
      if (
        variableDefinitions.length > 0 &&
        getVariableValues(args.schema, variableDefinitions, execution.variableValues ?? {}).errors !==
          undefined
      )
        return usual(execution);
      const result = query.query(execution.rootValue, execution.contextValue, execution.variableValues);
      return result instanceof Promise ? result.then(relocate) : relocate(result);
    },
  };
}

function locationKey(location: SourceLocation): string {
  return `${location.line}:${location.column}`;
}

/** The fields and variable definitions of a document (what errors point at), by their location. */
function nodesByLocation(document: DocumentNode): Map<string, ASTNode> {
  const nodes = new Map<string, ASTNode>();
  const source = document.loc?.source;
  if (source === undefined) return nodes;
  const add = (node: ASTNode): void => {
    if (node.loc === undefined) return;
    const key = locationKey(getLocation(source, node.loc.start));
    if (!nodes.has(key)) nodes.set(key, node);
  };
  visit(document, { Field: add, VariableDefinition: add });
  return nodes;
}

/** The error as graphql's executor reports it: located on its nodes, from its original error. */
function locateAgain(error: GraphQLError, nodes: ReadonlyMap<string, ASTNode>): GraphQLError {
  const at = (error.locations ?? []).flatMap((location) => nodes.get(locationKey(location)) ?? []);
  if (at.length === 0) return error;
  if (error.originalError != null) return locatedError(error.originalError, at, error.path);
  return new GraphQLError(error.message, { nodes: at, path: error.path, extensions: error.extensions });
}

const preparedSchemas = new WeakSet<GraphQLSchema>();

/**
 * Gives every union's `resolveType` its own union when the executor passes none. graphql's
 * executor always passes it; the compiled one does not, and a Pothos union without its own
 * `resolveType` needs it to ask its members' `isTypeOf`. Done once per schema.
 */
function resolveUnionsAsThemselves(schema: GraphQLSchema): void {
  if (preparedSchemas.has(schema)) return;
  preparedSchemas.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLUnionType) || type.resolveType == null) continue;
    const resolveType = type.resolveType;
    type.resolveType = (value, context, info, abstractType) =>
      resolveType(value, context, info, abstractType ?? type);
  }
}
