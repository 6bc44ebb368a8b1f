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
  return rowBuilderOf(def)(table.columns, table.rowCount, parseJsonValue, int64Value, undefined) as R[];
}

/**
 * `columnsToRows`, with each row's key (`def.keyOf`) beside it, taken while the row is fresh (a
 * second pass over a million rows would read each of them from memory again).
 */
export function columnsToKeyedRows<R extends object>(
  def: TableDef<R>,
  table: ColumnarTable,
): { keys: string[]; rows: R[] } {
  const keys = new Array<string>(table.rowCount);
  const rows = rowBuilderOf(def)(table.columns, table.rowCount, parseJsonValue, int64Value, {
    keyOf: def.keyOf as (row: object) => string,
    keys,
  }) as R[];
  return { keys, rows };
}

type RowBuilder = (
  columns: readonly (readonly ParquetValue[])[],
  rowCount: number,
  json: (value: ParquetValue | undefined) => unknown,
  int64: (value: ParquetValue | undefined) => unknown,
  keyed: { keyOf: (row: object) => string; keys: string[] } | undefined,
) => object[];

const rowBuilders = new WeakMap<TableDef<object>, RowBuilder>();

/** A field name that can be written as a property of an object literal as it is. */
const PLAIN_PROPERTY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function parseJsonValue(value: ParquetValue | undefined): unknown {
  if (value === null || value === undefined) return null;
  return plainStringArray(value as string) ?? JSON.parse(value as string);
}

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;

/**
 * `JSON.parse(text)` when `text` is an array of strings without escapes, written without spaces
 * (`[]`, `["a","b"]`: run keys, run ids, target assets as canonical JSON writes them), else
 * undefined, also for text `JSON.parse` would refuse. Its strings are slices of `text`, so that
 * reading a million rows' run keys takes neither the JSON parser nor a copy of their characters.
 * Such a string holds no escape, no quote and no control character, which is what makes its
 * characters between the quotes its value.
 */
function plainStringArray(text: string): string[] | undefined {
  const end = text.length - 1;
  if (end < 1 || text.charCodeAt(0) !== OPEN_BRACKET || text.charCodeAt(end) !== CLOSE_BRACKET)
    return undefined;
  if (end === 1) return [];
  // First pass: check the form and count the strings; second: slice them out.
  let count = 0;
  let at = 1;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) return undefined;
    let close = at + 1;
    for (; close < end; close++) {
      const code = text.charCodeAt(close);
      if (code === QUOTE) break;
      if (code === BACKSLASH || code < 0x20) return undefined;
    }
    if (close >= end) return undefined;
    count += 1;
    const next = text.charCodeAt(close + 1);
    if (next === CLOSE_BRACKET) {
      if (close + 1 !== end) return undefined;
      break;
    }
    if (next !== COMMA) return undefined;
    at = close + 2;
  }
  if (count === 1) return [text.slice(2, end - 1)];
  const strings = new Array<string>(count);
  at = 1;
  for (let index = 0; index < count; index++) {
    const close = text.indexOf('"', at + 1);
    strings[index] = text.slice(at + 1, close);
    at = close + 2;
  }
  return strings;
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
 * The compiled converter: a loop whose body is `{ field0: c0[i] ?? null, field1: json(c1[i]), … }`
 * (and, given `keyed`, stores the row's key). Only field names, checked to be plain identifiers,
 * and column indexes go into the source.
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
  const row = `{ ${properties.join(', ')} }`;
  const body = [
    `const [${columns.join(', ')}] = columns;`,
    'const rows = new Array(rowCount);',
    `if (keyed === undefined) for (let i = 0; i < rowCount; i++) rows[i] = ${row};`,
    'else {',
    '  const { keyOf, keys } = keyed;',
    `  for (let i = 0; i < rowCount; i++) { const row = ${row}; rows[i] = row; keys[i] = keyOf(row); }`,
    '}',
    'return rows;',
  ].join('\n');
  return new Function('columns', 'rowCount', 'json', 'int64', 'keyed', body) as RowBuilder;
}

/** Canonical text of a row, for byte-for-byte comparisons of projections. */
export function canonicalRow(row: object): string {
  return canonicalJson(row);
}
