import { describe, expect, it } from 'vitest';
import type { ParquetValue } from '../parquet-codec.js';
import { encodeUtf8Column } from './utf8-column.js';

const reference = new TextEncoder();

function expectSameAsTextEncoder(values: ParquetValue[]): void {
  const encoded = encodeUtf8Column(values);
  expect(encoded).toHaveLength(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      // Buffer.equals: toEqual walks megabyte-long arrays element by element.
      expect(Buffer.from(encoded[i]!).equals(reference.encode(value))).toBe(true);
    } else {
      expect(encoded[i]).toBeNull();
    }
  }
}

describe('UTF-8 column encoding', () => {
  it('encodes each string to the same bytes as TextEncoder and keeps nulls', () => {
    expectSameAsTextEncoder([
      '',
      'ascii',
      null,
      'é',
      '日本語',
      '😀🎉',
      'a\u0000b',
      'lone \ud800 surrogate',
      null,
    ]);
  });

  it('stays exact across slab boundaries, for values larger than a slab and for many distinct values', () => {
    const values: ParquetValue[] = [];
    for (let i = 0; i < 20_000; i++) values.push(i % 3 === 0 ? `ключ-${i}-🙂` : `key-${i}`);
    values.push('x'.repeat(1_500_000), '漢'.repeat(400_000), 'tail');
    expectSameAsTextEncoder(values);
  });

  it('stays exact for empty strings among repeated values', () => {
    expectSameAsTextEncoder(['', 'a', '', 'a', null, 'b', '', 'ü', 'a', '', 'ü']);
  });

  it('gives repeated values one shared view', () => {
    const encoded = encodeUtf8Column(['queued', 'running', 'queued', 'queued']);
    expect(encoded[2]).toBe(encoded[0]);
    expect(encoded[3]).toBe(encoded[0]);
    expect(encoded[1]).not.toBe(encoded[0]);
  });
});
