import { z } from 'zod';
import { EVENT_TYPES } from './model/catalog.js';
import type { Dedupe } from './model/event-type.js';
import { TABLE_NAMES, TABLES } from './projections/tables/index.js';

/**
 * Renders the reference parts of docs/protocol.md (the event catalog) and docs/projections.md (the
 * Parquet tables) from the code that defines them, so the documents cannot drift: a test compares
 * the committed files with this output (`npm run docs:generate` rewrites them).
 */

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  format?: string;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  default?: unknown;
};

function summarize(schema: JsonSchema, depth = 0): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum !== undefined) return schema.enum.map((value) => JSON.stringify(value)).join(' \\| ');
  const union = schema.oneOf ?? schema.anyOf;
  if (union !== undefined) return union.map((member) => summarize(member, depth)).join(' \\| ');
  const type = Array.isArray(schema.type) ? schema.type.join(' \\| ') : schema.type;
  if (type === 'string') return schema.format === 'date-time' ? 'instant' : 'string';
  if (type === 'integer' || type === 'number') return 'integer';
  if (type === 'boolean' || type === 'null') return type;
  if (type === 'array') return `${summarize(schema.items ?? {}, depth)}[]`;
  if (type === 'object') {
    if (schema.properties !== undefined && Object.keys(schema.properties).length > 0) {
      if (depth >= 2) return 'object';
      const required = new Set(schema.required ?? []);
      const fields = Object.entries(schema.properties).map(
        ([name, field]) => `${name}${required.has(name) ? '' : '?'}: ${summarize(field, depth + 1)}`,
      );
      return `{ ${fields.join(', ')} }`;
    }
    if (typeof schema.additionalProperties === 'object') {
      return `map<string, ${summarize(schema.additionalProperties, depth)}>`;
    }
    return 'object';
  }
  return 'any';
}

export function renderEventCatalog(): string {
  const lines: string[] = [];
  for (const definition of Object.values(EVENT_TYPES)) {
    const schema = z.toJSONSchema(definition.payload, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const required = new Set(schema.required ?? []);
    lines.push(`### \`${definition.type}\``, '', definition.description, '');
    lines.push(`Idempotency key: \`${definition.keyFormat}\``, '');
    const dedupe: Dedupe = definition.dedupe;
    lines.push(
      dedupe.by === 'key'
        ? 'A copy is recognised by its key, recorded when the event changes state.'
        : `A copy is recognised by state, and its key is not recorded: the event ${dedupe.guard}.`,
      '',
    );
    lines.push('| field | type | required |', '|---|---|---|');
    for (const [name, field] of Object.entries(schema.properties ?? {})) {
      const optional = !required.has(name) || field.default !== undefined;
      const note = field.default !== undefined ? ` (default ${JSON.stringify(field.default)})` : '';
      lines.push(`| \`${name}\` | ${summarize(field)} | ${optional ? `no${note}` : 'yes'} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function renderProjectionTables(): string {
  const lines: string[] = [];
  for (const name of TABLE_NAMES) {
    const def = TABLES[name];
    lines.push(`### \`${def.name}\` (layout version ${def.version})`, '');
    lines.push('| column | Parquet type | nullable |', '|---|---|---|');
    for (const field of def.fields) {
      const physical = {
        utf8: 'BYTE_ARRAY (STRING)',
        json: 'BYTE_ARRAY (STRING, JSON text)',
        int32: 'INT32',
        int64: 'INT64',
        boolean: 'BOOLEAN',
        timestamp: 'INT64 (TIMESTAMP millis, UTC)',
      }[field.type];
      lines.push(`| \`${field.column}\` | ${physical} | ${field.nullable ? 'yes' : 'no'} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const BEGIN = '<!-- generated:begin -->';
const END = '<!-- generated:end -->';

/** Replaces the generated section of a document (between the markers) with `generated`. */
export function spliceGenerated(document: string, generated: string): string {
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (begin < 0 || end < begin) throw new Error('document lacks the generated-section markers');
  return `${document.slice(0, begin + BEGIN.length)}\n\n${generated}\n${document.slice(end)}`;
}
