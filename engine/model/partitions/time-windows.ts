import type { z } from 'zod';
import { invalidInput, type ServoError } from '../../errors.js';
import type { PartitionsDefinition, TimeCadence } from '../common.js';
import { type Calendar, calendarOf } from './calendar-cadence.js';
import {
  civilFromWall,
  daysFromCivil,
  daysInMonth,
  MAX_YEAR,
  MIN_YEAR,
  MS_PER_DAY,
  MS_PER_MINUTE,
  utcYearOf,
  wallFromCivil,
  yearStart,
} from './civil-time.js';
import { HourlyMarks } from './hourly-marks.js';
import {
  compileKeyFormat,
  DEFAULT_KEY_FORMATS,
  formatKey,
  type KeyFormat,
  type ParsedKey,
  parseKey,
} from './key-format.js';
import { type ZoneRules, zoneRules } from './time-zone.js';

/**
 * Time-window partitions, as Dagster's `TimeWindowPartitionsDefinition`.
 *
 * Window i starts at the i-th cadence boundary at or after `start` and ends where window i + 1
 * starts; its key is its local start formatted with `format`. Boundaries are local wall-clock
 * times in `timezone`:
 * - daily: every day at `hourOffset:minuteOffset`; weekly: the same on weekday `dayOffset`
 *   (0 = Sunday, default Sunday); monthly: the same on day `dayOffset` (1–28, default 1).
 *   A boundary that falls in a spring-forward gap moves to the first instant after the gap
 *   (02:30 → 03:00; America/Santiago's midnight → 01:00), and one that happens twice (fall back)
 *   is the second occurrence — Dagster's schedule rule. So a New York day is 23 h long on the
 *   spring-forward day and 25 h on the fall-back day.
 * - hourly: every instant whose wall clock reads `HH:minuteOffset` (see `hourly-marks.ts`): the
 *   skipped hour has no window, the repeated hour has two. The second window of a repeated hour
 *   gets the UTC offset appended to its key when the format has no `%z`, exactly as Dagster's
 *   `dst_safe_strftime`: `2026-11-01-01:00` then `2026-11-01-01:00-0500` in New York.
 *
 * Every window has exactly one key: `indexOf` accepts only the spelling `keyAt` produces (so
 * `2026-1-5` or `2026-11-01-01:00-0400` are not keys, though they name real instants).
 *
 * `start` and `end` are local `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm`, read as the earlier instant
 * when repeated and the first instant after a gap when skipped. A window belongs to the
 * definition when it ends at or before `end` (exclusive end of the last window) and, for a
 * given `now`, at or before `now` (a window still running is not a partition yet).
 *
 * Index math never lists keys: calendar cadences are O(1) arithmetic plus a zone lookup, hourly
 * uses per-year prefix sums. A compiled definition is cached by object identity, so definitions
 * must not be mutated after first use.
 */

export type TimeWindowDefinition = Extract<z.input<typeof PartitionsDefinition>, { kind: 'time' }>;

/** A window as epoch milliseconds, start inclusive, end exclusive. */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface TimeWindowPartition extends TimeWindow {
  key: string;
  index: number;
}

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** Past the last window that may start in MAX_YEAR; keeps open-ended index math bounded. */
const LAST_WALL = yearStart(MAX_YEAR + 2);
const START_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

export class TimeWindows {
  readonly cadence: TimeCadence;
  readonly format: KeyFormat;
  readonly description: string;
  private readonly zone: ZoneRules;
  private readonly calendar: Calendar | undefined;
  private readonly marks: HourlyMarks | undefined;
  /** Unit (day, week, month or hourly mark number) of window 0. */
  private readonly first: number;
  private readonly endInstant: number | undefined;
  private endCount: number | undefined;

  constructor(readonly definition: TimeWindowDefinition) {
    const { cadence, start, end } = definition;
    this.cadence = cadence;
    const timezone = definition.timezone ?? 'UTC';
    this.description = `${cadence} partitions from ${start}${end ? ` to ${end}` : ''} (${timezone})`;
    this.zone = zoneRules(timezone);
    this.format = compileKeyFormat(definition.format ?? DEFAULT_KEY_FORMATS[cadence], cadence);
    const startInstant = this.zone.resolve(parseLocal(start, 'start'), 'earlier');
    if (cadence === 'hourly') {
      if (definition.hourOffset !== undefined || definition.dayOffset !== undefined) {
        throw invalidInput('hourly partitions take only minuteOffset, not hourOffset or dayOffset', {
          cadence,
        });
      }
      this.marks = new HourlyMarks(
        this.zone,
        (definition.minuteOffset ?? 0) * MS_PER_MINUTE,
        utcYearOf(startInstant),
      );
      this.first = this.marks.countBefore(startInstant);
    } else {
      this.calendar = calendarOf(definition);
      let unit = this.calendar.unitAtOrBefore(this.zone.wallAt(startInstant));
      while (this.instantOfUnit(unit) < startInstant) unit++;
      while (this.instantOfUnit(unit - 1) >= startInstant) unit--;
      this.first = unit;
    }
    if (end !== undefined) {
      this.endInstant = this.zone.resolve(parseLocal(end, 'end'), 'earlier');
      if (this.endInstant <= startInstant) {
        throw invalidInput(`end '${end}' must be after start '${start}'`, { start, end });
      }
    }
  }

