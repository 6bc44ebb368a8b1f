import { invalidInput } from '../../errors.js';
import { civilFromDays, daysInMonth, MS_PER_SECOND, SECONDS_PER_DAY, weekdayOfDays } from './civil-date.js';
import { type ParsedFields, parseFields } from './cron-fields.js';

/**
 * Cron expressions in the Unix (Vixie cron) dialect, as SPEC §4 decides:
 *
 * - 5 fields `minute hour day-of-month month day-of-week`, or 6 with a leading `second` field;
 * - each field is `*`, a number, a name (`JAN`–`DEC` in month, `SUN`–`SAT` in day-of-week, any
 *   case), a range `a-b`, a step (`*` or a range, then `/n`), or a comma-separated list of these;
 * - day-of-week 0–6 with Sunday = 0, and 7 also Sunday;
 * - the nicknames `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and
 *   `@hourly`, which Vixie cron also reads.
 *
 * Day-of-month and day-of-week combine as crontab(5) says: when both fields are restricted (neither
 * starts with `*`), a day matches if either matches (`0 0 13 * FRI` runs on every 13th and every
 * Friday); otherwise both must match. A field starting with `*` counts as unrestricted even with a
 * step, exactly as in Vixie cron: with day-of-month `*` + `/2` and day-of-week `FRI`, the cron runs on
 * odd-numbered days that are Fridays.
 *
 * Rejected, each with a message naming the field and the value: any other field count (there is no
 * year field), values out of range, empty list elements, ranges that run backwards (Unix ranges do
 * not wrap), a step of 0 or one larger than its range (a minute step of 90 would silently mean `0`),
 * a step after a single value (`5/15`), Quartz and croner extensions (`L`, `W`, `#`, `?`, `+`), and an
 * expression that never fires (`0 0 31 2 *`): a schedule that can never run is a mistake.
 *
 * Matching works on **wall times**: local date-times encoded as if they were UTC epoch
 * milliseconds. Turning them into instants in a time zone, with its DST rules, is the job of
 * `ScheduleClock`.
 */
export class CronExpression {
  /** The expression as given, trimmed. */
  readonly source: string;
  /** True when the expression has a seconds field (6 fields). */
  readonly hasSeconds: boolean;
  /**
   * True when the hour field allows every hour 0–23 (`*`, `0-23`, a step of 1). Such a cron fires at
   * least once an hour, and its DST rule is "once per real interval" rather than "fixed local
   * times" (see `ScheduleClock`).
   */
  readonly repeatsEveryHour: boolean;

  private readonly seconds: TimeField;
  private readonly minutes: TimeField;
  private readonly hours: TimeField;
  private readonly daysOfMonth: Uint8Array;
  private readonly months: Uint8Array;
  private readonly weekdays: Uint8Array;
  /** Unix rule: OR the two day fields when both are restricted, AND them otherwise. */
  private readonly eitherDayField: boolean;

  private constructor(source: string, fields: ParsedFields) {
    this.source = source;
    this.hasSeconds = fields.hasSeconds;
    this.seconds = new TimeField(fields.second.allowed);
    this.minutes = new TimeField(fields.minute.allowed);
    this.hours = new TimeField(fields.hour.allowed);
    this.daysOfMonth = fields.dayOfMonth.allowed;
    this.months = fields.month.allowed;
    this.weekdays = fields.dayOfWeek.allowed;
    this.eitherDayField = !fields.dayOfMonth.star && !fields.dayOfWeek.star;
    this.repeatsEveryHour = fields.hour.allowed.every((bit) => bit === 1);
  }

  /** Parses and validates; throws `ServoError(INVALID_INPUT)` naming the offending field and value. */
  static parse(expression: string): CronExpression {
    if (typeof expression !== 'string') throw invalidInput('cron expression must be a string');
    const cached = parsedExpressions.get(expression);
    if (cached !== undefined) return cached;
    const source = expression.trim();
    const parsed = new CronExpression(source, parseFields(source));
    if (parsedExpressions.size >= PARSED_CACHE_LIMIT) parsedExpressions.clear();
    parsedExpressions.set(expression, parsed);
    return parsed;
  }

  /** Whether the wall time (floored to the second) matches every field. */
  matches(wall: number): boolean {
    const second = Math.floor(wall / MS_PER_SECOND);
    const days = Math.floor(second / SECONDS_PER_DAY);
    const secondOfDay = second - days * SECONDS_PER_DAY;
    const date = civilFromDays(days);
    return (
      this.months[date.month] === 1 &&
      this.dayMatches(date.day, weekdayOfDays(days)) &&
      this.timeOfDayAtOrAfter(secondOfDay) === secondOfDay
    );
  }

  /** The earliest matching wall time at or after `wall` (whole seconds), or undefined within 50 years. */
  nextMatch(wall: number): number | undefined {
    const second = Math.ceil(wall / MS_PER_SECOND);
    let days = Math.floor(second / SECONDS_PER_DAY);
    let secondOfDay = second - days * SECONDS_PER_DAY;
    let { year, month, day } = civilFromDays(days);
    for (let monthsSearched = 0; monthsSearched <= SEARCH_MONTHS; monthsSearched++) {
      const length = daysInMonth(year, month);
      if (this.months[month] === 1) {
        let weekday = weekdayOfDays(days);
        for (; day <= length; day++, days++, weekday = (weekday + 1) % 7, secondOfDay = 0) {
          if (!this.dayMatches(day, weekday)) continue;
          const time = this.timeOfDayAtOrAfter(secondOfDay);
          if (time >= 0) return (days * SECONDS_PER_DAY + time) * MS_PER_SECOND;
        }
      } else {
        days += length - day + 1;
      }
      month += 1;
      if (month > 12) {
        month = 1;
        year += 1;
      }
      day = 1;
      secondOfDay = 0;
    }
    return undefined;
  }

