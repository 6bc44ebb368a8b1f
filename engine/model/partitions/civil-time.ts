/**
 * Proleptic-Gregorian calendar arithmetic on "wall" milliseconds: a local date and time of day
 * counted as if it were UTC (`wall = days since 1970-01-01 × 86 400 000 + time of day`). Wall time
 * has no zone and no DST; `time-zone.ts` maps it to and from instants. Everything here is O(1)
 * integer arithmetic so index math over millions of windows never touches `Date` or `Intl`.
 */

export const MS_PER_SECOND = 1_000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** Earliest and latest years a time-window definition may reach (four-digit `%Y`). */
export const MIN_YEAR = 1000;
export const MAX_YEAR = 9999;

/** A local calendar date and time of day; `month` is 1–12, `weekday` 0 = Sunday. */
export interface CivilDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Floor division and a modulo that is never negative. */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
export function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** Days since 1970-01-01 of a calendar date (Howard Hinnant's `days_from_civil`). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = floorDiv(153 * (month + (month > 2 ? -3 : 9)) + 2, 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The calendar date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = floorDiv(z, 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = floorDiv(
    dayOfEra - floorDiv(dayOfEra, 1460) + floorDiv(dayOfEra, 36_524) - floorDiv(dayOfEra, 146_096),
    365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100));
  const mp = floorDiv(5 * dayOfYear + 2, 153);
  const day = dayOfYear - floorDiv(153 * mp + 2, 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Day of week of a day number, 0 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOfDays(days: number): number {
  return mod(days + 4, 7);
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Day of the year, 1–366. */
export function dayOfYear(year: number, month: number, day: number): number {
  return daysFromCivil(year, month, day) - daysFromCivil(year, 1, 1) + 1;
}

export function wallFromCivil(t: CivilDateTime): number {
  return (
    daysFromCivil(t.year, t.month, t.day) * MS_PER_DAY +
    t.hour * MS_PER_HOUR +
    t.minute * MS_PER_MINUTE +
    t.second * MS_PER_SECOND
  );
}

export function civilFromWall(wall: number): CivilDateTime {
  const days = floorDiv(wall, MS_PER_DAY);
  const timeOfDay = wall - days * MS_PER_DAY;
  return {
    ...civilFromDays(days),
    hour: floorDiv(timeOfDay, MS_PER_HOUR),
    minute: floorDiv(timeOfDay % MS_PER_HOUR, MS_PER_MINUTE),
    second: floorDiv(timeOfDay % MS_PER_MINUTE, MS_PER_SECOND),
  };
}

/** Month number counted from year 0 (`year × 12 + month − 1`), for monthly index math. */
export function monthNumber(year: number, month: number): number {
  return year * 12 + month - 1;
}
export function fromMonthNumber(n: number): { year: number; month: number } {
  return { year: floorDiv(n, 12), month: mod(n, 12) + 1 };
}

/** First instant (UTC) of a calendar year. */
export function yearStart(year: number): number {
  return daysFromCivil(year, 1, 1) * MS_PER_DAY;
}

/** The UTC calendar year an instant falls in. */
export function utcYearOf(instant: number): number {
  return civilFromDays(floorDiv(instant, MS_PER_DAY)).year;
}
