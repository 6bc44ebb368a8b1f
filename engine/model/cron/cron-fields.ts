import { invalidInput } from '../../errors.js';
import { daysInMonth } from './civil-date.js';

/**
 * Reads and validates the fields of a cron expression (the dialect is described on
 * `CronExpression`). Every rejection is a `ServoError(INVALID_INPUT)` whose message names the
 * field and the value, and whose details carry them.
 */

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Names for the values from `min` on (JAN = 1, SUN = 0). */
  readonly names?: readonly string[];
}

const SECOND: FieldSpec = { label: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { label: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { label: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { label: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  label: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: FieldSpec = {
  label: 'day-of-week',
  min: 0,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface ParsedField {
  /** Index = value; 1 where allowed. Day-of-week 7 is stored as 0. */
  readonly allowed: Uint8Array;
  /** The field starts with `*` (unrestricted for the day-of-month/day-of-week rule). */
  readonly star: boolean;
  readonly text: string;
}

export interface ParsedFields {
  readonly hasSeconds: boolean;
  readonly second: ParsedField;
  readonly minute: ParsedField;
  readonly hour: ParsedField;
  readonly dayOfMonth: ParsedField;
  readonly month: ParsedField;
  readonly dayOfWeek: ParsedField;
}

export function parseFields(source: string): ParsedFields {
  if (source === '') throw invalidInput('cron expression is empty', { expression: source });
  let text = source;
  if (text.startsWith('@')) {
    const nickname = text.toLowerCase();
    if (nickname === '@reboot') {
      throw invalidInput("cron nickname '@reboot' is not supported: a schedule needs times to run at", {
        expression: source,
      });
    }
    const expansion = NICKNAMES[nickname];
    if (expansion === undefined) {
      throw invalidInput(`'${source}' is not a cron nickname (${Object.keys(NICKNAMES).join(', ')})`, {
        expression: source,
      });
    }
    text = expansion;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    const year = parts.length === 7 ? '; there is no year field' : '';
    throw invalidInput(
      `cron expression '${source}' has ${parts.length} fields; expected 5 (minute hour day-of-month month ` +
        `day-of-week) or 6 (second minute hour day-of-month month day-of-week)${year}`,
      { expression: source, fields: parts.length },
    );
  }
  const hasSeconds = parts.length === 6;
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = hasSeconds ? parts : ['0', ...parts];
  const field = (fieldText: string | undefined, spec: FieldSpec) => parseField(fieldText ?? '', spec, source);
  const fields: ParsedFields = {
    hasSeconds,
    second: field(second, SECOND),
    minute: field(minute, MINUTE),
    hour: field(hour, HOUR),
    dayOfMonth: field(dayOfMonth, DAY_OF_MONTH),
    month: field(month, MONTH),
    dayOfWeek: field(dayOfWeek, DAY_OF_WEEK),
  };
  assertCanFire(fields, source);
  return fields;
}

function parseField(text: string, spec: FieldSpec, expression: string): ParsedField {
  const fail = (problem: string) =>
    invalidInput(`${spec.label} field: ${problem} (in cron '${expression}')`, {
      expression,
      field: spec.label,
      value: text,
    });
  const allowed = new Uint8Array(spec.max + 1);
  for (const element of text.split(',')) {
    if (element === '') throw fail(`empty list element in '${text}'`);
    const [range = '', stepText, ...extra] = element.split('/');
    if (extra.length > 0) throw fail(`'${element}' has more than one '/'`);
    let low: number;
    let high: number;
    if (range === '*') {
      low = spec.min;
      high = spec === DAY_OF_WEEK ? 6 : spec.max;
    } else {
      const [lowText = '', highText, ...more] = range.split('-');
      if (more.length > 0) throw fail(`'${element}' is not a range`);
      low = parseValue(lowText, spec, fail);
      high = highText === undefined ? low : parseValue(highText, spec, fail);
      if (high < low) throw fail(`range '${range}' runs backwards; Unix cron ranges do not wrap around`);
      if (highText === undefined && stepText !== undefined) {
        throw fail(
          `'${element}' steps from a single value; write '*/${stepText}' or '${range}-${spec.max}/${stepText}'`,
        );
      }
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) throw fail(`step '${stepText}' in '${element}' is not a whole number`);
      step = Number(stepText);
      if (step < 1) throw fail(`step ${step} in '${element}' must be at least 1`);
      if (step > high - low) {
        throw fail(`step ${step} in '${element}' is larger than the range ${low}–${high}`);
      }
    }
    for (let value = low; value <= high; value += step) {
      allowed[spec === DAY_OF_WEEK && value === 7 ? 0 : value] = 1;
    }
  }
  if (spec === DAY_OF_WEEK) allowed[7] = 0;
  return { allowed, star: text.startsWith('*'), text };
}

function parseValue(token: string, spec: FieldSpec, fail: (problem: string) => Error): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) throw fail(`${token} is out of range ${spec.min}–${spec.max}`);
    return value;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return spec.min + index;
  if (token === '') throw fail('a range or step is missing a number');
  const kind =
    spec === MONTH ? ' or month name (JAN–DEC)' : spec === DAY_OF_WEEK ? ' or day name (SUN–SAT)' : '';
  const extension = /[#?+]|^(?:\d*L|\d+W|LW)$/i.test(token)
    ? "; the Unix dialect has no 'L', 'W', '#', '?' or '+'"
    : '';
  throw fail(`'${token}' is not a number${kind}${extension}`);
}

/** Rejects expressions whose day fields can never match a real date (`0 0 31 2 *`). */
function assertCanFire(fields: ParsedFields, expression: string): void {
  // When both day fields are restricted they are OR-ed, and every month has every weekday.
  if (!fields.dayOfMonth.star && !fields.dayOfWeek.star) return;
  for (let month = 1; month <= 12; month++) {
    if (fields.month.allowed[month] !== 1) continue;
    const longest = daysInMonth(2000, month); // 2000 is a leap year: February has 29 days
    for (let day = 1; day <= longest; day++) if (fields.dayOfMonth.allowed[day] === 1) return;
  }
  throw invalidInput(
    `cron expression '${expression}' never fires: no month in the month field ('${fields.month.text}') ` +
      `has a day in the day-of-month field ('${fields.dayOfMonth.text}')`,
    { expression },
  );
}
