import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildSchema,
  type DocumentNode,
  type GraphQLSchema,
  getIntrospectionQuery,
  Kind,
  parse,
  validate,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_GRAPHQL_LIMITS,
  type GraphqlLimits,
  operationLimitsRule,
  pageSizeErrors,
} from './graphql-limits.js';

const FIXTURES = new URL('./__fixtures__/', import.meta.url).pathname;

interface UiOperation {
  name: string;
  document: DocumentNode;
}

async function uiOperations(): Promise<UiOperation[]> {
  const dir = join(FIXTURES, 'dagster-ui', 'ops');
  const operations: UiOperation[] = [];
  for (const area of (await readdir(dir)).sort()) {
    for (const file of (await readdir(join(dir, area))).sort()) {
      if (!file.endsWith('.graphql')) continue;
      const document = parse(await readFile(join(dir, area, file), 'utf8'));
      const operation = document.definitions.find(
        (definition) => definition.kind === Kind.OPERATION_DEFINITION,
      );
      operations.push({
        name: operation?.kind === Kind.OPERATION_DEFINITION ? (operation.name?.value ?? file) : file,
        document,
      });
    }
  }
  return operations;
}

/** Depth and cost of `document` as the rule measures them (by running it with zero limits). */
function measured(
  schema: GraphQLSchema,
  document: DocumentNode,
  limits: GraphqlLimits = DEFAULT_GRAPHQL_LIMITS,
) {
  const errors = validate(schema, document, [operationLimitsRule({ ...limits, maxDepth: 0, maxCost: 0 })]);
  const of = (code: string) => errors.find((error) => error.extensions.code === code)?.extensions;
  return { depth: of('QUERY_TOO_DEEP')?.depth as number, cost: of('QUERY_TOO_COSTLY')?.cost as number };
}

function limitErrors(schema: GraphQLSchema, source: string, limits: Partial<GraphqlLimits> = {}) {
  return validate(schema, parse(source), [operationLimitsRule({ ...DEFAULT_GRAPHQL_LIMITS, ...limits })]).map(
    (error) => ({ code: error.extensions.code, message: error.message }),
  );
}

describe('GraphQL limits', () => {
  let dagster: GraphQLSchema;
  let operations: UiOperation[];
  let variables: Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    dagster = buildSchema(await readFile(join(FIXTURES, 'dagster-ui', 'schema.graphql'), 'utf8'));
    operations = await uiOperations();
    const fixtures = JSON.parse(await readFile(join(FIXTURES, 'conformance-variables.json'), 'utf8')) as {
      operations: { name: string; variables: Record<string, unknown> }[];
    };
    variables = new Map(fixtures.operations.map((fixture) => [fixture.name, fixture.variables]));
  });

  it('all 47 Dagster UI operations stay within the default depth and cost limits, with room to spare', () => {
    expect(operations).toHaveLength(47);
    const over: string[] = [];
    let deepest = 0;
    let costliest = 0;
    for (const operation of operations) {
      const errors = validate(dagster, operation.document, [operationLimitsRule(DEFAULT_GRAPHQL_LIMITS)]);
      if (errors.length > 0)
        over.push(`${operation.name}: ${errors.map((error) => error.message).join('; ')}`);
      const { depth, cost } = measured(dagster, operation.document);
      deepest = Math.max(deepest, depth);
      costliest = Math.max(costliest, cost);
    }
    expect(over).toEqual([]);
    // The defaults keep a margin over what the UI needs today.
    expect(deepest).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxDepth / 2);
    expect(costliest).toBeLessThanOrEqual(DEFAULT_GRAPHQL_LIMITS.maxCost / 2);
  });

  it("no Dagster UI operation's page size exceeds the default maximum with the variables the UI sends", () => {
    const over = operations.flatMap((operation) =>
      pageSizeErrors(
        {
          document: operation.document,
          operationName: operation.name,
          variableValues: variables.get(operation.name) ?? {},
        },
        DEFAULT_GRAPHQL_LIMITS.maxPageSize,
      ).map((error) => `${operation.name}: ${error.message}`),
    );
    expect(over).toEqual([]);
  });

  it("GraphiQL's introspection query is within the defaults", () => {
    expect(
      validate(dagster, parse(getIntrospectionQuery()), [operationLimitsRule(DEFAULT_GRAPHQL_LIMITS)]),
    ).toEqual([]);
  });

  it('an operation deeper than the limit is refused with QUERY_TOO_DEEP, fragments counted inline', () => {
    const query =
      'query Deep { ...F } fragment F on Query { runsOrError { ... on Runs { results { runId assets { key { path } } } } } }';
    expect(measured(dagster, parse(query)).depth).toBe(5);
    expect(limitErrors(dagster, query, { maxDepth: 4 })).toEqual([
      { code: 'QUERY_TOO_DEEP', message: 'the operation is 5 fields deep; the limit is 4' },
    ]);
    expect(limitErrors(dagster, query, { maxDepth: 5 })).toEqual([]);
  });

  it('a page multiplies the cost of what it selects; a variable page size counts as the largest page', () => {
    const literal = '{ runsOrError(limit: 10) { ... on Runs { results { runId status } } } }';
    // runsOrError (1) + 10 × (results (1) + runId (1) + status (1)).
    expect(measured(dagster, parse(literal)).cost).toBe(31);
    const variable =
      'query Q($n: Int) { runsOrError(limit: $n) { ... on Runs { results { runId status } } } }';
    expect(measured(dagster, parse(variable)).cost).toBe(1 + 1000 * 3);
    expect(limitErrors(dagster, variable, { maxCost: 3000 })).toEqual([
      { code: 'QUERY_TOO_COSTLY', message: "the operation's estimated cost is 3001; the limit is 3000" },
    ]);
  });

  it('nested pages multiply, so asking for every run of every backfill is refused', () => {
    const query =
      '{ partitionBackfillsOrError(limit: 100) { ... on PartitionBackfills { results { runs(limit: 100) { runId } } } } }';
    // 1 + 100 × (results: 1 + (runs: 1 + 100 × runId: 1)).
    expect(measured(dagster, parse(query)).cost).toBe(1 + 100 * (1 + 1 + 100));
    expect(limitErrors(dagster, query, { maxCost: 10_000 }).map((error) => error.code)).toEqual([
      'QUERY_TOO_COSTLY',
    ]);
  });

  it('a fragment that spreads itself is measured once, not for ever', () => {
    const query = 'query Q { ...A } fragment A on Query { version ...A }';
    const errors = validate(dagster, parse(query), [operationLimitsRule(DEFAULT_GRAPHQL_LIMITS)]);
    expect(errors.map((error) => error.extensions.code)).toEqual([]);
  });

  it('a page size above the maximum is BAD_USER_INPUT, from a literal or a variable, and the maximum itself passes', () => {
    const document = parse(
      'query Q($n: Int) { runsOrError(limit: $n) { __typename } partitionBackfillsOrError(limit: 1001) { __typename } }',
    );
    const errors = pageSizeErrors({ document, operationName: 'Q', variableValues: { n: 5000 } }, 1000);
    expect(errors.map((error) => [error.extensions.code, error.message])).toEqual([
      [
        'BAD_USER_INPUT',
        'runsOrError(limit: 5000) asks for more than the largest page, 1000; page with a cursor instead',
      ],
      [
        'BAD_USER_INPUT',
        'partitionBackfillsOrError(limit: 1001) asks for more than the largest page, 1000; page with a cursor instead',
      ],
    ]);
    expect(pageSizeErrors({ document, operationName: 'Q', variableValues: { n: 1000 } }, 1001)).toEqual([]);
  });
});