  /** The latest matching wall time at or before `wall` (whole seconds), or undefined within 50 years. */
  previousMatch(wall: number): number | undefined {
    const second = Math.floor(wall / MS_PER_SECOND);
    let days = Math.floor(second / SECONDS_PER_DAY);
    let secondOfDay = second - days * SECONDS_PER_DAY;
    let { year, month, day } = civilFromDays(days);
    for (let monthsSearched = 0; monthsSearched <= SEARCH_MONTHS; monthsSearched++) {
      if (this.months[month] === 1) {
        let weekday = weekdayOfDays(days);
        for (; day >= 1; day--, days--, weekday = (weekday + 6) % 7, secondOfDay = SECONDS_PER_DAY - 1) {
          if (!this.dayMatches(day, weekday)) continue;
          const time = this.timeOfDayAtOrBefore(secondOfDay);
          if (time >= 0) return (days * SECONDS_PER_DAY + time) * MS_PER_SECOND;
        }
      } else {
        days -= day;
      }
      month -= 1;
      if (month < 1) {
        month = 12;
        year -= 1;
      }
      day = daysInMonth(year, month);
      secondOfDay = SECONDS_PER_DAY - 1;
    }
    return undefined;
  }

  private dayMatches(dayOfMonth: number, weekday: number): boolean {
    const byDate = this.daysOfMonth[dayOfMonth] === 1;
    const byWeekday = this.weekdays[weekday] === 1;
    return this.eitherDayField ? byDate || byWeekday : byDate && byWeekday;
  }

  /** The first matching second of the day at or after `secondOfDay`, or -1. */
  private timeOfDayAtOrAfter(secondOfDay: number): number {
    const { seconds, minutes, hours } = this;
    const hour = Math.floor(secondOfDay / 3600);
    const minute = Math.floor((secondOfDay % 3600) / 60);
    const nextHour = hours.atOrAfter(hour);
    if (nextHour !== hour) return nextHour < 0 ? -1 : nextHour * 3600 + minutes.first * 60 + seconds.first;
    const nextMinute = minutes.atOrAfter(minute);
    if (nextMinute === minute) {
      const nextSecond = seconds.atOrAfter(secondOfDay % 60);
      if (nextSecond >= 0) return hour * 3600 + minute * 60 + nextSecond;
    }
    const laterMinute = nextMinute === minute ? minutes.atOrAfter(minute + 1) : nextMinute;
    if (laterMinute >= 0) return hour * 3600 + laterMinute * 60 + seconds.first;
    const laterHour = hours.atOrAfter(hour + 1);
    return laterHour < 0 ? -1 : laterHour * 3600 + minutes.first * 60 + seconds.first;
  }

  /** The last matching second of the day at or before `secondOfDay`, or -1. */
  private timeOfDayAtOrBefore(secondOfDay: number): number {
    const { seconds, minutes, hours } = this;
    const hour = Math.floor(secondOfDay / 3600);
    const minute = Math.floor((secondOfDay % 3600) / 60);
    const previousHour = hours.atOrBefore(hour);
    if (previousHour !== hour) {
      return previousHour < 0 ? -1 : previousHour * 3600 + minutes.last * 60 + seconds.last;
    }
    const previousMinute = minutes.atOrBefore(minute);
    if (previousMinute === minute) {
      const previousSecond = seconds.atOrBefore(secondOfDay % 60);
      if (previousSecond >= 0) return hour * 3600 + minute * 60 + previousSecond;
    }
    const earlierMinute = previousMinute === minute ? minutes.atOrBefore(minute - 1) : previousMinute;
    if (earlierMinute >= 0) return hour * 3600 + earlierMinute * 60 + seconds.last;
    const earlierHour = hours.atOrBefore(hour - 1);
    return earlierHour < 0 ? -1 : earlierHour * 3600 + minutes.last * 60 + seconds.last;
  }
}

/** Parses a cron expression; see `CronExpression`. */
export function parseCron(expression: string): CronExpression {
  return CronExpression.parse(expression);
}

/**
 * A valid expression fires at least every 40 years (the rarest is Feb 29 on one weekday: a 28-year
 * cycle, stretched by a century year without a leap day), so 50 years of search never misses one.
 */
const SEARCH_MONTHS = 50 * 12;
const PARSED_CACHE_LIMIT = 10_000;
const parsedExpressions = new Map<string, CronExpression>();

/** A second, minute or hour field, with lookup tables for the nearest allowed value either way. */
class TimeField {
  readonly first: number;
  readonly last: number;
  private readonly next: Int8Array;
  private readonly previous: Int8Array;

  constructor(allowed: Uint8Array) {
    const size = allowed.length;
    this.next = new Int8Array(size).fill(-1);
    this.previous = new Int8Array(size).fill(-1);
    for (let value = size - 1, nearest = -1; value >= 0; value--) {
      if (allowed[value] === 1) nearest = value;
      this.next[value] = nearest;
    }
    for (let value = 0, nearest = -1; value < size; value++) {
      if (allowed[value] === 1) nearest = value;
      this.previous[value] = nearest;
    }
    this.first = this.next[0] ?? -1;
    this.last = this.previous[size - 1] ?? -1;
  }

  atOrAfter(value: number): number {
    return this.next[value] ?? -1;
  }

  atOrBefore(value: number): number {
    return value < 0 ? -1 : (this.previous[value] ?? -1);
  }
}
