import { readFileSync } from 'node:fs';
import {
  buildSchema,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { printServoSchema, schema } from './index.js';

/** Dagster's schema, as its web UI is built against it (Apache-2.0, licence beside it). */
const dagster = buildSchema(
  readFileSync(new URL('../server/__fixtures__/dagster-ui/schema.graphql', import.meta.url), 'utf8'),
);

function describeArgs(args: readonly GraphQLArgument[]): Map<string, string> {
  return new Map(args.map((arg) => [arg.name, String(arg.type)]));
}

function fieldsOf(type: GraphQLNamedType): Map<string, GraphQLField<unknown, unknown> | GraphQLInputField> {
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    return new Map(Object.entries(type.getFields()));
  }
  return new Map();
}

function kindOf(type: GraphQLNamedType): string {
  if (isScalarType(type)) return 'a scalar';
  if (isEnumType(type)) return 'an enum';
  if (isUnionType(type)) return 'a union';
  if (isInterfaceType(type)) return 'an interface';
  if (isInputObjectType(type)) return 'an input';
  return 'an object';
}

/**
 * Every way Servo's schema differs from Dagster's for a type both have: another kind, a field of
 * another type or nullability, other arguments, other enum values, union members Dagster's type
 * does not have, or a required input field Dagster's does not have. Fields, types and root fields
 * Servo adds under new names are not differences.
 */
function mirrorDifferences(): string[] {
  const differences: string[] = [];
  for (const ours of Object.values(schema.getTypeMap())) {
    if (ours.name.startsWith('__')) continue;
    const theirs = dagster.getType(ours.name);
    if (theirs === undefined || theirs === null) continue;
    if (kindOf(ours) !== kindOf(theirs)) {
      differences.push(`${ours.name}: is ${kindOf(ours)}, Dagster's is ${kindOf(theirs)}`);
      continue;
    }
    if (isScalarType(ours)) continue;
    if (isEnumType(ours) && isEnumType(theirs)) {
      const a = ours
        .getValues()
        .map((value) => value.name)
        .sort();
      const b = theirs
        .getValues()
        .map((value) => value.name)
        .sort();
      if (JSON.stringify(a) !== JSON.stringify(b))
        differences.push(`${ours.name}: values ${a} vs Dagster's ${b}`);
      continue;
    }
    if (isUnionType(ours) && isUnionType(theirs)) {
      const allowed = new Set(theirs.getTypes().map((member) => member.name));
      for (const member of ours.getTypes()) {
        if (!allowed.has(member.name))
          differences.push(`${ours.name}: member ${member.name} is not in Dagster's union`);
      }
      continue;
    }
    const theirFields = fieldsOf(theirs);
    for (const [name, field] of fieldsOf(ours)) {
      const their = theirFields.get(name);
      if (their === undefined) {
        if (isInputObjectType(ours) && isNonNullType(field.type)) {
          differences.push(`${ours.name}.${name}: a required input field Dagster does not have`);
        }
        continue;
      }
      if (String(field.type) !== String(their.type)) {
        differences.push(`${ours.name}.${name}: ${String(field.type)} vs Dagster's ${String(their.type)}`);
      }
      if ('args' in field && 'args' in their) {
        const a = describeArgs(field.args);
        const b = describeArgs(their.args);
        for (const [arg, type] of a) {
          if (!b.has(arg))
            differences.push(`${ours.name}.${name}(${arg}): an argument Dagster does not have`);
          else if (b.get(arg) !== type)
            differences.push(`${ours.name}.${name}(${arg}): ${type} vs Dagster's ${b.get(arg)}`);
        }
        for (const [arg, type] of b) {
          if (!a.has(arg)) differences.push(`${ours.name}.${name}(${arg}: ${type}): missing`);
        }
      }
    }
    if (isObjectType(ours) && isObjectType(theirs)) {
      const theirInterfaces = new Set(theirs.getInterfaces().map((i) => i.name));
      for (const implemented of ours.getInterfaces()) {
        if (!theirInterfaces.has(implemented.name)) {
          differences.push(`${ours.name}: implements ${implemented.name}, Dagster's does not`);
        }
      }
    }
  }
  return differences;
}

describe('schema', () => {
  it('matches the committed schema.graphql (run `npm run codegen` after changing the API)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(printServoSchema()).toBe(committed);
  });

  it("mirrors Dagster's names, types, nullability and arguments for every type both have", () => {
    expect(mirrorDifferences()).toEqual([]);
  });

  it('shares most of its types with Dagster', () => {
    const ours = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__'));
    const shared = ours.filter(
      (name) => dagster.getType(name) !== undefined && dagster.getType(name) !== null,
    );
    // Servo's own additions (clock, automation health, limits, definitions CRUD) are the rest.
    expect(shared.length).toBeGreaterThan(ours.length / 2);
  });
});
