import type { z } from 'zod';
import { invalidInput } from '../../errors.js';
import type {
  DstGapPolicy as DstGapPolicySchema,
  DstOverlapPolicy as DstOverlapPolicySchema,
} from '../events/definitions.js';
import { MS_PER_DAY, MS_PER_SECOND } from './civil-date.js';
import { type CronExpression, parseCron } from './cron-expression.js';
import {
  MAX_INSTANT,
  MIN_INSTANT,
  type OffsetPiece,
  type TimeZoneOffsets,
  timeZoneOffsets,
} from './time-zone.js';

/** What a local time that does not exist (spring forward) does. Persisted in schedule definitions. */
export type DstGapPolicy = z.infer<typeof DstGapPolicySchema>;
/** What a local time that happens twice (fall back) does. Persisted in schedule definitions. */
export type DstOverlapPolicy = z.infer<typeof DstOverlapPolicySchema>;

export interface ScheduleSpec {
  /** Cron expression in the Unix dialect, 5 or 6 fields (see `CronExpression`). */
  readonly cron: string;
  /** IANA time zone whose wall clock the cron reads, e.g. `America/New_York` or `UTC`. */
  readonly timezone: string;
  /** Default `SHIFT`: a fixed local time in a spring-forward gap runs when the gap ends. */
  readonly dstGapPolicy?: DstGapPolicy;
  /** Default `LATER`: a fixed local time that happens twice runs at its second occurrence. */
  readonly dstOverlapPolicy?: DstOverlapPolicy;
}

/**
 * Validates a schedule's cron, time zone and DST policies and returns its clock. Parsed
 * expressions and zone offsets are cached, so this is cheap to call per evaluation. Throws
 * `ServoError(INVALID_INPUT)` naming what is wrong.
 */
export function parseSchedule(spec: ScheduleSpec): ScheduleClock {
  const cron = parseCron(spec.cron);
  const zone = timeZoneOffsets(spec.timezone);
  const gap = spec.dstGapPolicy ?? 'SHIFT';
  const overlap = spec.dstOverlapPolicy ?? 'LATER';
  if (!Object.hasOwn(GAP_POLICIES, gap)) {
    throw invalidInput(`dstGapPolicy '${String(gap)}' is not one of SHIFT, SKIP`, { dstGapPolicy: gap });
  }
  if (!Object.hasOwn(OVERLAP_POLICIES, overlap)) {
    throw invalidInput(`dstOverlapPolicy '${String(overlap)}' is not one of LATER, EARLIER, BOTH`, {
      dstOverlapPolicy: overlap,
    });
  }
  return new ScheduleClock(cron, zone, gap, overlap);
}

/**
 * When a schedule is due: the cron's matching local wall times in its time zone, turned into
 * instants (epoch ms) by SPEC §4's DST rule. Pure: time only comes in as arguments.
 *
 * **Fixed-time crons** (`kind === 'fixed-time'`: the hour field does not allow all 24 hours, e.g.
 * `30 2 * * *`, `0 9,17 * * MON-FRI`, `0,15,30,45 1 * * *`, or every other hour) name local times,
 * and the policies apply to each of them:
 * - gap, `SHIFT` (default): a local time that does not exist runs at the first instant after the
 *   gap, i.e. the transition (NY 02:30 → 03:00 EDT; Lord_Howe 02:15 → 02:30; Santiago's missing
 *   midnight → 01:00). Several missing times, and a time the cron names at the end of the gap
 *   (03:00), merge into one due time.
 * - gap, `SKIP`: a local time that does not exist does not run that day.
 * - overlap, `LATER` (default): a local time that happens twice runs once, at the second occurrence
 *   (NY 01:30 on fall-back day → 01:30 EST).
 * - overlap, `EARLIER`: once, at the first occurrence (01:30 EDT). `BOTH`: at both.
 *
 * **Interval crons** (`kind === 'interval'`: the hour field allows every hour, e.g. `0 * * * *`,
 * `0 0-23 * * *`, every 15 minutes, every 10 seconds) fire once per real interval: local times
 * that happen twice fire at both occurrences, and local times that do not exist do not fire. The
 * policies do not apply to them. This is Dagster's rule (its `cron_string_repeats_every_hour`
 * tests the hour field the same way), decided on the parsed hour set, so spellings of "every
 * hour" behave alike.
 *
 * Every due time is a whole second, and maps back either to a local time the cron matches or, for
 * a shifted gap time, to the instant the gap ends. Due times are strictly increasing: two rules
 * that land on one instant give one due time.
 */
