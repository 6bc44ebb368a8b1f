import { canonicalJson } from '../model/canonical-json.js';
import type { ColumnarTable, ParquetValue } from './parquet-codec.js';
import type { TableDef } from './table-def.js';

/**
 * Converts projection rows to Parquet columns and back. JSON fields are stored as canonical JSON
 * text; int64 fields are numbers in rows (always within ±2^53) and bigints in Parquet; every other
 * field is stored as it is.
 *
 * Rows are read one after another, each once (not once per column): a base write converts every
 * row of the projections, and reading each row whole is about twice as fast as visiting all rows
 * once per column. Each table gets a converter compiled from its definition (`columnWriterOf`), so
 * every field is read as `row.field` at its own site, which V8 caches for the row's shape, instead
 * of by a computed name that changes from one field to the next.
 */
export function rowsToColumns<R extends object>(def: TableDef<R>, rows: readonly R[]): ColumnarTable {
  const columns: ParquetValue[][] = def.fields.map(() => new Array<ParquetValue>(rows.length));
  columnWriterOf(def)(rows, columns, canonicalJson);
  return { rowCount: rows.length, columns };
}

type ColumnWriter = (
  rows: readonly object[],
  columns: ParquetValue[][],
  json: (value: unknown) => string,
) => void;

const columnWriters = new WeakMap<TableDef<object>, ColumnWriter>();

function columnWriterOf(def: TableDef<object>): ColumnWriter {
  let writer = columnWriters.get(def);
  if (writer === undefined) {
    writer = compileColumnWriter(def);
    columnWriters.set(def, writer);
  }
  return writer;
}

/**
 * The compiled converter: a loop whose body is, per field, `v = row.field; cN[i] = …` with the
 * conversion of the field's type (`undefined` → null; JSON → `json(v)`; int64 number → bigint).
 * Only field names, checked to be plain identifiers, and column indexes go into the source.
 */
function compileColumnWriter(def: TableDef<object>): ColumnWriter {
  const columns = def.fields.map((_, index) => `c${index}`);
  const statements = def.fields.map((spec, index) => {
    const target = `c${index}[i]`;
    const converted =
      spec.type === 'json'
        ? 'v === null || v === undefined ? null : json(v)'
        : spec.type === 'int64'
          ? "typeof v === 'number' ? BigInt(v) : v ?? null"
          : 'v === undefined ? null : v';
    return `v = row.${plainProperty(def, spec.field)}; ${target} = ${converted};`;
  });
  const body = [
    `const [${columns.join(', ')}] = columns;`,
    'for (let i = 0; i < rows.length; i++) {',
    '  const row = rows[i];',
    '  let v;',
    ...statements.map((statement) => `  ${statement}`),
    '}',
  ].join('\n');
  return new Function('rows', 'columns', 'json', body) as ColumnWriter;
}

/** `field` when it can be written as `row.field` as it is; a table defined otherwise is refused. */
function plainProperty(def: TableDef<object>, field: string): string {
  if (!PLAIN_PROPERTY.test(field) || field === '__proto__')
    throw new Error(`table ${def.name}: field name ${JSON.stringify(field)} is not a plain identifier`);
  return field;
}

/**
 * Rows of decoded columns, in file order. A published base holds up to millions of rows and reading
 * it is most of a process's start, so each table gets a converter compiled from its definition
 * (`rowBuilderOf`): it writes every row as one object literal, which V8 allocates once with all its
 * fields in place, instead of growing an empty object field by field (about five times faster, and
 * it leaves no outgrown property stores behind for the garbage collector).
 */
export function columnsToRows<R extends object>(def: TableDef<R>, table: ColumnarTable): R[] {
  return rowBuilderOf(def)(table.columns, table.rowCount, parseJsonValue, int64Value) as R[];
}

type RowBuilder = (
  columns: readonly (readonly ParquetValue[])[],
  rowCount: number,
  json: (value: ParquetValue | undefined) => unknown,
  int64: (value: ParquetValue | undefined) => unknown,
) => object[];

const rowBuilders = new WeakMap<TableDef<object>, RowBuilder>();

/** A field name that can be written as a property of an object literal as it is. */
const PLAIN_PROPERTY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function parseJsonValue(value: ParquetValue | undefined): unknown {
  return value === null || value === undefined ? null : JSON.parse(value as string);
}

function int64Value(value: ParquetValue | undefined): unknown {
  return value === null || value === undefined ? null : Number(value);
}

function rowBuilderOf(def: TableDef<object>): RowBuilder {
  let builder = rowBuilders.get(def);
  if (builder === undefined) {
    builder = compileRowBuilder(def);
    rowBuilders.set(def, builder);
  }
  return builder;
}

/**
 * The compiled converter: a loop whose body is `{ field0: c0[i] ?? null, field1: json(c1[i]), … }`.
 * Only field names, checked to be plain identifiers, and column indexes go into the source.
 */
function compileRowBuilder(def: TableDef<object>): RowBuilder {
  const columns = def.fields.map((_, index) => `c${index}`);
  const properties = def.fields.map((spec, index) => {
    if (!PLAIN_PROPERTY.test(spec.field) || spec.field === '__proto__')
      throw new Error(
        `table ${def.name}: field name ${JSON.stringify(spec.field)} is not a plain identifier`,
      );
    const value = `c${index}[i]`;
    const converted =
      spec.type === 'json'
        ? `json(${value})`
        : spec.type === 'int64'
          ? `int64(${value})`
          : `${value} ?? null`;
    return `${spec.field}: ${converted}`;
  });
  const body = [
    `const [${columns.join(', ')}] = columns;`,
    'const rows = new Array(rowCount);',
    `for (let i = 0; i < rowCount; i++) rows[i] = { ${properties.join(', ')} };`,
    'return rows;',
  ].join('\n');
  return new Function('columns', 'rowCount', 'json', 'int64', body) as RowBuilder;
}

/** Canonical text of a row, for byte-for-byte comparisons of projections. */
export function canonicalRow(row: object): string {
  return canonicalJson(row);
}
