import { isAscii } from 'node:buffer';
import type {
  ColumnMetaData,
  Compressors,
  DataReader,
  FileMetaData,
  PageHeader,
  SchemaElement,
} from 'hyparquet';
import { snappyUncompress } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import type { ColumnSpec, ParquetValue } from '../parquet-codec.js';
import type { ValueMapping } from './column-layout.js';

/**
 * A fast path for decoding the columns of the files Servo writes: flat columns (no nesting), in
 * PLAIN or dictionary-encoded data pages (v1 or v2; booleans also run-length encoded), SNAPPY, GZIP
 * or uncompressed, holding strings, 32- and 64-bit integers, booleans and millisecond timestamps.
 * Values go straight into the output arrays, without the objects hyparquet's general reader makes
 * on the way for every value (a view per string, a bigint per 64-bit integer, arrays per page, a
 * list assembly pass), which for a file of a quarter of a million rows are most of the time and
 * garbage of decoding it.
 *
 * It gives exactly the values hyparquet with the codec's parsers gives for such columns (the
 * codec's tests read every file both ways), and declines anything else: a column or page it does
 * not know, a null in a column that may not hold one, or bytes that do not decode as they should.
 * The codec then reads the file with hyparquet, which reports what is wrong with it.
 *
 * Strings decode as `TextDecoder` decodes them. A page of plain (not dictionary) strings whose bytes
 * are all ASCII is read into one string once, and each value is a slice of it: ASCII bytes read as
 * Latin-1 are exactly the characters `TextDecoder` gives, and a slice shares the page's characters
 * instead of copying them, which makes a million ids cheap to read and to keep.
 */

/** Where the values of one file column go: the output arrays (one per schema column of that name). */
export interface FlatTarget {
  spec: ColumnSpec;
  mapping: ValueMapping;
  values: ParquetValue[];
  filled: number;
}

/** How the physical values of a column become port values. */
type ValueKind = 'string' | 'int32' | 'int32-as-bigint' | 'int64' | 'millis' | 'boolean';

/** The fast path declines the file (see the file comment); never seen outside this module. */
class Declined extends Error {}

function decline(): never {
  throw new Declined();
}

const textDecoder = new TextDecoder();

/**
 * Reads the targets' columns of `file` into the targets, or returns false (with the targets in an
 * unspecified state, to be read again) when the fast path declines the file.
 */
export function readFlatColumns(
  file: Uint8Array,
  metadata: FileMetaData,
  targets: Map<string, FlatTarget[]>,
  compressors: Compressors,
): boolean {
  try {
    readAll(file, metadata, targets, compressors);
    return true;
  } catch {
    for (const list of targets.values()) for (const target of list) target.filled = 0;
    return false;
  }
}

function readAll(
  file: Uint8Array,
  metadata: FileMetaData,
  targets: Map<string, FlatTarget[]>,
  compressors: Compressors,
): void {
  const elements = new Map<string, SchemaElement>();
  const root = metadata.schema[0];
  if (root === undefined) decline();
  for (const element of metadata.schema.slice(1)) {
    // Only a flat schema: every element a leaf of the root.
    if (element.num_children !== undefined && element.num_children > 0) decline();
    elements.set(element.name, element);
  }
  if (elements.size !== metadata.schema.length - 1 || root.num_children !== elements.size) decline();
  const kinds = new Map<string, { kind: ValueKind; optional: boolean; list: FlatTarget[] }>();
  for (const [name, list] of targets) {
    const element = elements.get(name);
    if (element === undefined) decline();
    if (element.repetition_type === 'REPEATED') decline();
    kinds.set(name, {
      kind: kindOf(element, list[0]!),
      optional: element.repetition_type !== 'REQUIRED',
      list,
    });
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    let chunks = 0;
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (meta === undefined || chunk.file_path !== undefined) decline();
      if (meta.path_in_schema.length !== 1) decline();
      const column = kinds.get(meta.path_in_schema[0]!);
      if (column === undefined) continue;
      readChunk(view, meta, column.kind, column.optional, rows, rowStart, column.list, compressors);
      chunks += 1;
    }
    // Each column once in every row group, or the rows would not line up.
    if (chunks !== kinds.size) decline();
    rowStart += rows;
  }
  if (rowStart !== Number(metadata.num_rows)) decline();
  for (const list of targets.values()) for (const target of list) target.filled = rowStart;
}

/** The value kind of a column whose layout `valueMappingFor` accepted, if the fast path reads it. */
function kindOf(element: SchemaElement, target: FlatTarget): ValueKind {
  const { type, converted_type: converted, logical_type: logical } = element;
  switch (target.spec.type) {
    case 'utf8':
    case 'json':
      if (type === 'BYTE_ARRAY') return 'string';
      break;
    case 'int32':
      if (type === 'INT32') return 'int32';
      break;
    case 'int64':
      if (type === 'INT64' && target.mapping === 'as-is') return 'int64';
      if (type === 'INT32' && target.mapping === 'int32-to-int64') return 'int32-as-bigint';
      break;
    case 'boolean':
      if (type === 'BOOLEAN') return 'boolean';
      break;
    case 'timestamp':
      // As hyparquet converts: the converted type first, then the logical type.
      if (
        type === 'INT64' &&
        (converted === 'TIMESTAMP_MILLIS' ||
          (converted === undefined && logical?.type === 'TIMESTAMP' && logical.unit === 'MILLIS'))
      )
        return 'millis';
      break;
  }
  return decline();
}