export class ScheduleClock {
  readonly cron: CronExpression;
  readonly timezone: string;
  readonly dstGapPolicy: DstGapPolicy;
  readonly dstOverlapPolicy: DstOverlapPolicy;
  /** Which DST rule applies, see the class comment. */
  readonly kind: 'fixed-time' | 'interval';
  private readonly zone: TimeZoneOffsets;

  /** Use `parseSchedule`, which validates the spec and shares parsed crons and zones. */
  constructor(cron: CronExpression, zone: TimeZoneOffsets, gap: DstGapPolicy, overlap: DstOverlapPolicy) {
    this.cron = cron;
    this.zone = zone;
    this.timezone = zone.name;
    this.dstGapPolicy = gap;
    this.dstOverlapPolicy = overlap;
    this.kind = cron.repeatsEveryHour ? 'interval' : 'fixed-time';
  }

  /**
   * Due times in (afterExclusive, untilInclusive], ascending, at most `limit` of them, computed
   * lazily as the iterator is consumed. `untilInclusive` may be `Infinity` (then pass a limit, or
   * stop consuming).
   */
  dueTimesBetween(
    afterExclusive: number,
    untilInclusive: number,
    limit = Number.POSITIVE_INFINITY,
  ): IterableIterator<number> {
    assertInstant('afterExclusive', afterExclusive);
    if (Number.isNaN(untilInclusive)) throw invalidInput('untilInclusive must be a number');
    if (!(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 0) {
      throw invalidInput(`limit must be a whole number, zero or more, got ${limit}`);
    }
    return this.walkForward(afterExclusive, Math.min(untilInclusive, MAX_INSTANT - 1), limit);
  }

  /** The first due time strictly after `instant`, or undefined if there is none within 50 years. */
  nextAfter(instant: number): number | undefined {
    assertInstant('instant', instant);
    const first = this.walkForward(instant, MAX_INSTANT - 1, 1).next();
    return first.done ? undefined : first.value;
  }

  /**
   * The last due time at or before `instant`, or undefined if there is none within 50 years. Walks
   * backwards from `instant`, so it costs the same whether the last due time was a minute or a
   * year ago.
   */
  previousAtOrBefore(instant: number): number | undefined {
    assertInstant('instant', instant);
    const previousMatch = memoized((wall) => this.cron.previousMatch(wall), -1);
    for (let piece: OffsetPiece | undefined = this.zone.pieceAt(instant); piece !== undefined; ) {
      const window = this.windowOf(piece, true);
      const top = Math.min(window.high - 1, instant + piece.offset);
      const wall = top >= window.low ? previousMatch(top) : undefined;
      if (wall !== undefined && wall >= window.low) return wall - piece.offset;
      if (window.gapTick) return piece.start;
      if (instant - piece.start > SEARCH_HORIZON_MS) return undefined;
      piece = this.zone.pieceBefore(piece);
    }
    return undefined;
  }

  private *walkForward(after: number, until: number, limit: number): Generator<number, void, undefined> {
    if (limit <= 0 || until <= after) return;
    const nextMatch = memoized((wall) => this.cron.nextMatch(wall), 1);
    let emitted = 0;
    let last = Number.NEGATIVE_INFINITY;
    let searchedFrom = after;
    for (let piece: OffsetPiece | undefined = this.zone.pieceAt(after); piece !== undefined; ) {
      if (piece.start > until) return;
      const window = this.windowOf(piece, piece.start > after);
      if (window.gapTick) {
        last = piece.start;
        yield last;
        if (++emitted >= limit) return;
        searchedFrom = last;
      }
      let wall = nextMatch(Math.max(window.low, secondAfter(after + piece.offset)));
      while (wall !== undefined && wall < window.high) {
        const instant = wall - piece.offset;
        if (instant > until) return;
        if (instant !== last) {
          last = instant;
          yield last;
          if (++emitted >= limit) return;
          searchedFrom = last;
        }
        wall = nextMatch(wall + MS_PER_SECOND);
      }
      if (piece.end - searchedFrom > SEARCH_HORIZON_MS) return;
      piece = this.zone.pieceAfter(piece);
    }
  }

  /**
   * The wall times a piece of constant offset emits, [low, high), after the overlap policy, and
   * whether the instant the piece starts at is a shifted gap tick (only computed if `wantGap`).
   */
  private windowOf(piece: OffsetPiece, wantGap: boolean): { low: number; high: number; gapTick: boolean } {
    let low = piece.start + piece.offset;
    let high = piece.end + piece.offset;
    if (this.kind === 'interval') return { low, high, gapTick: false };
    const shifting = wantGap && this.dstGapPolicy === 'SHIFT';
    const before = shifting || this.dstOverlapPolicy === 'EARLIER' ? this.wallCoveredBefore(piece) : low;
    if (this.dstOverlapPolicy === 'EARLIER') low = Math.max(low, before);
    if (this.dstOverlapPolicy === 'LATER') high = Math.min(high, this.wallCoveredAfter(piece));
    const gapEnd = piece.start + piece.offset;
    const gapTick = shifting && before < gapEnd && (this.cron.nextMatch(before) ?? gapEnd) < gapEnd;
    return { low, high, gapTick };
  }

  /** The latest wall time covered by the pieces before this one (within reach of a transition). */
  private wallCoveredBefore(piece: OffsetPiece): number {
    let covered = piece.start + piece.offset;
    let earlier = this.zone.pieceBefore(piece);
    if (earlier === undefined) return covered;
    covered = earlier.end + earlier.offset;
    while (earlier !== undefined && earlier.start > piece.start - TRANSITION_REACH_MS) {
      earlier = this.zone.pieceBefore(earlier);
      if (earlier !== undefined) covered = Math.max(covered, earlier.end + earlier.offset);
    }
    return covered;
  }

  /** The earliest wall time covered by the pieces after this one (within reach of a transition). */
  private wallCoveredAfter(piece: OffsetPiece): number {
    let covered = piece.end + piece.offset;
    let later = this.zone.pieceAfter(piece);
    if (later === undefined) return covered;
    covered = later.start + later.offset;
    while (later !== undefined && later.end < piece.end + TRANSITION_REACH_MS) {
      later = this.zone.pieceAfter(later);
      if (later !== undefined) covered = Math.min(covered, later.start + later.offset);
    }
    return covered;
  }
}

const GAP_POLICIES = { SHIFT: true, SKIP: true } satisfies Record<DstGapPolicy, true>;
const OVERLAP_POLICIES = { LATER: true, EARLIER: true, BOTH: true } satisfies Record<DstOverlapPolicy, true>;

/**
 * How far from a transition its gap or overlap can reach: offset changes move wall clocks by at most
 * a day (date-line moves such as Pacific/Apia 2011); DST by two hours at most (Antarctica/Troll).
 */
const TRANSITION_REACH_MS = 2 * MS_PER_DAY;
/** Matches `CronExpression`'s search: a valid cron fires at least every 40 years. */
const SEARCH_HORIZON_MS = 50 * 366 * MS_PER_DAY;

function assertInstant(name: string, value: number): void {
  if (!(value >= MIN_INSTANT && value < MAX_INSTANT)) {
    throw invalidInput(`${name} must be epoch milliseconds between years 1 and 9999, got ${value}`);
  }
}

/** The first whole second strictly after `wall`. */
function secondAfter(wall: number): number {
  return Math.floor(wall / MS_PER_SECOND) * MS_PER_SECOND + MS_PER_SECOND;
}

/**
 * Remembers the last search: a forward search from x that found m answers every query in [x, m]
 * with m (mirrored for backward searches), so walking many pieces with no match costs no searches.
 */
function memoized(
  search: (wall: number) => number | undefined,
  direction: 1 | -1,
): (wall: number) => number | undefined {
  let from = Number.NaN;
  let found: number | undefined;
  return (wall) => {
    if (
      found !== undefined &&
      (direction === 1 ? wall >= from && wall <= found : wall <= from && wall >= found)
    ) {
      return found;
    }
    from = wall;
    found = search(wall);
    return found;
  };
}
