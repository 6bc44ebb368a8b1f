import SchemaBuilder from '@pothos/core';
import type { ApiContext } from '../resolvers/context.js';

/**
 * The one Pothos builder. It holds no types: each module under `schema/types/` adds its own, and
 * `schema/index.ts` only imports them and builds the schema.
 *
 * Fields are non-null unless they say `nullable: true` — as in Dagster's schema, where most are.
 */
export const builder = new SchemaBuilder<{
  Context: ApiContext;
  DefaultFieldNullability: false;
  Scalars: {
    /** Any JSON value (Dagster's `GenericScalar`). */
    GenericScalar: { Input: unknown; Output: unknown };
    /** A JSON document as a string (Dagster's `JSONString`). */
    JSONString: { Input: string; Output: string };
    /** Run configuration: a JSON object or a YAML string (Dagster's `RunConfigData`). */
    RunConfigData: { Input: unknown; Output: unknown };
  };
}>({
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
