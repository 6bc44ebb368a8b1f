import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError, type ServoError } from '../../errors.js';
import { parseCron } from './cron-expression.js';

/** Wall times are local date-times written as if they were UTC. */
const wall = (text: string) => Date.parse(`${text}Z`);
const show = (time: number | undefined) =>
  time === undefined ? undefined : new Date(time).toISOString().slice(0, 19);

function matchesFrom(expression: string, from: string, count: number): string[] {
  const cron = parseCron(expression);
  const out: string[] = [];
  for (let at = cron.nextMatch(wall(from)); at !== undefined && out.length < count; ) {
    out.push(show(at)!);
    at = cron.nextMatch(at + 1000);
  }
  return out;
}

function invalid(run: () => unknown): ServoError {
  try {
    run();
  } catch (error) {
    if (isServoError(error, ErrorCode.InvalidInput)) return error;
    throw error;
  }
  throw new Error('expected an INVALID_INPUT ServoError');
}

describe('cron expressions in the Unix dialect', () => {
  it('reads five fields as minute hour day-of-month month day-of-week, at second 0', () => {
    expect(matchesFrom('30 2 * * *', '2026-03-01T00:00:00', 2)).toEqual([
      '2026-03-01T02:30:00',
      '2026-03-02T02:30:00',
    ]);
    expect(parseCron('30 2 * * *').hasSeconds).toBe(false);
  });

  it('reads six fields with a leading seconds field', () => {
    const cron = parseCron('*/10 * * * * *');
    expect(cron.hasSeconds).toBe(true);
    expect(matchesFrom('*/10 * * * * *', '2026-03-01T00:00:55', 3)).toEqual([
      '2026-03-01T00:01:00',
      '2026-03-01T00:01:10',
      '2026-03-01T00:01:20',
    ]);
    expect(matchesFrom('15 30 2 * * *', '2026-03-01T00:00:00', 1)).toEqual(['2026-03-01T02:30:15']);
  });

  it('reads ranges, lists and steps', () => {
    expect(matchesFrom('0 9-17/4 * * *', '2026-03-02T00:00:00', 4)).toEqual([
      '2026-03-02T09:00:00',
      '2026-03-02T13:00:00',
      '2026-03-02T17:00:00',
      '2026-03-03T09:00:00',
    ]);
    expect(matchesFrom('5,35 1,2 * * *', '2026-03-02T00:00:00', 4)).toEqual([
      '2026-03-02T01:05:00',
      '2026-03-02T01:35:00',
      '2026-03-02T02:05:00',
      '2026-03-02T02:35:00',
    ]);
  });

  it('takes month and weekday names in any case, also inside ranges', () => {
    // 2026-03-02 is a Monday.
    expect(matchesFrom('0 9 * jan-MAR Mon-fri', '2026-03-06T10:00:00', 2)).toEqual([
      '2026-03-09T09:00:00',
      '2026-03-10T09:00:00',
    ]);
    expect(matchesFrom('0 0 1 DEC *', '2026-03-01T00:00:01', 1)).toEqual(['2026-12-01T00:00:00']);
  });

  it('treats day-of-week 7 as Sunday, like 0 and SUN', () => {
    const sundays = ['2026-03-08T09:00:00', '2026-03-15T09:00:00'];
    expect(matchesFrom('0 9 * * 7', '2026-03-02T00:00:00', 2)).toEqual(sundays);
    expect(matchesFrom('0 9 * * 0', '2026-03-02T00:00:00', 2)).toEqual(sundays);
    expect(matchesFrom('0 9 * * SUN', '2026-03-02T00:00:00', 2)).toEqual(sundays);
    expect(matchesFrom('0 9 * * 6-7', '2026-03-02T00:00:00', 2)).toEqual([
      '2026-03-07T09:00:00',
      '2026-03-08T09:00:00',
    ]);
  });

  it('runs on either day field when both are restricted (Unix OR rule)', () => {
    // Every Friday and every 13th: Fri 2026-03-06, Fri 03-13 (both), Fri 03-20.
    expect(matchesFrom('0 0 13 * FRI', '2026-03-01T00:00:00', 4)).toEqual([
      '2026-03-06T00:00:00',
      '2026-03-13T00:00:00',
      '2026-03-20T00:00:00',
      '2026-03-27T00:00:00',
    ]);
    expect(matchesFrom('0 0 13 * *', '2026-03-01T00:00:00', 2)).toEqual([
      '2026-03-13T00:00:00',
      '2026-04-13T00:00:00',
    ]);
    expect(matchesFrom('0 0 * * FRI', '2026-03-01T00:00:00', 2)).toEqual([
      '2026-03-06T00:00:00',
      '2026-03-13T00:00:00',
    ]);
  });

  it('needs both day fields when one starts with "*", even with a step (as Vixie cron does)', () => {
    // Odd-numbered days that are Fridays. croner would OR these; Servo follows crontab(5).
    expect(matchesFrom('0 0 */2 * FRI', '2026-03-01T00:00:00', 3)).toEqual([
      '2026-03-13T00:00:00',
      '2026-03-27T00:00:00',
      '2026-04-03T00:00:00',
    ]);
  });

  it('reads the Vixie nicknames', () => {
    expect(matchesFrom('@daily', '2026-03-01T00:00:01', 1)).toEqual(['2026-03-02T00:00:00']);
    expect(matchesFrom('@hourly', '2026-03-01T00:00:01', 1)).toEqual(['2026-03-01T01:00:00']);
    expect(matchesFrom('@weekly', '2026-03-02T00:00:00', 1)).toEqual(['2026-03-08T00:00:00']);
    expect(matchesFrom('@monthly', '2026-03-01T00:00:01', 1)).toEqual(['2026-04-01T00:00:00']);
    expect(matchesFrom('@yearly', '2026-03-01T00:00:00', 1)).toEqual(['2027-01-01T00:00:00']);
  });

  it('finds leap days years apart', () => {
    expect(matchesFrom('0 0 29 2 *', '2026-03-01T00:00:00', 3)).toEqual([
      '2028-02-29T00:00:00',
      '2032-02-29T00:00:00',
      '2036-02-29T00:00:00',
    ]);
    expect(show(parseCron('0 0 29 2 *').nextMatch(wall('2097-01-01T00:00:00')))).toBe('2104-02-29T00:00:00');
  });

  it('finds the previous match as the mirror of the next one', () => {
    for (const expression of [
      '*/7 * * * *',
      '0 9 * * MON-FRI',
      '0 0 13 * FRI',
      '15 30 2 1,15 * *',
      '0 0 29 2 *',
    ]) {
      const cron = parseCron(expression);
      let at = cron.nextMatch(wall('2026-01-01T00:00:00'))!;
      for (let i = 0; i < 200; i++) {
        const next = cron.nextMatch(at + 1000)!;
        expect(cron.previousMatch(next - 1000)).toBe(at);
        expect(cron.previousMatch(next)).toBe(next);
        expect(cron.matches(next)).toBe(true);
        at = next;
      }
    }
  });

  it('tells whether the hour field allows every hour', () => {
    expect(parseCron('0 * * * *').repeatsEveryHour).toBe(true);
    expect(parseCron('*/15 * * * *').repeatsEveryHour).toBe(true);
    expect(parseCron('0 0-23 * * *').repeatsEveryHour).toBe(true);
    expect(parseCron('*/10 * * * * *').repeatsEveryHour).toBe(true);
    expect(parseCron('30 1 * * *').repeatsEveryHour).toBe(false);
    expect(parseCron('*/15 1 * * *').repeatsEveryHour).toBe(false);
    expect(parseCron('0 */2 * * *').repeatsEveryHour).toBe(false);
  });

  it('matches wall times exactly as croner does for the expressions both read alike', () => {
    const expressions = [
      '*/7 * * * *',
      '0 9-17 * * MON-FRI',
      '30 2 1,15 * *',
      '0 0 13 * FRI',
      '0 12 * FEB-APR 0',
      '*/20 */5 * * * *',
      '0 0 28-31 * *',
      '45 23 * * 6,7',
    ];
    for (const expression of expressions) {
      const reference = new Cron(expression, { utcOffset: 0, mode: '5-or-6-parts' });
      const expected = reference.nextRuns(300, new Date('2026-01-01T00:00:00Z')).map((d) => d.getTime());
      const cron = parseCron(expression);
      const actual: number[] = [];
      for (let at = cron.nextMatch(wall('2026-01-01T00:00:01')); actual.length < 300; ) {
        actual.push(at!);
        at = cron.nextMatch(at! + 1000);
      }
      expect(actual, expression).toEqual(expected);
    }
  });
});