/** Reads one column chunk of a row group: `rows` values, stored from `rowStart` on. */
function readChunk(
  file: DataView,
  meta: ColumnMetaData,
  kind: ValueKind,
  optional: boolean,
  rows: number,
  rowStart: number,
  targets: readonly FlatTarget[],
  compressors: Compressors,
): void {
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const end = start + Number(meta.total_compressed_size);
  if (!(start >= 0 && end <= file.byteLength)) decline();
  const reader: DataReader = { view: file, offset: start };
  let dictionary: unknown[] | undefined;
  let read = 0;
  while (read < rows) {
    if (reader.offset >= end) decline();
    const header = parquetHeader(reader);
    const pageStart = reader.offset;
    reader.offset += header.compressed_page_size;
    if (reader.offset > end) decline();
    const compressed = new Uint8Array(file.buffer, file.byteOffset + pageStart, header.compressed_page_size);
    if (header.type === 'DICTIONARY_PAGE') {
      const dictionaryHeader = header.dictionary_page_header;
      if (dictionaryHeader === undefined || read > 0 || dictionary !== undefined) decline();
      if (dictionaryHeader.encoding !== 'PLAIN' && dictionaryHeader.encoding !== 'PLAIN_DICTIONARY')
        decline();
      const page = decompress(compressed, header.uncompressed_page_size, meta.codec, compressors);
      dictionary = new Array<unknown>(dictionaryHeader.num_values);
      readPlainValues(page, 0, kind, dictionary, 0, dictionaryHeader.num_values, false);
      continue;
    }
    const page = dataPage(header, compressed, meta.codec, compressors, optional);
    if (read + page.rows > rows) decline();
    readValues(page, kind, dictionary, targets, rowStart + read);
    read += page.rows;
  }
}

/** A data page, decompressed: its rows, which of them are null, and where its values are. */
interface DataPage {
  rows: number;
  /** Per row, 1 when it holds a value (undefined: every row does). */
  defined: Uint8Array | undefined;
  values: number;
  encoding: string;
  bytes: Uint8Array;
  /** Where the values start in `bytes`. */
  offset: number;
}

function dataPage(
  header: PageHeader,
  compressed: Uint8Array,
  codec: ColumnMetaData['codec'],
  compressors: Compressors,
  optional: boolean,
): DataPage {
  if (header.type === 'DATA_PAGE') {
    const pageHeader = header.data_page_header;
    if (pageHeader === undefined) decline();
    const bytes = decompress(compressed, header.uncompressed_page_size, codec, compressors);
    const reader: DataReader = {
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      offset: 0,
    };
    const rows = pageHeader.num_values;
    let defined: Uint8Array | undefined;
    let values = rows;
    if (optional) {
      if (pageHeader.definition_level_encoding !== 'RLE') decline();
      defined = new Uint8Array(rows);
      readRleBitPackedHybrid(reader, 1, defined);
      values = countDefined(defined);
    }
    return { rows, defined, values, encoding: pageHeader.encoding, bytes, offset: reader.offset };
  }
  if (header.type === 'DATA_PAGE_V2') {
    const pageHeader = header.data_page_header_v2;
    if (pageHeader === undefined) decline();
    const { num_rows: rows, num_values: count, num_nulls: nulls } = pageHeader;
    const levelsLength = pageHeader.definition_levels_byte_length;
    if (pageHeader.repetition_levels_byte_length !== 0 || count !== rows) decline();
    if (levelsLength < 0 || levelsLength > compressed.byteLength) decline();
    let defined: Uint8Array | undefined;
    if (optional) {
      defined = new Uint8Array(rows);
      const reader: DataReader = {
        view: new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength),
        offset: 0,
      };
      readRleBitPackedHybrid(reader, 1, defined, levelsLength);
      if (countDefined(defined) !== rows - nulls) decline();
    } else if (levelsLength !== 0 || nulls !== 0) decline();
    const size = header.uncompressed_page_size - levelsLength;
    let bytes = compressed.subarray(levelsLength);
    if (pageHeader.is_compressed !== false && size > 0) bytes = decompress(bytes, size, codec, compressors);
    return { rows, defined, values: rows - nulls, encoding: pageHeader.encoding, bytes, offset: 0 };
  }
  return decline();
}

function countDefined(defined: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < defined.length; i++) {
    const level = defined[i]!;
    if (level > 1) decline();
    count += level;
  }
  return count;
}

