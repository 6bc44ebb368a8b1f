import { encodeTime, incrementBase32, isValid, ulid } from 'ulid';

/** A source of 80 random bits for ULIDs; injectable so simulations are reproducible. */
export type RandomSource = () => number;

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value) && isValid(value);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let index = 0; index < CROCKFORD.length; index++) {
  DIGIT_VALUE[CROCKFORD.charCodeAt(index)] = index;
  DIGIT_VALUE[CROCKFORD.toLowerCase().charCodeAt(index)] = index;
}

/**
 * The millisecond time embedded in a ULID (its first 10 characters). Called for every folded event,
 * so it avoids the string splitting of the general-purpose decoder.
 */
export function ulidTime(id: string): number {
  if (id.length !== 26) throw new TypeError(`not a ULID: ${id}`);
  let time = 0;
  for (let index = 0; index < 10; index++) {
    const digit = DIGIT_VALUE[id.charCodeAt(index)] ?? -1;
    if (digit < 0) throw new TypeError(`not a ULID: ${id}`);
    time = time * 32 + digit;
  }
  return time;
}

/**
 * The smallest-effort ULID strictly greater than `previous` (when given) and not earlier than
 * `nowMs`: a fresh id when the clock has moved past `previous`, else `previous` incremented. This is
 * how the ledger keeps event ids increasing across segments even when writers' clocks disagree.
 */
export function nextUlid(previous: string | undefined, nowMs: number, random?: RandomSource): string {
  if (previous === undefined || ulidTime(previous) < nowMs) return ulid(nowMs, random);
  return incrementBase32(previous);
}

/** The lowest ULID at a given millisecond: useful as an exclusive lower bound in queries. */
export function minUlidAt(ms: number): string {
  return `${encodeTime(ms, 10)}0000000000000000`;
}
