import { invalidInput } from '../../errors.js';
import type { TimeCadence } from '../common.js';
import {
  type CivilDateTime,
  dayOfYear,
  daysFromCivil,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  MS_PER_SECOND,
  weekdayOfDays,
} from './civil-time.js';

/**
 * The strftime subset used for time-window partition keys, with Dagster's defaults and its rule
 * for repeated hours.
 *
 * Directives: `%Y` (4-digit year), `%m` `%d` `%H` `%M` `%S` (2 digits), `%j` (3-digit day of
 * year), `%b` `%B` (English month name, short/long), `%a` `%A` (English weekday name), `%z`
 * (UTC offset `+HHMM`, `+HHMMSS` when it has seconds) and `%%`. Parsing is strict: numbers have
 * exactly their formatted width and names their formatted case, so every key has one spelling.
 */

/** Dagster's default key formats per cadence. */
export const DEFAULT_KEY_FORMATS: Readonly<Record<TimeCadence, string>> = {
  hourly: '%Y-%m-%d-%H:%M',
  daily: '%Y-%m-%d',
  weekly: '%Y-%m-%d',
  monthly: '%Y-%m-%d',
};

type Directive = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S' | 'j' | 'b' | 'B' | 'a' | 'A' | 'z';
type Token = { readonly literal: string } | { readonly directive: Directive };

export interface KeyFormat {
  readonly pattern: string;
  /** True when the pattern has `%z`: keys then always carry their offset. */
  readonly hasOffset: boolean;
  readonly tokens: readonly Token[];
  /** The pattern with `%z` appended, used for the second occurrence of a repeated hour. */
  readonly withOffset: readonly Token[];
}

/** Fields read back from a key; absent fields were not in the format. */
export interface ParsedKey {
  year?: number;
  month?: number;
  day?: number;
  dayOfYear?: number;
  hour?: number;
  minute?: number;
  second?: number;
  weekday?: number;
  /** UTC offset in milliseconds, from `%z` or from the repeated-hour suffix. */
  offset?: number;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const NUMERIC_WIDTH: Partial<Record<Directive, number>> = { Y: 4, m: 2, d: 2, H: 2, M: 2, S: 2, j: 3 };
const SUPPORTED = '%Y %m %d %H %M %S %j %b %B %a %A %z %%';

/** Compiles and validates a key format: it must tell every window of its cadence apart. */
export function compileKeyFormat(pattern: string, cadence: TimeCadence): KeyFormat {
  const tokens: Token[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char !== '%') {
      literal += char;
      continue;
    }
    const next = pattern[++i];
    if (next === '%') {
      literal += '%';
      continue;
    }
    if (next === undefined || !'YmdHMSjbBaAz'.includes(next)) {
      throw invalidInput(
        `key format '${pattern}' has an unsupported directive '%${next ?? ''}'; supported: ${SUPPORTED}`,
        { format: pattern },
      );
    }
    if (literal !== '') tokens.push({ literal });
    literal = '';
    tokens.push({ directive: next as Directive });
  }
  if (literal !== '') tokens.push({ literal });
  const has = (...directives: Directive[]) =>
    tokens.some((t) => 'directive' in t && directives.includes(t.directive));
  const identifiesDate = has('j') || (has('m', 'b', 'B') && has('d'));
  const identifiesMonth = has('j') || has('m', 'b', 'B');
  const ok =
    has('Y') &&
    (cadence === 'monthly' ? identifiesMonth : identifiesDate) &&
    (cadence !== 'hourly' || has('H'));
  if (!ok) {
    const needs =
      cadence === 'monthly'
        ? '%Y and %m (or %b, %B, %j)'
        : `%Y, %m (or %b, %B) and %d (or %Y and %j)${cadence === 'hourly' ? ', and %H' : ''}`;
    throw invalidInput(`key format '${pattern}' cannot tell ${cadence} partitions apart: it needs ${needs}`, {
      format: pattern,
      cadence,
    });
  }
  const hasOffset = has('z');
  return { pattern, hasOffset, tokens, withOffset: hasOffset ? tokens : [...tokens, { directive: 'z' }] };
}

/** Python's `%z`: `+HHMM`, or `+HHMMSS` when the offset has seconds. */
export function formatOffset(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const total = Math.abs(offset);
  const hours = Math.floor(total / MS_PER_HOUR);
  const minutes = Math.floor((total % MS_PER_HOUR) / MS_PER_MINUTE);
  const seconds = Math.floor((total % MS_PER_MINUTE) / MS_PER_SECOND);
  return `${sign}${pad(hours, 2)}${pad(minutes, 2)}${seconds === 0 ? '' : pad(seconds, 2)}`;
}

