import { invalidInput } from '../../errors.js';
import { MS_PER_DAY, MS_PER_SECOND, mod, utcYearOf, wallFromCivil, yearStart } from './civil-time.js';

/**
 * IANA time-zone rules read from `Intl` (the runtime's tz database) and turned into an offset
 * table, so that converting between instants and wall time is arithmetic plus a short search.
 *
 * The table is built lazily, one UTC calendar year at a time: the offset is sampled every 7 days
 * and each change is located to the second by bisection. This finds every transition of the tz
 * database except a pair less than 7 days apart that cancel out (none exist since 1970; some
 * wartime rules before that are smoothed over). Building a year costs about 0.1 ms and happens
 * once per zone and year per process.
 */

/** A change of UTC offset: from `at` on, local time is `at + after` instead of `at + before`. */
export interface OffsetTransition {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

/** The offset in force when a UTC year starts and the transitions inside that year. */
export interface ZoneYear {
  readonly initialOffset: number;
  readonly transitions: readonly OffsetTransition[];
}

/** Which instant a repeated wall time (fall back) means. */
export type OverlapChoice = 'earlier' | 'later';

export interface ZoneRules {
  /** The zone name as given by the definition. */
  readonly name: string;
  /** UTC offset in milliseconds at an instant (local = instant + offset). */
  offsetAt(instant: number): number;
  /** Wall time (see `civil-time.ts`) at an instant. */
  wallAt(instant: number): number;
  /** Every instant whose wall time is `wall`, ascending: none in a gap, two in an overlap. */
  instantsAt(wall: number): number[];
  /**
   * One instant for a wall time. A wall time in a gap (spring forward) becomes the first instant
   * after the gap — the transition itself, so 02:30 becomes 03:00 in New York; a repeated wall
   * time becomes its earlier or later occurrence.
   */
  resolve(wall: number, overlap: OverlapChoice): number;
  /** True when the wall time at `instant` already happened once before (second occurrence). */
  isRepeatedWall(instant: number): boolean;
  /** The offset table for one UTC year. */
  year(year: number): ZoneYear;
}

const WEEK = 7 * MS_PER_DAY;
/** Wider than any UTC offset in the tz database, so every instant of a wall time lies inside. */
const SEARCH_MARGIN = 2 * MS_PER_DAY;
const INTL_PARTS = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/;
const UTC_ALIASES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'Etc/GMT', 'Etc/Universal', 'Etc/Zulu', 'GMT']);

class TableZone implements ZoneRules {
  private readonly years = new Map<number, ZoneYear>();

  constructor(
    readonly name: string,
    private readonly formatter: Intl.DateTimeFormat | undefined,
  ) {}

  offsetAt(instant: number): number {
    const { initialOffset, transitions } = this.year(utcYearOf(instant));
    for (let k = transitions.length - 1; k >= 0; k--) {
      const transition = transitions[k]!;
      if (transition.at <= instant) return transition.after;
    }
    return initialOffset;
  }

