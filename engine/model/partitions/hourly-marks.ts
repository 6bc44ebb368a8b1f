import { invalidInput } from '../../errors.js';
import { floorDiv, MAX_YEAR, MS_PER_HOUR, mod, utcYearOf, yearStart } from './civil-time.js';
import type { ZoneRules } from './time-zone.js';

/**
 * The boundaries of hourly windows: every instant whose local wall clock reads `HH:{minuteOffset}`.
 * A wall time skipped by a spring-forward gap has no instant and is skipped; a wall time repeated
 * by a fall-back overlap has two and both are boundaries. In zones whose offsets change by whole
 * hours this is one boundary per real hour, as Dagster's hourly iteration over UTC gives; in
 * Australia/Lord_Howe (30-minute shift) the windows around a transition last 30 or 90 minutes and
 * keys stay on the local `:00` marks.
 *
 * Marks are counted from the start of the definition's first UTC year with per-year prefix sums,
 * so counting marks before an instant and finding the n-th mark are O(1) after the table for the
 * years involved is built (once, O(years)).
 */
interface Segment {
  readonly from: number;
  readonly to: number;
  readonly offset: number;
}

export class HourlyMarks {
  private readonly anchor: number;
  /** `prefix[k]`: marks in [anchor, start of year anchorYear + k). */
  private readonly prefix: number[] = [0];
  private readonly segmentsByYear = new Map<number, readonly Segment[]>();

  constructor(
    private readonly zone: ZoneRules,
    /** Minute offset of the marks in milliseconds. */
    private readonly phase: number,
    private readonly anchorYear: number,
  ) {
    this.anchor = yearStart(anchorYear);
  }

  /** Number of marks in [anchor, instant). */
  countBefore(instant: number): number {
    if (instant <= this.anchor) return 0;
    const year = utcYearOf(instant);
    let count = this.marksBeforeYear(year);
    for (const segment of this.segments(year)) {
      if (segment.from >= instant) break;
      count += this.marksIn(segment.from, Math.min(segment.to, instant), segment.offset);
    }
    return count;
  }

  /** The instant of the mark numbered `n` (0 = first mark at or after the anchor). */
  markAt(n: number): number {
    let year = utcYearOf(this.anchor + n * MS_PER_HOUR);
    if (year > MAX_YEAR + 1) throw invalidInput(`hourly window ${n} lies after the year ${MAX_YEAR}`);
    while (year > this.anchorYear && this.marksBeforeYear(year) > n) year--;
    while (this.marksBeforeYear(year + 1) <= n) year++;
    let remaining = n - this.marksBeforeYear(year);
    for (const segment of this.segments(year)) {
      const count = this.marksIn(segment.from, segment.to, segment.offset);
      if (remaining < count) {
        const first = segment.from + mod(this.phase - segment.from - segment.offset, MS_PER_HOUR);
        return first + remaining * MS_PER_HOUR;
      }
      remaining -= count;
    }
    throw new Error(`hourly mark ${n} not found in year ${year}`);
  }

  private marksBeforeYear(year: number): number {
    while (this.prefix.length <= year - this.anchorYear) {
      const last = this.prefix.length - 1;
      let count = 0;
      for (const segment of this.segments(this.anchorYear + last)) {
        count += this.marksIn(segment.from, segment.to, segment.offset);
      }
      this.prefix.push(this.prefix[last]! + count);
    }
    return this.prefix[year - this.anchorYear]!;
  }

  /** Spans of constant offset covering one UTC year. */
  private segments(year: number): readonly Segment[] {
    const cached = this.segmentsByYear.get(year);
    if (cached !== undefined) return cached;
    const { initialOffset, transitions } = this.zone.year(year);
    const segments: Segment[] = [];
    let from = yearStart(year);
    let offset = initialOffset;
    for (const transition of transitions) {
      segments.push({ from, to: transition.at, offset });
      from = transition.at;
      offset = transition.after;
    }
    segments.push({ from, to: yearStart(year + 1), offset });
    this.segmentsByYear.set(year, segments);
    return segments;
  }

  /** Instants t in [from, to) with local time t + offset on a mark: multiples of an hour. */
  private marksIn(from: number, to: number, offset: number): number {
    const ceil = (x: number) => -floorDiv(-x, MS_PER_HOUR);
    return ceil(to + offset - this.phase) - ceil(from + offset - this.phase);
  }
}
