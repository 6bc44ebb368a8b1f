import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DocumentNode, Kind, parse, print, type SelectionSetNode, validate, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../schema/index.js';
import { type SeededServo, startSeededServo } from './testing/seeded-servo.js';

/**
 * Every operation Dagster's web UI sends for schedules, sensors, ticks, backfills, partitions,
 * runs and the overview pages (`__fixtures__/dagster-ui/ops`, Apache-2.0, licence beside them)
 * must validate against Servo's schema and run against a seeded server without errors.
 */

const FIXTURES = new URL('./__fixtures__/', import.meta.url).pathname;
const OPS_DIR = join(FIXTURES, 'dagster-ui', 'ops');

interface OperationFixture {
  name: string;
  variables: Record<string, unknown>;
  /** The `__typename` the operation's first root field must return. */
  expect?: string;
  /** Values to remember from the response, by dotted path under `data`. */
  capture?: Record<string, string>;
}

interface Operation {
  name: string;
  file: string;
  source: string;
  document: DocumentNode;
}

async function loadOperations(): Promise<Operation[]> {
  const operations: Operation[] = [];
  for (const area of (await readdir(OPS_DIR)).sort()) {
    for (const file of (await readdir(join(OPS_DIR, area))).sort()) {
      if (!file.endsWith('.graphql')) continue;
      const source = await readFile(join(OPS_DIR, area, file), 'utf8');
      const document = parse(source);
      const operation = document.definitions.find(
        (definition) => definition.kind === Kind.OPERATION_DEFINITION,
      );
      if (operation?.kind !== Kind.OPERATION_DEFINITION || operation.name === undefined) {
        throw new Error(`${area}/${file} has no named operation`);
      }
      operations.push({ name: operation.name.value, file: `${area}/${file}`, source, document });
    }
  }
  return operations;
}

/**
 * Adds `__typename` to every selection set, as Dagster's UI does (its GraphQL client adds it to
 * every query it sends), so results can be checked by type.
 */
function withTypenames(document: DocumentNode): string {
  const typename = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } } as const;
  return print(
    visit(document, {
      SelectionSet(node: SelectionSetNode, _key, parent) {
        if (
          parent !== undefined &&
          !Array.isArray(parent) &&
          (parent as { kind?: string }).kind === Kind.OPERATION_DEFINITION
        ) {
          return undefined;
        }
        const has = node.selections.some(
          (selection) => selection.kind === Kind.FIELD && selection.name.value === '__typename',
        );
        return has ? undefined : { ...node, selections: [...node.selections, typename] };
      },
    }),
  );
}

function at(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function substitute(value: unknown, values: Record<string, unknown>): unknown {
  if (typeof value === 'string' && (value.startsWith('$seed.') || value.startsWith('$captured.'))) {
    const resolved = values[value];
    if (resolved === undefined) throw new Error(`no value for ${value}`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values)]));
  }
  return value;
}

/** Ids the fixtures refer to, read from the seeded server through the API itself. */
async function seedValues(servo: SeededServo): Promise<Record<string, unknown>> {
  const result = await servo.graphql<{
    runsOrError: { results: { runId: string; status: string }[] };
    partitionBackfillsOrError: { results: { id: string }[] };
    scheduleOrError: { scheduleState: { ticks: { tickId: string }[] } };
  }>(`{
    runsOrError(filter: { statuses: [SUCCESS] }, limit: 50) { ... on Runs { results { runId status } } }
    partitionBackfillsOrError(limit: 5) { ... on PartitionBackfills { results { id } } }
    scheduleOrError(scheduleSelector: { repositoryName: "__repository__", repositoryLocationName: "sales", scheduleName: "every_15_seconds" }) {
      ... on Schedule { scheduleState { ticks(limit: 5) { tickId } } }
    }
  }`);
  if (result.errors !== undefined) throw new Error(`seed lookup failed: ${JSON.stringify(result.errors)}`);
  const runs = result.data?.runsOrError.results ?? [];
  const backfills = result.data?.partitionBackfillsOrError.results ?? [];
  const ticks = result.data?.scheduleOrError.scheduleState.ticks ?? [];
  if (runs.length < 2 || backfills.length === 0 || ticks.length === 0) {
    throw new Error(`the seed is missing data: ${JSON.stringify(result.data)}`);
  }
  return {
    '$seed.runId': runs[0]?.runId,
    '$seed.deletableRunId': runs[runs.length - 1]?.runId,
    '$seed.backfillId': backfills[0]?.id,
    '$seed.scheduleTickId': ticks[0]?.tickId,
  };
}

describe('Dagster UI operations against Servo', () => {
  let operations: Operation[];
  let fixtures: OperationFixture[];
  let servo: SeededServo;

  beforeAll(async () => {
    operations = await loadOperations();
    fixtures = (
      JSON.parse(await readFile(join(FIXTURES, 'conformance-variables.json'), 'utf8')) as {
        operations: OperationFixture[];
      }
    ).operations;
    servo = await startSeededServo();
  }, 120_000);

  afterAll(async () => {
    await servo?.stop();
  });

  it('every operation has variables in the fixtures, and every fixture an operation', () => {
    expect(fixtures.map((fixture) => fixture.name).sort()).toEqual(
      operations.map((operation) => operation.name).sort(),
    );
  });

  it('all 47 operations validate against the schema', () => {
    const invalid: string[] = [];
    for (const operation of operations) {
      const errors = validate(schema, operation.document);
      if (errors.length > 0)
        invalid.push(`${operation.file}: ${errors.map((error) => error.message).join('; ')}`);
    }
    const valid = operations.length - invalid.length;
    console.info(
      `conformance: ${valid}/${operations.length} Dagster UI operations validate against Servo's schema`,
    );
    expect(invalid).toEqual([]);
    expect(operations).toHaveLength(47);
  });

  it('all 47 operations execute against a seeded server without errors', async () => {
    const values = await seedValues(servo);
    const byName = new Map(operations.map((operation) => [operation.name, operation]));
    const failures: string[] = [];
    let executed = 0;
    for (const fixture of fixtures) {
      const operation = byName.get(fixture.name);
      if (operation === undefined) continue;
      const variables = substitute(fixture.variables, values) as Record<string, unknown>;
      const result = await servo.graphql(withTypenames(operation.document), variables);
      if (result.errors !== undefined && result.errors.length > 0) {
        failures.push(
          `${operation.file}: ${result.errors.map((error) => `${error.path?.join('.') ?? ''} ${error.message}`).join('; ')}`,
        );
        continue;
      }
      if (result.data === undefined || result.data === null) {
        failures.push(`${operation.file}: no data`);
        continue;
      }
      if (fixture.expect !== undefined) {
        const root = Object.values(result.data)[0] as { __typename?: string } | null;
        if (root?.__typename !== fixture.expect) {
          failures.push(`${operation.file}: expected ${fixture.expect}, got ${JSON.stringify(root)}`);
          continue;
        }
      }
      for (const [name, path] of Object.entries(fixture.capture ?? {})) {
        values[`$captured.${name}`] = at(result.data, path);
      }
      executed += 1;
    }
    console.info(`conformance: ${executed}/${fixtures.length} Dagster UI operations execute without errors`);
    expect(failures).toEqual([]);
    expect(executed).toBe(47);
  }, 120_000);
});
