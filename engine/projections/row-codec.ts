import type { RowBlock } from '../fold/state.js';
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

/** `compile(def)`, compiled once per table definition and kept as long as the definition. */
function oncePerTable<F>(compile: (def: TableDef<object>) => F): (def: TableDef<object>) => F {
  const compiled = new WeakMap<TableDef<object>, F>();
  return (def) => {
    let value = compiled.get(def);
    if (value === undefined) {
      value = compile(def);
      compiled.set(def, value);
    }
    return value;
  };
}

const columnWriterOf = oncePerTable(compileColumnWriter);

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

const rowBuilderOf = oncePerTable(compileRowBuilder);

/**
 * The compiled converter: a loop whose body is `{ field0: c0[i] ?? null, field1: json(c1[i]), … }`
 * (and, given `keyed`, stores the row's key). Only field names, checked to be plain identifiers,
 * and column indexes go into the source.
 */
function compileRowBuilder(def: TableDef<object>): RowBuilder {
  const row = rowLiteral(def, 'i');
  const body = [
    `const [${columnNames(def).join(', ')}] = columns;`,
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

function columnNames(def: TableDef<object>): string[] {
  return def.fields.map((_, index) => `c${index}`);
}

/** The converted value of field `index` at row `at` (`c{index}[at]`, as the row holds it). */
function fieldValue(def: TableDef<object>, index: number, at: string): string {
  const spec = def.fields[index] as TableDef<object>['fields'][number];
  const value = `c${index}[${at}]`;
  return spec.type === 'json'
    ? `json(${value})`
    : spec.type === 'int64'
      ? `int64(${value})`
      : `${value} ?? null`;
}

/** `{ field0: <value>, … }`: row `at` as an object literal. */
function rowLiteral(def: TableDef<object>, at: string): string {
  const properties = def.fields.map(
    (spec, index) => `${plainProperty(def, spec.field)}: ${fieldValue(def, index, at)}`,
  );
  return `{ ${properties.join(', ')} }`;
}

/**
 * The rows of decoded columns, built one at a time when asked for (`rowAt`) and kept, and readable
 * field by field without being built (`viewAt`): a table loaded from a published base holds them
 * until it has put every row into its key map, and an index over a million rows reads the two
 * fields it needs from the columns. Once every row is built, the columns are let go.
 */
export function columnsToRowBlock<R extends object>(def: TableDef<R>, table: ColumnarTable): RowBlock<R> {
  return new ColumnRowBlock(def as TableDef<object>, table) as unknown as RowBlock<R>;
}

class ColumnRowBlock implements RowBlock<object> {
  readonly length: number;
  private reader: RowReader | undefined;
  private readonly built: (object | undefined)[];
  private unbuilt: number;
  private readonly keyOf: (row: object) => string;

  constructor(def: TableDef<object>, table: ColumnarTable) {
    this.length = table.rowCount;
    this.reader = rowReaderOf(def)(table.columns, parseJsonValue, int64Value);
    this.built = new Array<object | undefined>(table.rowCount);
    this.unbuilt = table.rowCount;
    this.keyOf = def.keyOf;
  }

  keyAt(index: number): string {
    return this.keyOf(this.viewAt(index));
  }

  rowAt(index: number): object {
    const row = this.built[index];
    if (row !== undefined) return row;
    const reader = this.readerFor(index);
    const fresh = reader.build(index);
    this.built[index] = fresh;
    this.unbuilt -= 1;
    if (this.unbuilt === 0) this.reader = undefined;
    return fresh;
  }

  viewAt(index: number): object {
    return this.built[index] ?? this.readerFor(index).view(index);
  }

  private readerFor(index: number): RowReader {
    if (!(index >= 0 && index < this.length && Number.isInteger(index)))
      throw new RangeError(`row ${index} of a block of ${this.length}`);
    return this.reader as RowReader;
  }
}

/** Reads the rows of a set of decoded columns (see `compileRowReader`). */
interface RowReader {
  build(index: number): object;
  view(index: number): object;
}

type RowReaderFactory = (
  columns: readonly (readonly ParquetValue[])[],
  json: (value: ParquetValue | undefined) => unknown,
  int64: (value: ParquetValue | undefined) => unknown,
) => RowReader;

const rowReaderOf = oncePerTable(compileRowReader);

/**
 * The compiled reader of one set of columns: `build(i)` returns row `i` as one object literal (as
 * the row builder writes it), `view(i)` one object, the same at every call, whose getters read the
 * fields of row `i` (`get field0() { return c0[at] ?? null; }`). Only field names, checked to be
 * plain identifiers, and column indexes go into the source; the columns and the row a view reads
 * are variables of the closure, so no field name can clash with them.
 */
function compileRowReader(def: TableDef<object>): RowReaderFactory {
  const getters = def.fields.map(
    (spec, index) => `get ${plainProperty(def, spec.field)}() { return ${fieldValue(def, index, 'at')}; }`,
  );
  const body = [
    `const [${columnNames(def).join(', ')}] = columns;`,
    'let at = 0;',
    `const view = { ${getters.join(', ')} };`,
    'return {',
    `  build(i) { return ${rowLiteral(def, 'i')}; },`,
    '  view(i) { at = i; return view; },',
    '};',
  ].join('\n');
  return new Function('columns', 'json', 'int64', body) as RowReaderFactory;
}

/** Canonical text of a row, for byte-for-byte comparisons of projections. */
export function canonicalRow(row: object): string {
  return canonicalJson(row);
}
