import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/event-factory.js';
import { canonicalJson } from './canonical-json.js';

/** The definition, written plainly: the fast paths must give exactly its bytes. */
function reference(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined ? 'null' : reference(item))).join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(',')}}`;
    }
    default:
      throw new TypeError(typeof value);
  }
}

describe('canonical JSON', () => {
  it('sorts keys, drops undefined members and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 'é', y: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"d":{"y":0,"z":"é"}}',
    );
    expect(canonicalJson(['a', 'b'])).toBe('["a","b"]');
    expect(canonicalJson({ a: 'x', b: 2 })).toBe('{"a":"x","b":2}');
    expect(canonicalJson({ 10: 'x', 9: 'y', a: 'z' })).toBe('{"10":"x","9":"y","a":"z"}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(canonicalJson(new Date(0))).toBe('{}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
  });

  it('gives the bytes of its plain definition for random values', () => {
    const random = seededRandom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const keys = ['a', 'b', 'B', 'z', '10', '9', 'é', 'ab', '', 'key with space', '"q"'];
    const leaf = (): unknown =>
      pick([
        () => null,
        () => true,
        () => 'text',
        () => 'é\n"',
        () => -0,
        () => 1.5e300,
        () => 42,
        () => undefined,
      ])();
    const value = (depth: number): unknown => {
      if (depth > 3 || random() < 0.3) return leaf();
      if (random() < 0.5) return Array.from({ length: Math.floor(random() * 5) }, () => value(depth + 1));
      const record: Record<string, unknown> = {};
      for (let count = Math.floor(random() * 5); count > 0; count--) record[pick(keys)] = value(depth + 1);
      return record;
    };
    for (let round = 0; round < 5000; round++) {
      const candidate = value(0);
      if (candidate === undefined) continue;
      expect(canonicalJson(candidate)).toBe(reference(candidate));
    }
  });
});