describe('invalid cron expressions', () => {
  it.each([
    ['', 'cron expression is empty'],
    ['   ', 'cron expression is empty'],
    [
      '* * * *',
      "cron expression '* * * *' has 4 fields; expected 5 (minute hour day-of-month month day-of-week)",
    ],
    ['0 0 0 * * * 2026', "cron expression '0 0 0 * * * 2026' has 7 fields; expected 5"],
    ['61 * * * *', 'minute field: 61 is out of range 0–59'],
    ['* 24 * * *', 'hour field: 24 is out of range 0–23'],
    ['* * 32 * *', 'day-of-month field: 32 is out of range 1–31'],
    ['* * 0 * *', 'day-of-month field: 0 is out of range 1–31'],
    ['* * * 13 *', 'month field: 13 is out of range 1–12'],
    ['* * * * 8', 'day-of-week field: 8 is out of range 0–7'],
    ['60 * * * * *', 'second field: 60 is out of range 0–59'],
    ['a b c d e', "minute field: 'a' is not a number"],
    ['0 0 * * MONDAY', "day-of-week field: 'MONDAY' is not a number or day name (SUN–SAT)"],
    ['0 0 * JANUARY *', "month field: 'JANUARY' is not a number or month name (JAN–DEC)"],
    ['0 MON * * *', "hour field: 'MON' is not a number"],
    ['1,,2 * * * *', "minute field: empty list element in '1,,2'"],
    ['*/0 * * * *', "minute field: step 0 in '*/0' must be at least 1"],
    ['*/90 * * * *', "minute field: step 90 in '*/90' is larger than the range 0–59"],
    ['5/15 * * * *', "minute field: '5/15' steps from a single value; write '*/15' or '5-59/15'"],
    ['*/x * * * *', "minute field: step 'x' in '*/x' is not a whole number"],
    ['0 22-2 * * *', "hour field: range '22-2' runs backwards"],
    [
      '0 0 L * *',
      "day-of-month field: 'L' is not a number; the Unix dialect has no 'L', 'W', '#', '?' or '+'",
    ],
    ['0 0 ? * *', "day-of-month field: '?' is not a number; the Unix dialect has no"],
    [
      '0 0 * * 5#2',
      "day-of-week field: '5#2' is not a number or day name (SUN–SAT); the Unix dialect has no",
    ],
    ['0 0 15W * *', "day-of-month field: '15W' is not a number; the Unix dialect has no"],
    ['0 0 * * WEDNESDAY', "day-of-week field: 'WEDNESDAY' is not a number or day name (SUN–SAT) (in cron"],
    ['0 0 * * -1', 'day-of-week field: a range or step is missing a number'],
    ['@reboot', "cron nickname '@reboot' is not supported"],
    ['@fortnightly', "'@fortnightly' is not a cron nickname"],
  ])('rejects %j: %s', (expression, message) => {
    const error = invalid(() => parseCron(expression));
    expect(error.message).toContain(message);
    expect(error.retryable).toBe(false);
  });

  it('names the field and value in the error details', () => {
    expect(invalid(() => parseCron('61 * * * *')).details).toEqual({
      expression: '61 * * * *',
      field: 'minute',
      value: '61',
    });
  });

  it('rejects an expression that can never fire, since such a schedule is a mistake', () => {
    expect(invalid(() => parseCron('0 0 31 2 *')).message).toBe(
      "cron expression '0 0 31 2 *' never fires: no month in the month field ('2') has a day in the " +
        "day-of-month field ('31')",
    );
    expect(invalid(() => parseCron('0 0 31 APR,JUN,SEP,NOV *')).message).toContain('never fires');
    expect(invalid(() => parseCron('0 0 30-31 2 *')).message).toContain('never fires');
    // Still valid: Feb 29 happens, the 31st happens in March, and an OR with a weekday always does.
    expect(() => parseCron('0 0 29 2 *')).not.toThrow();
    expect(() => parseCron('0 0 31 2,3 *')).not.toThrow();
    expect(() => parseCron('0 0 31 2 MON')).not.toThrow();
  });
});
