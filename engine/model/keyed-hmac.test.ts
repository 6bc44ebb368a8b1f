import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/event-factory.js';
import { keyedHmacSha256 } from './keyed-hmac.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const expected = (key: Uint8Array, text: string) =>
  createHmac('sha256', key).update(text, 'utf8').digest('hex');

describe('keyed HMAC-SHA256', () => {
  it('matches RFC 4231 test case 2', () => {
    const mac = keyedHmacSha256(new TextEncoder().encode('Jefe'));
    expect(hex(mac('what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('gives the bytes of node:crypto for every message length around the block boundaries', () => {
    const key = new TextEncoder().encode('test-secret');
    const mac = keyedHmacSha256(key);
    for (let length = 0; length <= 300; length++) {
      const text = 'x'.repeat(length);
      expect(hex(mac(text)), `length ${length}`).toBe(expected(key, text));
    }
  });

  it('gives the bytes of node:crypto for random keys and text, including non-ASCII and lone surrogates', () => {
    const random = seededRandom(42);
    const alphabet = ['a', 'Z', '0', ':', 'é', '€', '😀', '\u0000', '\ud800', 'ſ'];
    for (let round = 0; round < 200; round++) {
      const key = Uint8Array.from({ length: Math.floor(random() * 150) + 1 }, () =>
        Math.floor(random() * 256),
      );
      const mac = keyedHmacSha256(key);
      for (let message = 0; message < 5; message++) {
        const text = Array.from(
          { length: Math.floor(random() * 200) },
          () => alphabet[Math.floor(random() * alphabet.length)],
        ).join('');
        expect(hex(mac(text))).toBe(expected(key, text));
      }
    }
  });

  it('returns a fresh array for each call', () => {
    const mac = keyedHmacSha256(new Uint8Array([1, 2, 3]));
    const first = mac('a');
    const copy = hex(first);
    mac('b');
    expect(hex(first)).toBe(copy);
  });
});
