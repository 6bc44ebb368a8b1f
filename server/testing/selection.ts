import {
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isLeafType,
  isNonNullType,
  isObjectType,
} from 'graphql';

/**
 * A selection of everything reachable from `type` within `depth` levels (the field holding the
 * selection counts as the first): every scalar and enum, and every object field, recursing. Fields
 * with a required argument are left out; optional arguments take their defaults. Abstract types
 * get an inline fragment per possible type, and fields inside fragments are aliased
 * `{Type}_{field}` so members whose same-named fields differ in type do not conflict.
 *
 * Used to ask "everything" of a field without writing its selection by hand, so tests keep
 * covering fields added later.
 */
export function selectEverything(schema: GraphQLSchema, type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (depth <= 1) return '{ __typename }';
  if (isAbstractType(named)) {
    const members = schema
      .getPossibleTypes(named)
      .map((member) => `... on ${member.name} ${fieldsOf(schema, member, depth, member.name)}`);
    return `{ __typename ${members.join(' ')} }`;
  }
  return fieldsOf(schema, named as GraphQLObjectType, depth, undefined);
}

function fieldsOf(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  depth: number,
  alias: string | undefined,
): string {
  const parts = ['__typename'];
  for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
    if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
    const name = alias === undefined ? field.name : `${alias}_${field.name}: ${field.name}`;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(name);
    else if (isObjectType(inner) || isAbstractType(inner)) {
      parts.push(`${name} ${selectEverything(schema, field.type, depth - 1)}`);
    }
  }
  return `{ ${parts.join(' ')} }`;
}