  /** Number of complete windows ending at or before `now` (and at or before `end`). */
  count(now: number): number {
    const cap = this.endBound();
    const upTo = Math.max(0, this.lastBoundaryAtOrBefore(now));
    return cap === undefined ? upTo : Math.min(upTo, cap);
  }

  /** Start of window `index` (also the end of window `index − 1`). */
  boundary(index: number): number {
    if (this.marks !== undefined) return this.marks.markAt(this.first + index);
    return this.instantOfUnit(this.first + index);
  }

  windowAt(index: number): TimeWindow {
    this.checkIndex(index);
    return { start: this.boundary(index), end: this.boundary(index + 1) };
  }

  keyAt(index: number): string {
    this.checkIndex(index);
    const start = this.boundary(index);
    const offset = this.zone.offsetAt(start);
    const local = civilFromWall(start + offset);
    if (local.year > MAX_YEAR)
      throw invalidInput(`window ${index} of ${this.description} starts after ${MAX_YEAR}`);
    const repeated = this.cadence === 'hourly' && !this.format.hasOffset && this.zone.isRepeatedWall(start);
    return formatKey(this.format, local, offset, repeated);
  }

  /** Index of a key; throws `INVALID_INPUT` for a malformed key or one outside the definition. */
  indexOf(key: string): number {
    const parsed = parseKey(this.format, key);
    const candidate = parsed === undefined ? undefined : this.candidateIndex(parsed);
    if (candidate === undefined) {
      throw this.notAKey(
        key,
        `it does not read as a ${this.cadence} window start in the format '${this.format.pattern}'`,
      );
    }
    const bound = this.endBound();
    for (const index of [candidate, candidate - 1]) {
      if (index >= 0 && (bound === undefined || index < bound) && this.keyAt(index) === key) return index;
    }
    if (candidate < 0) throw this.notAKey(key, `it is before the first partition '${this.keyAt(0)}'`);
    if (bound !== undefined && candidate >= bound) {
      throw this.notAKey(key, `it is at or after the end '${this.definition.end}'`);
    }
    throw this.notAKey(
      key,
      `no window starts there (${this.cadence} windows start ${this.startsWhen()}); nearest key: '${this.keyAt(candidate)}'`,
    );
  }

  windowOf(key: string): TimeWindow {
    return this.windowAt(this.indexOf(key));
  }

  /** Largest index whose window starts at or before `instant`; −1 before the first window. */
  lastBoundaryAtOrBefore(instant: number): number {
    if (this.marks !== undefined) {
      return Math.max(-1, this.marks.countBefore(Math.floor(instant) + 1) - 1 - this.first);
    }
    let index = Math.max(-1, this.calendar!.unitAtOrBefore(this.zone.wallAt(instant)) - this.first);
    while (this.boundary(index + 1) <= instant) index++;
    while (index >= 0 && this.boundary(index) > instant) index--;
    return index;
  }

  private endBound(): number | undefined {
    if (this.endInstant !== undefined && this.endCount === undefined) {
      this.endCount = Math.max(0, this.lastBoundaryAtOrBefore(this.endInstant));
    }
    return this.endCount;
  }

  private instantOfUnit(unit: number): number {
    const wall = this.calendar!.wallOf(unit);
    if (wall >= LAST_WALL) throw invalidInput(`${this.description} has no windows after ${MAX_YEAR}`);
    return this.zone.resolve(wall, 'later');
  }

  /** Where a parsed key would sit, from its date (calendar cadences) or instant (hourly). */
  private candidateIndex(parsed: ParsedKey): number | undefined {
    const date = dateOf(parsed, this.cadence === 'monthly' ? (this.definition.dayOffset ?? 1) : 1);
    if (date === undefined) return undefined;
    if (this.calendar !== undefined) {
      return this.calendar.unitOfDate(date.year, date.month, date.day) - this.first;
    }
    const hour = parsed.hour ?? 0;
    const minute = parsed.minute ?? this.definition.minuteOffset ?? 0;
    const second = parsed.second ?? 0;
    if (hour > 23 || minute > 59 || second > 59) return undefined;
    const wall = wallFromCivil({ ...date, hour, minute, second });
    const instant = parsed.offset !== undefined ? wall - parsed.offset : this.zone.instantsAt(wall)[0];
    if (instant === undefined) return undefined;
    return this.marks!.countBefore(instant) - this.first;
  }

