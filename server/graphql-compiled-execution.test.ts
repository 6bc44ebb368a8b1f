import SchemaBuilder from '@pothos/core';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { compiledExecutionPlugin } from './graphql-compiled-execution.js';

/**
 * Queries answered by the compiled executor must read exactly as graphql's executor answers them:
 * the same data, and errors with the same message, locations, path and extensions.
 */

interface Found {
  kind: 'found';
  name: string;
}
interface Missing {
  kind: 'missing';
  reason: string;
}

function exampleSchema() {
  const builder = new SchemaBuilder<{ Context: { calls: string[] } }>({});
  const FoundRef = builder.objectRef<Found>('Found').implement({
    isTypeOf: (value) => (value as Found).kind === 'found',
    fields: (t) => ({ name: t.exposeString('name') }),
  });
  const MissingRef = builder.objectRef<Missing>('Missing').implement({
    isTypeOf: (value) => (value as Missing).kind === 'missing',
    fields: (t) => ({ reason: t.exposeString('reason') }),
  });
  // No resolveType: Pothos falls back on the members' isTypeOf.
  const Lookup = builder.unionType('Lookup', { types: [FoundRef, MissingRef] });
  builder.queryType({
    fields: (t) => ({
      lookup: t.field({
        type: Lookup,
        args: { name: t.arg.string({ required: true }) },
        resolve: (_root, args): Found | Missing =>
          args.name === 'nightly'
            ? { kind: 'found', name: 'nightly' }
            : { kind: 'missing', reason: 'no such' },
      }),
      names: t.stringList({ resolve: async () => ['a', 'b'] }),
      refused: t.string({
        nullable: true,
        resolve: () => {
          throw new GraphQLError('not yours', { extensions: { code: 'UNAUTHORIZED' } });
        },
      }),
      required: t.string({ resolve: () => null as unknown as string }),
    }),
  });
  builder.mutationType({
    fields: (t) => ({
      touch: t.string({ resolve: (_root, _args, context) => `touched after ${context.calls.length}` }),
    }),
  });
  return builder.toSchema();
}

async function answer(compiled: boolean, query: string, variables?: Record<string, unknown>) {
  const schema = exampleSchema();
  const yoga = createYoga({
    schema,
    maskedErrors: false,
    logging: false,
    context: () => ({ calls: [] }),
    plugins: compiled ? [compiledExecutionPlugin(schema)] : [],
  });
  const response = await yoga.fetch('http://servo.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

describe('compiled execution of queries', () => {
  const queries: [string, string, Record<string, unknown>?][] = [
    [
      'a union without resolveType, both members',
      '{ a: lookup(name: "nightly") { __typename ... on Found { name } } b: lookup(name: "x") { __typename ... on Missing { reason } } }',
    ],
    ['a list resolved asynchronously', '{ names }'],
    ['an error with a code, next to data', '{ names\n  refused }'],
    ['null for a non-null field', '{ names required }'],
    ['a bad variable', 'query Q($name: String!) { lookup(name: $name) { __typename } }', { name: 3 }],
    ['a mutation (not compiled)', 'mutation { touch }'],
  ];
  for (const [what, query, variables] of queries) {
    it(`answers as graphql's executor does: ${what}`, async () => {
      const expected = await answer(false, query, variables);
      expect(await answer(true, query, variables)).toEqual(expected);
    });
  }

  it('keeps the location of a field error', async () => {
    const { body } = await answer(true, '{ names\n  refused }');
    expect(body.errors).toEqual([
      {
        message: 'not yours',
        locations: [{ line: 2, column: 3 }],
        path: ['refused'],
        extensions: { code: 'UNAUTHORIZED' },
      },
    ]);
  });
});
