import type { ParquetValue } from '../parquet-codec.js';

/** Largest slab of UTF-8 bytes shared by the values of one column. */
const MAX_SLAB_BYTES = 1 << 20;
const MIN_SLAB_BYTES = 1 << 12;
/** Distinct values remembered per column so repeats share one view. */
const REPEAT_CACHE_SIZE = 4096;

const textEncoder = new TextEncoder();

/**
 * Encodes a validated string column (strings and nulls) to UTF-8 for hyparquet-writer, keeping
 * nulls as null.
 *
 * Why: given strings, the writer calls `TextEncoder.encode` once per value (a fresh buffer each)
 * and compares strings for statistics code point by code point; for a 1M-row column that made
 * string columns 2–3× slower to encode than given bytes. Here the bytes of many values share one
 * slab and each value is a view into it; ASCII (ids, names, JSON keys) is copied by a plain loop
 * and only other text goes through `encodeInto`. The first few thousand distinct values are
 * remembered so that a repeated value (a status, a schedule id) reuses its view: the writer's
 * dictionary builder then finds it by identity instead of hashing its bytes again. The writer
 * treats the views like strings it encoded itself: the same bytes on disk, and the same min/max
 * statistics (UTF-8 byte order equals code point order).
 *
 * Contract: `values` holds only strings and nulls (the codec validates first). The returned views
 * must not be mutated; they share slabs.
 */
export function encodeUtf8Column(values: readonly ParquetValue[]): (Uint8Array | null)[] {
  const n = values.length;
  const out = new Array<Uint8Array | null>(n);
  const repeats = new Map<string, Uint8Array>();
  // Looking up a value that never repeats costs hashing it; once the cache is full and has missed
  // more often than it hit (ids, run keys), stop looking.
  let lookUpRepeats = true;
  let hits = 0;
  let slab = new Uint8Array(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'string') {
      out[i] = null;
      continue;
    }
    if (lookUpRepeats) {
      const repeated = repeats.get(value);
      if (repeated !== undefined) {
        out[i] = repeated;
        hits++;
        continue;
      }
    }
    const length = value.length;
    // A UTF-16 code unit never needs more than 3 UTF-8 bytes (a surrogate pair needs 4 for 2 units).
    const worstCase = length * 3;
    if (offset + worstCase > slab.length) {
      // Size the next slab from this value and the values left, so small tables stay small.
      const wanted = Math.min(MAX_SLAB_BYTES, Math.max(MIN_SLAB_BYTES, (n - i) * worstCase));
      slab = new Uint8Array(Math.max(wanted, worstCase));
      offset = 0;
    }
    const start = offset;
    let j = 0;
    for (; j < length; j++) {
      const code = value.charCodeAt(j);
      if (code >= 0x80) break;
      slab[offset++] = code;
    }
    if (j < length) offset = start + textEncoder.encodeInto(value, slab.subarray(start)).written;
    const bytes = slab.subarray(start, offset);
    out[i] = bytes;
    if (repeats.size < REPEAT_CACHE_SIZE) repeats.set(value, bytes);
    else if (hits < repeats.size) lookUpRepeats = false;
  }
  return out;
}
