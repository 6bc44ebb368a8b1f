import type { SchemaElement } from 'hyparquet';
import type { SchemaElement as WriterSchemaElement } from 'hyparquet-writer';
import { ErrorCode, ServoError } from '../../errors.js';
import type { ColumnSpec } from '../parquet-codec.js';

/**
 * How each `ColumnType` is laid out in a Parquet file, and which layouts written by other tools
 * decode into it. Both directions live here so the write layout and the read check cannot drift.
 */

/**
 * The schema element Servo writes for a column: the exact physical and logical types documented on
 * `ColumnType`. Both the legacy `converted_type` and the `logical_type` are set, because older
 * readers only understand the former and newer ones prefer the latter. `json` columns are plain
 * STRING (not the JSON logical type) so every reader hands them back as text.
 *
 * The return type is hyparquet-writer's own `SchemaElement`: the writer pins a different hyparquet
 * release than the reader, and their type unions differ slightly.
 */
export function schemaElementFor(spec: ColumnSpec): WriterSchemaElement {
  const repetition_type = spec.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (spec.type) {
    case 'utf8':
    case 'json':
      return {
        name: spec.name,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
        repetition_type,
      };
    case 'int32':
      return { name: spec.name, type: 'INT32', repetition_type };
    case 'int64':
      return { name: spec.name, type: 'INT64', repetition_type };
    case 'boolean':
      return { name: spec.name, type: 'BOOLEAN', repetition_type };
    case 'timestamp':
      return {
        name: spec.name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
  }
}

/**
 * How decoded values of a file column become values of a schema column. hyparquet has already
 * applied the file's logical type (strings decoded, timestamps turned into epoch ms by the codec's
 * parsers); what is left is the JS representation the port promises.
 * - `as-is`: the value already has the right JS type (strings, booleans, numbers, bigints).
 * - `int32-to-int64`: an INT32 file column widened into an `int64` schema column.
 */
export type ValueMapping = 'as-is' | 'int32-to-int64';

const signedIntegerAnnotations: ReadonlySet<string> = new Set(['INT_8', 'INT_16', 'INT_32', 'INT_64']);

/**
 * Decides whether a column found in a file can be decoded as `spec`, and how.
 *
 * Accepted layouts (everything Servo writes, plus what DuckDB, Spark and Arrow write for the same
 * types):
 * - `utf8`/`json`: BYTE_ARRAY that is unannotated, STRING/UTF8, ENUM or JSON.
 * - `int32`: INT32 that is unannotated or a signed INT(8|16|32).
 * - `int64`: INT64 that is unannotated or signed INT(64); also a signed INT32, widened.
 * - `boolean`: BOOLEAN.
 * - `timestamp`: INT64 with TIMESTAMP (any unit, UTC-adjusted or not: a local timestamp is read as
 *   if it were UTC) or TIMESTAMP_MILLIS/MICROS; or legacy INT96.
 * A group (struct, list, map) or any other type throws `CORRUPT` naming the table and column, since
 * decoding it anyway would hand the fold values of the wrong type.
 */
export function valueMappingFor(table: string, spec: ColumnSpec, element: SchemaElement): ValueMapping {
  const { type, converted_type: converted, logical_type: logical } = element;
  const intAnnotation =
    (converted === undefined || signedIntegerAnnotations.has(converted)) &&
    (logical === undefined || (logical.type === 'INTEGER' && logical.isSigned));
  switch (spec.type) {
    case 'utf8':
    case 'json':
      if (
        type === 'BYTE_ARRAY' &&
        (converted === undefined || converted === 'UTF8' || converted === 'ENUM' || converted === 'JSON') &&
        (logical === undefined ||
          logical.type === 'STRING' ||
          logical.type === 'ENUM' ||
          logical.type === 'JSON')
      ) {
        return 'as-is';
      }
      break;
    case 'int32':
      if (type === 'INT32' && intAnnotation) return 'as-is';
      break;
    case 'int64':
      if (type === 'INT64' && intAnnotation) return 'as-is';
      if (type === 'INT32' && intAnnotation) return 'int32-to-int64';
      break;
    case 'boolean':
      if (type === 'BOOLEAN') return 'as-is';
      break;
    case 'timestamp':
      if (type === 'INT96' && converted === undefined && logical === undefined) return 'as-is';
      if (
        type === 'INT64' &&
        (logical?.type === 'TIMESTAMP' ||
          converted === 'TIMESTAMP_MILLIS' ||
          converted === 'TIMESTAMP_MICROS')
      ) {
        return 'as-is';
      }
      break;
  }
  throw new ServoError(
    ErrorCode.Corrupt,
    `${table}.${spec.name}: file column of type ${describeElement(element)} cannot be read as ${spec.type}`,
    { details: { table, column: spec.name, expected: spec.type, found: describeElement(element) } },
  );
}

function describeElement(element: SchemaElement): string {
  if (element.type === undefined) return 'group';
  const annotation = element.logical_type?.type ?? element.converted_type;
  return annotation === undefined ? element.type : `${element.type} (${annotation})`;
}
