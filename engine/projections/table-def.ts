import type { ColumnSpec, ColumnType, TableSchema } from './parquet-codec.js';

/**
 * A projection table: rows are plain objects with camelCase fields; each field is persisted as the
 * snake_case Parquet column of the same name. Field and column names are a contract (golden tests
 * pin them): add nullable fields freely, never rename or retype one. See docs/semantics.md.
 */
export interface FieldSpec {
  field: string;
  column: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableDef<R extends object = object> {
  readonly name: string;
  /** Bumped only for a breaking layout change (which also needs a rebuild from the ledger). */
  readonly version: number;
  readonly fields: readonly FieldSpec[];
  readonly schema: TableSchema;
  /** The row's primary key as one string (components joined by `KEY_SEPARATOR`). */
  keyOf(row: R): string;
}

/** Joins composite key components; a control character cannot appear in names or partition keys. */
export const KEY_SEPARATOR = '\u001f';

export function compositeKey(...parts: string[]): string {
  return parts.join(KEY_SEPARATOR);
}

type Spec = `${ColumnType}` | `${ColumnType}?`;

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Declares a table from `{ fieldName: 'type' | 'type?' }` (a trailing `?` makes it nullable). The
 * order of fields is the column order of the files.
 */
export function defineTable<R extends object>(
  name: string,
  version: number,
  fields: { [K in keyof R]-?: Spec },
  keyOf: (row: R) => string,
): TableDef<R> {
  const specs: FieldSpec[] = Object.entries(fields as Record<string, Spec>).map(([field, spec]) => ({
    field,
    column: snakeCase(field),
    type: spec.replace('?', '') as ColumnType,
    nullable: spec.endsWith('?'),
  }));
  const columns: ColumnSpec[] = specs.map(({ column, type, nullable }) => ({ name: column, type, nullable }));
  return { name, version, fields: specs, schema: { name, columns }, keyOf };
}
