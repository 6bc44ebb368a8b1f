import { invalidInput } from '../../errors.js';
import {
  civilFromWall,
  daysFromCivil,
  floorDiv,
  fromMonthNumber,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  mod,
  monthNumber,
} from './civil-time.js';
import type { TimeWindowDefinition } from './time-windows.js';

/**
 * Nominal boundaries of daily, weekly and monthly windows as wall times, numbered by a unit: the
 * day number, the week number (weeks starting on the definition's weekday) or the month number.
 * Pure arithmetic; `time-windows.ts` maps the wall times to instants with the zone's DST rule.
 */
export interface Calendar {
  /** Wall time of the boundary of a unit. */
  wallOf(unit: number): number;
  /** The last unit whose boundary is at or before a wall time. */
  unitAtOrBefore(wall: number): number;
  /** The unit whose boundary date is at or before a date (the unit a key's date falls in). */
  unitOfDate(year: number, month: number, day: number): number;
}

/** The calendar of a daily, weekly or monthly definition; validates its offsets. */
export function calendarOf(definition: TimeWindowDefinition): Calendar {
  const timeOfDay =
    (definition.hourOffset ?? 0) * MS_PER_HOUR + (definition.minuteOffset ?? 0) * MS_PER_MINUTE;
  const dayAtOrBefore = (wall: number) => floorDiv(wall - timeOfDay, MS_PER_DAY);
  switch (definition.cadence) {
    case 'daily':
      if (definition.dayOffset !== undefined) {
        throw invalidInput('daily partitions take hourOffset and minuteOffset, not dayOffset', {
          cadence: 'daily',
        });
      }
      return {
        wallOf: (day) => day * MS_PER_DAY + timeOfDay,
        unitAtOrBefore: dayAtOrBefore,
        unitOfDate: (year, month, day) => daysFromCivil(year, month, day),
      };
    case 'weekly': {
      const weekday = definition.dayOffset ?? 0;
      if (weekday > 6) {
        throw invalidInput(`weekly dayOffset is a weekday 0–6 (0 = Sunday), got ${weekday}`, {
          dayOffset: weekday,
        });
      }
      // Day numbers d with weekday(d) = weekday are 7u + shift (1970-01-01 was a Thursday).
      const shift = mod(weekday - 4, 7);
      return {
        wallOf: (week) => (7 * week + shift) * MS_PER_DAY + timeOfDay,
        unitAtOrBefore: (wall) => floorDiv(dayAtOrBefore(wall) - shift, 7),
        unitOfDate: (year, month, day) => floorDiv(daysFromCivil(year, month, day) - shift, 7),
      };
    }
    case 'monthly': {
      const dayOfMonth = definition.dayOffset ?? 1;
      if (dayOfMonth < 1) {
        throw invalidInput('monthly dayOffset is a day of the month 1–28, got 0', { dayOffset: dayOfMonth });
      }
      return {
        wallOf: (unit) => {
          const { year, month } = fromMonthNumber(unit);
          return daysFromCivil(year, month, dayOfMonth) * MS_PER_DAY + timeOfDay;
        },
        unitAtOrBefore: (wall) => {
          const local = civilFromWall(wall - timeOfDay);
          return monthNumber(local.year, local.month) - (local.day < dayOfMonth ? 1 : 0);
        },
        unitOfDate: (year, month) => monthNumber(year, month),
      };
    }
    case 'hourly':
      throw new Error('hourly windows use HourlyMarks');
  }
}