  wallAt(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  instantsAt(wall: number): number[] {
    if (this.formatter === undefined) return [wall];
    const nearby = this.transitionsBetween(wall - SEARCH_MARGIN, wall + SEARCH_MARGIN);
    const first = this.offsetAt(wall - SEARCH_MARGIN);
    if (nearby.length === 0) return [wall - first];
    const instants: number[] = [];
    for (const offset of [first, ...nearby.map((transition) => transition.after)]) {
      const instant = wall - offset;
      if (this.offsetAt(instant) === offset && !instants.includes(instant)) instants.push(instant);
    }
    return instants.sort((a, b) => a - b);
  }

  resolve(wall: number, overlap: OverlapChoice): number {
    const instants = this.instantsAt(wall);
    if (instants.length > 0) return (overlap === 'earlier' ? instants[0] : instants[instants.length - 1])!;
    for (const transition of this.transitionsBetween(wall - SEARCH_MARGIN, wall + SEARCH_MARGIN)) {
      if (transition.at + transition.before <= wall && wall < transition.at + transition.after) {
        return transition.at;
      }
    }
    // Unreachable with a consistent table; fall back to the offset in force just before.
    return wall - this.offsetAt(wall - SEARCH_MARGIN);
  }

  isRepeatedWall(instant: number): boolean {
    // Repeated when a backward transition happened less than its size ago.
    for (const transition of this.transitionsBetween(instant - SEARCH_MARGIN, instant)) {
      const size = transition.before - transition.after;
      if (size > 0 && instant - transition.at < size) return true;
    }
    return false;
  }

  year(year: number): ZoneYear {
    let table = this.years.get(year);
    if (table === undefined) {
      table = this.formatter === undefined ? { initialOffset: 0, transitions: [] } : this.buildYear(year);
      this.years.set(year, table);
    }
    return table;
  }

  private transitionsBetween(from: number, to: number): OffsetTransition[] {
    const found: OffsetTransition[] = [];
    if (this.formatter === undefined) return found;
    for (let y = utcYearOf(from); y <= utcYearOf(to); y++) {
      for (const transition of this.year(y).transitions) {
        if (transition.at >= from && transition.at <= to) found.push(transition);
      }
    }
    return found;
  }

  /** Samples a year weekly and bisects every change of offset down to the second. */
  private buildYear(year: number): ZoneYear {
    const end = yearStart(year + 1) - MS_PER_SECOND;
    let previous = yearStart(year) - MS_PER_SECOND;
    let previousOffset = this.sample(previous);
    const initialOffset = previousOffset;
    const transitions: OffsetTransition[] = [];
    for (let probe = Math.min(previous + WEEK, end); ; probe = Math.min(probe + WEEK, end)) {
      let probeOffset = this.sample(probe);
      while (probeOffset !== previousOffset) {
        let low = previous;
        let high = probe;
        while (high - low > MS_PER_SECOND) {
          const middle = low + Math.floor((high - low) / 2 / MS_PER_SECOND) * MS_PER_SECOND;
          if (this.sample(middle) === previousOffset) low = middle;
          else high = middle;
        }
        const after = this.sample(high);
        transitions.push({ at: high, before: previousOffset, after });
        previous = high;
        previousOffset = after;
        probeOffset = this.sample(probe);
      }
      previous = probe;
      if (probe === end) break;
    }
    return { initialOffset, transitions };
  }

  /** The offset `Intl` reports at a whole second. */
  private sample(instant: number): number {
    const second = instant - mod(instant, MS_PER_SECOND);
    const text = this.formatter!.format(second);
    const parts = INTL_PARTS.exec(text);
    if (parts === null) throw new Error(`unexpected Intl date format '${text}' for zone ${this.name}`);
    const [, month, day, year, hour, minute, secondOfMinute] = parts.map(Number) as number[];
    const wall = wallFromCivil({
      year: year!,
      month: month!,
      day: day!,
      hour: hour!,
      minute: minute!,
      second: secondOfMinute!,
    });
    return wall - second;
  }
}

const zones = new Map<string, ZoneRules>();

/**
 * The rules of an IANA zone (`America/New_York`, `UTC`). Throws `INVALID_INPUT` for a name the
 * runtime's tz database does not know.
 */
export function zoneRules(name: string): ZoneRules {
  const cached = zones.get(name);
  if (cached !== undefined) return cached;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw invalidInput(
      `unknown time zone '${name}': use an IANA zone name such as 'America/New_York' or 'UTC'`,
      {
        timezone: name,
      },
    );
  }
  const utc = UTC_ALIASES.has(formatter.resolvedOptions().timeZone) || UTC_ALIASES.has(name);
  const rules = new TableZone(name, utc ? undefined : formatter);
  zones.set(name, rules);
  return rules;
}
