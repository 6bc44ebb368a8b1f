/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members omitted,
 * non-finite numbers rejected. Two values that are equal as data always serialize to the same
 * bytes, so hashes and byte comparisons of canonical JSON are stable across processes.
 *
 * Every JSON column of every projection row goes through here when projections are written, so
 * the common shapes take a fast path: an array of strings, and a plain object whose keys are
 * already sorted and whose values are all strings, finite numbers, booleans or null, are exactly
 * what `JSON.stringify` gives for them.
 */
export function canonicalJson(value: unknown): string {
  return write(value);
}

function write(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold the number ${value}`);
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? writeArray(value) : writeRecord(value as Record<string, unknown>);
    default:
      throw new TypeError(`canonical JSON cannot hold a value of type ${typeof value}`);
  }
}

function writeArray(items: readonly unknown[]): string {
  let strings = true;
  for (let index = 0; index < items.length; index++) {
    if (typeof items[index] !== 'string') {
      strings = false;
      break;
    }
  }
  if (strings) return JSON.stringify(items);
  let out = '[';
  for (let index = 0; index < items.length; index++) {
    if (index > 0) out += ',';
    const item = items[index];
    // An `undefined` item is `null`; a hole in a sparse array writes nothing.
    if (item !== undefined) out += write(item);
    else if (index in items) out += 'null';
  }
  return `${out}]`;
}

function writeRecord(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  let sorted = true;
  let flat = true;
  for (let index = 0; index < keys.length; index++) {
    if (index > 0 && keys[index - 1]! > keys[index]!) sorted = false;
    if (flat && !isFlatValue(record[keys[index]!])) flat = false;
  }
  if (sorted && flat && keys.length > 0 && isPlainObject(record)) return JSON.stringify(record);
  if (!sorted) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${write(member)}`;
  }
  return `${out}}`;
}

/** A member `JSON.stringify` writes exactly as canonical JSON does. */
function isFlatValue(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