  private startsWhen(): string {
    const { hourOffset = 0, minuteOffset = 0, dayOffset } = this.definition;
    const time = `${String(hourOffset).padStart(2, '0')}:${String(minuteOffset).padStart(2, '0')}`;
    switch (this.cadence) {
      case 'hourly':
        return `at minute ${minuteOffset} of every local hour`;
      case 'daily':
        return `at ${time} local time`;
      case 'weekly':
        return `on ${WEEKDAY_NAMES[dayOffset ?? 0]} at ${time}`;
      case 'monthly':
        return `on day ${dayOffset ?? 1} at ${time}`;
    }
  }

  private checkIndex(index: number): void {
    const bound = this.endBound();
    if (!Number.isSafeInteger(index) || index < 0 || (bound !== undefined && index >= bound)) {
      const range = bound === undefined ? '0 or more' : `0..${bound - 1}`;
      throw invalidInput(`window index ${index} is out of range (${range}) for ${this.description}`, {
        index,
      });
    }
  }

  private notAKey(key: string, reason: string): ServoError {
    return invalidInput(`'${key}' is not a partition of ${this.description}: ${reason}`, {
      key,
      format: this.format.pattern,
    });
  }
}

/** The calendar date a parsed key names, or undefined when it is not a real date. */
function dateOf(
  parsed: ParsedKey,
  defaultDay: number,
): { year: number; month: number; day: number } | undefined {
  const year = parsed.year;
  if (year === undefined || year < MIN_YEAR) return undefined;
  if (parsed.dayOfYear !== undefined) {
    const days = daysFromCivil(year, 1, 1) + parsed.dayOfYear - 1;
    const date = civilFromWall(days * MS_PER_DAY);
    return parsed.dayOfYear >= 1 && date.year === year ? date : undefined;
  }
  const month = parsed.month ?? 1;
  const day = parsed.day ?? defaultDay;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/** Reads `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm` into wall time. */
function parseLocal(text: string, field: 'start' | 'end'): number {
  const match = START_PATTERN.exec(text);
  const [year, month, day, hour, minute] = (match?.slice(1) ?? []).map((part) => Number(part ?? 0));
  const valid =
    match !== null &&
    year! >= MIN_YEAR &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth(year!, month!) &&
    hour! <= 23 &&
    minute! <= 59;
  if (!valid) {
    throw invalidInput(
      `${field} '${text}' is not a local date: expected YYYY-MM-DD or YYYY-MM-DDTHH:mm between ${MIN_YEAR} and ${MAX_YEAR}`,
      { [field]: text },
    );
  }
  return wallFromCivil({ year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second: 0 });
}

const compiled = new WeakMap<TimeWindowDefinition, TimeWindows>();

/** The compiled form of a definition, validated once and cached by object identity. */
export function compileTimeWindows(definition: TimeWindowDefinition): TimeWindows {
  let windows = compiled.get(definition);
  if (windows === undefined) {
    windows = new TimeWindows(definition);
    compiled.set(definition, windows);
  }
  return windows;
}

/** Number of complete windows ending at or before `now`, capped by `end`. */
export function count(definition: TimeWindowDefinition, now: number): number {
  return compileTimeWindows(definition).count(now);
}

/** Key of window `index` (0-based; bounded by `end` when the definition has one). */
export function keyAt(definition: TimeWindowDefinition, index: number): string {
  return compileTimeWindows(definition).keyAt(index);
}

/** Index of a key; `INVALID_INPUT` for malformed keys, keys before `start` or at/after `end`. */
export function indexOf(definition: TimeWindowDefinition, key: string): number {
  return compileTimeWindows(definition).indexOf(key);
}

/** Start and end (epoch ms) of the window a key names. */
export function windowOf(definition: TimeWindowDefinition, key: string): TimeWindow {
  return compileTimeWindows(definition).windowOf(key);
}

/** Keys from `startKey` to `endKey` inclusive, generated one at a time. */
export function keysBetween(
  definition: TimeWindowDefinition,
  startKey: string,
  endKey: string,
): Generator<string> {
  const windows = compileTimeWindows(definition);
  const from = windows.indexOf(startKey);
  const to = windows.indexOf(endKey);
  if (from > to) {
    throw invalidInput(`range start '${startKey}' is after its end '${endKey}' in ${windows.description}`, {
      start: startKey,
      end: endKey,
    });
  }
  return (function* () {
    for (let index = from; index <= to; index++) yield windows.keyAt(index);
  })();
}

/**
 * The last complete window ending at or before `instant` (what a partitioned schedule runs for
 * at that instant), or undefined when none has ended yet.
 */
export function latestWindowBefore(
  definition: TimeWindowDefinition,
  instant: number,
): TimeWindowPartition | undefined {
  const windows = compileTimeWindows(definition);
  const index = windows.count(instant) - 1;
  if (index < 0) return undefined;
  return { index, key: windows.keyAt(index), ...windows.windowAt(index) };
}