/**
 * Formats a window's local start. `appendOffset` adds `%z` when the format lacks it: Dagster's
 * `dst_safe_strftime` does this for the second occurrence of a repeated hour of an hourly
 * definition (`2026-11-01-01:00-0500` after `2026-11-01-01:00` in New York).
 */
export function formatKey(
  format: KeyFormat,
  local: CivilDateTime,
  offset: number,
  appendOffset: boolean,
): string {
  let key = '';
  for (const token of appendOffset ? format.withOffset : format.tokens) {
    key += 'literal' in token ? token.literal : formatField(token.directive, local, offset);
  }
  return key;
}

function formatField(directive: Directive, t: CivilDateTime, offset: number): string {
  switch (directive) {
    case 'Y':
      return pad(t.year, 4);
    case 'm':
      return pad(t.month, 2);
    case 'd':
      return pad(t.day, 2);
    case 'H':
      return pad(t.hour, 2);
    case 'M':
      return pad(t.minute, 2);
    case 'S':
      return pad(t.second, 2);
    case 'j':
      return pad(dayOfYear(t.year, t.month, t.day), 3);
    case 'b':
      return MONTHS[t.month - 1]!.slice(0, 3);
    case 'B':
      return MONTHS[t.month - 1]!;
    case 'a':
      return WEEKDAYS[weekdayOfDays(daysFromCivil(t.year, t.month, t.day))]!.slice(0, 3);
    case 'A':
      return WEEKDAYS[weekdayOfDays(daysFromCivil(t.year, t.month, t.day))]!;
    case 'z':
      return formatOffset(offset);
  }
}

/**
 * Reads a key back, first with the format and then, when the format has no `%z`, with an offset
 * suffix (Dagster's `dst_safe_strptime`). Returns undefined when the key does not fit.
 */
export function parseKey(format: KeyFormat, key: string): ParsedKey | undefined {
  return (
    parseTokens(format.tokens, key) ?? (format.hasOffset ? undefined : parseTokens(format.withOffset, key))
  );
}

function parseTokens(tokens: readonly Token[], key: string): ParsedKey | undefined {
  const parsed: ParsedKey = {};
  let at = 0;
  for (const token of tokens) {
    if ('literal' in token) {
      if (!key.startsWith(token.literal, at)) return undefined;
      at += token.literal.length;
      continue;
    }
    const width = NUMERIC_WIDTH[token.directive];
    if (width !== undefined) {
      const digits = key.slice(at, at + width);
      if (!/^\d+$/.test(digits) || digits.length !== width) return undefined;
      if (!assign(parsed, token.directive, Number(digits))) return undefined;
      at += width;
    } else if (token.directive === 'z') {
      const match = /^([+-])(\d{2})(\d{2})(\d{2})?/.exec(key.slice(at));
      if (match === null) return undefined;
      const [text, sign, hours, minutes, seconds] = match;
      const magnitude =
        Number(hours) * MS_PER_HOUR + Number(minutes) * MS_PER_MINUTE + Number(seconds ?? 0) * MS_PER_SECOND;
      parsed.offset = sign === '-' ? -magnitude : magnitude;
      at += text.length;
    } else {
      const names = token.directive === 'b' || token.directive === 'B' ? MONTHS : WEEKDAYS;
      const short = token.directive === 'b' || token.directive === 'a';
      const index = names.findIndex((name) => key.startsWith(short ? name.slice(0, 3) : name, at));
      if (index < 0) return undefined;
      at += short ? 3 : names[index]!.length;
      if (!assign(parsed, token.directive, index)) return undefined;
    }
  }
  return at === key.length ? parsed : undefined;
}

/** Stores one field; false when a directive repeats with a different value. */
function assign(parsed: ParsedKey, directive: Directive, value: number): boolean {
  const field = (
    {
      Y: 'year',
      m: 'month',
      b: 'month',
      B: 'month',
      d: 'day',
      j: 'dayOfYear',
      H: 'hour',
      M: 'minute',
      S: 'second',
      a: 'weekday',
      A: 'weekday',
    } as const
  )[directive as Exclude<Directive, 'z'>];
  const stored = field === 'month' && (directive === 'b' || directive === 'B') ? value + 1 : value;
  if (parsed[field] !== undefined && parsed[field] !== stored) return false;
  parsed[field] = stored;
  return true;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
