import type { ParquetValue } from '../parquet-codec.js';

/** Distinct values remembered per column so repeats share their bytes. */
const REPEAT_CACHE_SIZE = 4096;
const MIN_BYTES = 1 << 12;

const textEncoder = new TextEncoder();

/**
 * A string column as UTF-8: value `i` is `bytes[starts[i] … starts[i] + lengths[i])`, or null when
 * `lengths[i]` is -1. New values are laid out one after another in order; a repeat of one of the
 * first `REPEAT_CACHE_SIZE` distinct values points at its first occurrence's bytes instead (so a
 * value whose start lies behind the bytes written so far is a repeat). `bytes` may be longer than
 * what is used.
 */
export interface PackedUtf8Column {
  bytes: Uint8Array;
  starts: Int32Array;
  lengths: Int32Array;
}

/**
 * Encodes a validated string column (strings and nulls) to UTF-8 in one buffer, without an object
 * per value: what `encodeUtf8Column` views, and what the encoder thread receives (see
 * `encode-thread.ts`). ASCII (ids, names, JSON keys) is copied by a plain loop and only other text
 * goes through `encodeInto`. The first few thousand distinct values are remembered so that a
 * repeated value (a status, a schedule id) is stored once.
 *
 * Contract: `values` holds only strings and nulls (the codec validates first).
 */
export function packUtf8Column(values: readonly ParquetValue[]): PackedUtf8Column {
  const n = values.length;
  const starts = new Int32Array(n);
  const lengths = new Int32Array(n);
  /** Each remembered value's first row. */
  const repeats = new Map<string, number>();
  // Looking up a value that never repeats costs hashing it; once the cache is full and has missed
  // more often than it hit (ids, run keys), stop looking.
  let lookUpRepeats = true;
  let hits = 0;
  let bytes = new Uint8Array(MIN_BYTES);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'string') {
      lengths[i] = -1;
      continue;
    }
    if (lookUpRepeats) {
      const first = repeats.get(value);
      if (first !== undefined) {
        starts[i] = starts[first]!;
        lengths[i] = lengths[first]!;
        hits++;
        continue;
      }
    }
    const length = value.length;
    // A UTF-16 code unit never needs more than 3 UTF-8 bytes (a surrogate pair needs 4 for 2 units).
    const worstCase = length * 3;
    if (offset + worstCase > bytes.length) {
      const grown = new Uint8Array(Math.max(bytes.length * 2, offset + worstCase));
      grown.set(bytes.subarray(0, offset));
      bytes = grown;
    }
    const start = offset;
    let j = 0;
    for (; j < length; j++) {
      const code = value.charCodeAt(j);
      if (code >= 0x80) break;
      bytes[offset++] = code;
    }
    if (j < length) offset = start + textEncoder.encodeInto(value, bytes.subarray(start)).written;
    starts[i] = start;
    lengths[i] = offset - start;
    if (repeats.size < REPEAT_CACHE_SIZE) repeats.set(value, i);
    else if (hits < repeats.size) lookUpRepeats = false;
  }
  return { bytes, starts, lengths };
}

/**
 * Encodes a validated string column (strings and nulls) to UTF-8 for hyparquet-writer, keeping
 * nulls as null: one view per value into the bytes of `packUtf8Column`, repeats sharing one view.
 *
 * Why: given strings, the writer calls `TextEncoder.encode` once per value (a fresh buffer each)
 * and compares strings for statistics code point by code point; for a 1M-row column that made
 * string columns 2–3× slower to encode than given bytes. A repeated value's shared view lets the
 * writer's dictionary builder find it by identity instead of hashing its bytes again. The writer
 * treats the views like strings it encoded itself: the same bytes on disk, and the same min/max
 * statistics (UTF-8 byte order equals code point order).
 *
 * Contract: `values` holds only strings and nulls. The returned views must not be mutated; they
 * share one buffer.
 */
export function encodeUtf8Column(values: readonly ParquetValue[]): (Uint8Array | null)[] {
  return utf8Views(packUtf8Column(values));
}

/**
 * The views of a packed column. A value that starts where the bytes read so far end is new; one
 * that starts behind is a repeat, and gets the view of the value first seen there. (Empty strings
 * take no bytes, so they share one empty view instead.) The encoder thread's copy of this loop is
 * in `encode-thread.ts`.
 */
export function utf8Views({ bytes, starts, lengths }: PackedUtf8Column): (Uint8Array | null)[] {
  const n = starts.length;
  const out = new Array<Uint8Array | null>(n);
  const seen = new Map<number, Uint8Array>();
  const empty = bytes.subarray(0, 0);
  let end = 0;
  for (let i = 0; i < n; i++) {
    const length = lengths[i]!;
    if (length < 0) {
      out[i] = null;
      continue;
    }
    if (length === 0) {
      out[i] = empty;
      continue;
    }
    const start = starts[i]!;
    if (start === end) {
      const view = bytes.subarray(start, start + length);
      end += length;
      if (seen.size < REPEAT_CACHE_SIZE) seen.set(start, view);
      out[i] = view;
    } else {
      out[i] = seen.get(start) ?? bytes.subarray(start, start + length);
    }
  }
  return out;
}