function decompress(
  compressed: Uint8Array,
  size: number,
  codec: ColumnMetaData['codec'],
  compressors: Compressors,
): Uint8Array {
  let page: Uint8Array;
  const custom = compressors[codec];
  if (codec === 'UNCOMPRESSED') page = compressed;
  else if (custom !== undefined) page = custom(compressed, size);
  else if (codec === 'SNAPPY') {
    page = new Uint8Array(size);
    snappyUncompress(compressed, page);
  } else return decline();
  if (page.length !== size) decline();
  return page;
}

/** Stores a data page's values (and nulls) from `at` on in every target. */
function readValues(
  page: DataPage,
  kind: ValueKind,
  dictionary: unknown[] | undefined,
  targets: readonly FlatTarget[],
  at: number,
): void {
  const first = targets[0]!.values;
  for (const target of targets) {
    if (at + page.rows > target.values.length) decline();
    if (!target.spec.nullable && page.values !== page.rows) decline();
  }
  // Without nulls the values go straight into the first target; with some, into an array first,
  // and then in their rows.
  const dense = page.values === page.rows;
  const values = dense ? first : new Array<unknown>(page.values);
  const from = dense ? at : 0;
  if (page.values === 0) {
    // Every row is null: no values to read, whatever the encoding.
  } else if (page.encoding === 'PLAIN') {
    readPlainValues(page.bytes, page.offset, kind, values, from, page.values, true);
  } else if (page.encoding === 'RLE' && kind === 'boolean') {
    // Booleans as a run-length/bit-packed hybrid of width 1 behind its byte length.
    const reader: DataReader = {
      view: new DataView(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength),
      offset: page.offset,
    };
    const bits = new Uint8Array(page.values);
    readRleBitPackedHybrid(reader, 1, bits);
    for (let i = 0; i < page.values; i++) values[from + i] = bits[i] !== 0;
  } else if (page.encoding === 'RLE_DICTIONARY' || page.encoding === 'PLAIN_DICTIONARY') {
    if (dictionary === undefined || kind === 'boolean') decline();
    const reader: DataReader = {
      view: new DataView(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength),
      offset: page.offset,
    };
    const indexes = new Uint32Array(page.values);
    const width = reader.view.getUint8(reader.offset++);
    if (width > 32) decline();
    // A width of 0 means every index is 0, as `indexes` already holds.
    if (width > 0) readRleBitPackedHybrid(reader, width, indexes, page.bytes.byteLength - reader.offset);
    const size = dictionary.length;
    for (let i = 0; i < page.values; i++) {
      const index = indexes[i]!;
      if (index >= size) decline();
      values[from + i] = dictionary[index];
    }
  } else decline();
  if (!dense) {
    const { defined } = page;
    if (defined === undefined) decline();
    let next = 0;
    for (let i = 0; i < page.rows; i++)
      first[at + i] = defined[i] === 1 ? (values[next++] as ParquetValue) : null;
  }
  for (let index = 1; index < targets.length; index++) {
    const out = targets[index]!.values;
    for (let i = at; i < at + page.rows; i++) out[i] = first[i]!;
  }
}

/**
 * Reads `count` PLAIN values of `kind` from `bytes` at `offset` into `out` from `from` on. `slices`:
 * strings of an ASCII page may be slices of the page (see the file comment).
 */
function readPlainValues(
  bytes: Uint8Array,
  offset: number,
  kind: ValueKind,
  out: unknown[],
  from: number,
  count: number,
  slices: boolean,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = offset;
  switch (kind) {
    case 'string': {
      const text =
        slices && isAscii(bytes.subarray(offset))
          ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
          : undefined;
      for (let i = 0; i < count; i++) {
        const length = view.getUint32(at, true);
        at += 4;
        if (at + length > bytes.byteLength) decline();
        out[from + i] =
          text === undefined
            ? textDecoder.decode(bytes.subarray(at, at + length))
            : text.slice(at, at + length);
        at += length;
      }
      return;
    }
    case 'int32':
      for (let i = 0; i < count; i++, at += 4) out[from + i] = view.getInt32(at, true);
      return;
    case 'int32-as-bigint':
      for (let i = 0; i < count; i++, at += 4) out[from + i] = BigInt(view.getInt32(at, true));
      return;
    case 'int64':
      for (let i = 0; i < count; i++, at += 8) out[from + i] = view.getBigInt64(at, true);
      return;
    case 'millis':
      // The exact integer high × 2^32 + low, rounded once to a double: what `Number(bigint)` gives.
      for (let i = 0; i < count; i++, at += 8)
        out[from + i] = view.getInt32(at + 4, true) * 4294967296 + view.getUint32(at, true);
      return;
    case 'boolean':
      if (offset + Math.ceil(count / 8) > bytes.byteLength) decline();
      for (let i = 0; i < count; i++) out[from + i] = ((bytes[offset + (i >> 3)]! >> (i & 7)) & 1) === 1;
      return;
  }
}
