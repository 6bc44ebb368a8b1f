import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError, type ServoError } from '../../errors.js';
import { parseCron } from './cron-expression.js';
import {
  type DstGapPolicy,
  type DstOverlapPolicy,
  parseSchedule,
  type ScheduleClock,
} from './schedule-clock.js';

const DAY = 86_400_000;
const at = (text: string) => Date.parse(text);
const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString());
const list = (clock: ScheduleClock, from: string, to: string) =>
  [...clock.dueTimesBetween(at(from), at(to))].map((time) => iso(time));

function invalid(run: () => unknown): ServoError {
  try {
    run();
  } catch (error) {
    if (isServoError(error, ErrorCode.InvalidInput)) return error;
    throw error;
  }
  throw new Error('expected an INVALID_INPUT ServoError');
}

/** The UTC offset at an instant, read from Intl directly (independent of `time-zone.ts`). */
function intlOffset(zone: string): (instant: number) => number {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  return (instant) => {
    const match = /GMT(?:([+-])(\d\d):(\d\d))?/.exec(format.format(instant));
    const minutes = Number(match?.[2] ?? 0) * 60 + Number(match?.[3] ?? 0);
    return (match?.[1] === '-' ? -minutes : minutes) * 60_000;
  };
}

/**
 * SPEC §4's rule, applied one wall time at a time (the way Dagster does): resolve each matching
 * local time to the instants that show it, then apply the gap and overlap policies.
 */
function reference(
  cron: string,
  zone: string,
  gap: DstGapPolicy,
  overlap: DstOverlapPolicy,
  from: number,
  to: number,
): number[] {
  const expression = parseCron(cron);
  const offsetAt = intlOffset(zone);
  const offsets = new Set<number>();
  for (let t = from - DAY; t <= to + DAY; t += 15 * 60_000) offsets.add(offsetAt(t));
  const sorted = [...offsets].sort((a, b) => a - b);
  const [lowest = 0, highest = 0] = [sorted[0], sorted[sorted.length - 1]];
  const out = new Set<number>();
  for (let wall = expression.nextMatch(from + lowest); wall !== undefined && wall <= to + highest; ) {
    const instants = sorted
      .map((offset) => wall! - offset)
      .filter((instant) => offsetAt(instant) === wall! - instant)
      .sort((a, b) => a - b);
    const intervalCron = expression.repeatsEveryHour;
    if (instants.length === 0 && !intervalCron && gap === 'SHIFT') {
      // The first instant whose wall clock is past `wall`: the end of the gap.
      let low = wall - highest;
      let high = wall - lowest;
      while (high - low > 1000) {
        const middle = Math.floor((low + high) / 2000) * 1000;
        if (middle + offsetAt(middle) > wall) high = middle;
        else low = middle;
      }
      out.add(high);
    } else if (instants.length === 2 && !intervalCron && overlap !== 'BOTH') {
      out.add(overlap === 'LATER' ? instants[1]! : instants[0]!);
    } else {
      for (const instant of instants) out.add(instant);
    }
    wall = expression.nextMatch(wall + 1000);
  }
  return [...out].filter((time) => time > from && time <= to).sort((a, b) => a - b);
}

const ZONES_2026 = {
  'America/New_York': ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z'],
  'Europe/London': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'],
  'Australia/Sydney': ['2026-04-04T16:00:00Z', '2026-10-03T16:00:00Z'],
  'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'],
  'America/Santiago': ['2026-04-05T03:00:00Z', '2026-09-06T04:00:00Z'],
  'Pacific/Chatham': ['2026-04-04T14:00:00Z', '2026-09-26T14:00:00Z'],
} as const;
const WINDOWS = Object.entries(ZONES_2026).flatMap(([zone, transitions]) =>
  transitions.map((transition) => ({
    zone,
    from: at(transition) - 1.5 * DAY,
    to: at(transition) + 1.5 * DAY,
  })),
);
const CRONS = [
  '30 2 * * *',
  '30 1 * * *',
  '0 0 * * *',
  '30 23 * * *',
  '15 2 * * *',
  '45 1 * * *',
  '45 2 * * *',
  '0,30 2,3 * * *',
  '0 */2 * * *',
  '*/15 1 * * *',
  '0 30 2 * * *',
  '0 * * * *',
  '30 * * * *',
  '*/15 * * * *',
];
const POLICIES = (['SHIFT', 'SKIP'] as const).flatMap((gap) =>
  (['LATER', 'EARLIER', 'BOTH'] as const).map((overlap) => [gap, overlap] as const),
);

describe('ScheduleClock', () => {
  it('defaults to Dagster’s rule: gaps SHIFT, overlaps LATER', () => {
    const clock = parseSchedule({ cron: '30 1 * * *', timezone: 'America/New_York' });
    expect([clock.dstGapPolicy, clock.dstOverlapPolicy, clock.kind]).toEqual([
      'SHIFT',
      'LATER',
      'fixed-time',
    ]);
    expect(parseSchedule({ cron: '*/5 * * * *', timezone: 'UTC' }).kind).toBe('interval');
  });

  it('merges a shifted gap time with a tick already due at the end of the gap', () => {
    // New York, 2026-03-08: 02:00 and 02:30 do not exist and shift to 03:00 EDT, which the cron
    // also names: one due time at 03:00, then 03:30.
    const clock = parseSchedule({ cron: '0,30 2,3 * * *', timezone: 'America/New_York' });
    expect(list(clock, '2026-03-08T00:00:00Z', '2026-03-08T12:00:00Z')).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
    ]);
    const skip = parseSchedule({
      cron: '0,30 2,3 * * *',
      timezone: 'America/New_York',
      dstGapPolicy: 'SKIP',
    });
    expect(list(skip, '2026-03-08T00:00:00Z', '2026-03-08T12:00:00Z')).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
    ]);
  });

  it('treats crons whose hour field skips some hours as fixed local times', () => {
    // Every other hour: 02:00 does not exist on 2026-03-08 and shifts to 03:00 EDT.
    const everyOtherHour = parseSchedule({ cron: '0 */2 * * *', timezone: 'America/New_York' });
    expect(everyOtherHour.kind).toBe('fixed-time');
    expect(list(everyOtherHour, '2026-03-08T04:59:59Z', '2026-03-08T09:00:00Z')).toEqual([
      '2026-03-08T05:00:00.000Z', // 00:00 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT, for 02:00
      '2026-03-08T08:00:00.000Z', // 04:00 EDT
    ]);
    // Every 15 minutes of hour 1 on fall-back day: each local time once, at its second occurrence.
    const quarterHours = (overlap: DstOverlapPolicy) =>
      list(
        parseSchedule({ cron: '*/15 1 * * *', timezone: 'America/New_York', dstOverlapPolicy: overlap }),
        '2026-11-01T00:00:00Z',
        '2026-11-01T12:00:00Z',
      );
    expect(quarterHours('LATER')).toEqual(['00', '15', '30', '45'].map((m) => `2026-11-01T06:${m}:00.000Z`));
    expect(quarterHours('BOTH')).toHaveLength(8);
  });

  it('applies the rule exactly as a wall-time-by-wall-time reading of SPEC §4 does', () => {
    for (const { zone, from, to } of WINDOWS) {
      for (const cron of CRONS) {
        for (const [gap, overlap] of POLICIES) {
          const clock = parseSchedule({ cron, timezone: zone, dstGapPolicy: gap, dstOverlapPolicy: overlap });
          const expected = reference(cron, zone, gap, overlap, from, to).map(iso);
          expect([...clock.dueTimesBetween(from, to)].map(iso), `${cron} ${zone} ${gap} ${overlap}`).toEqual(
            expected,
          );
        }
      }
    }
  });

  it('agrees with croner where the two rules coincide', () => {
    // croner fires interval crons on both passes of a repeated time and skips missing ones, and
    // runs single-value crons once at the first occurrence or at the end of a gap.
    for (const { zone, from, to } of WINDOWS) {
      for (const [cron, overlap] of [
        ['*/15 * * * *', 'LATER'],
        ['30 * * * *', 'LATER'],
        ['30 2 * * *', 'EARLIER'],
        ['45 1 * * *', 'EARLIER'],
        ['0 0 * * *', 'EARLIER'],
      ] as const) {
        const croner = new Cron(cron, { timezone: zone, mode: '5-or-6-parts' });
        const expected: number[] = [];
        for (let next = croner.nextRun(new Date(from)); next !== null && next.getTime() <= to; ) {
          expected.push(next.getTime());
          next = croner.nextRun(next);
        }
        const clock = parseSchedule({ cron, timezone: zone, dstOverlapPolicy: overlap });
        expect([...clock.dueTimesBetween(from, to)], `${cron} ${zone}`).toEqual(expected);
      }
    }
  });

  it('walks nextAfter and previousAtOrBefore through the same due times as dueTimesBetween', () => {
    for (const { zone, from, to } of WINDOWS) {
      for (const cron of CRONS) {
        for (const [gap, overlap] of POLICIES) {
          const clock = parseSchedule({ cron, timezone: zone, dstGapPolicy: gap, dstOverlapPolicy: overlap });
          const all = [...clock.dueTimesBetween(from, to)];
          const forward: number[] = [];
          for (let t = clock.nextAfter(from); t !== undefined && t <= to; t = clock.nextAfter(t))
            forward.push(t);
          const backward: number[] = [];
          for (let t = clock.previousAtOrBefore(to); t !== undefined && t > from; ) {
            backward.unshift(t);
            t = clock.previousAtOrBefore(t - 1);
          }
          const label = `${cron} ${zone} ${gap} ${overlap}`;
          expect(forward, label).toEqual(all);
          expect(backward, label).toEqual(all);
        }
      }
    }
  });

  it('finds the previous due time without iterating from the past', () => {
    const later = parseSchedule({ cron: '30 1 * * *', timezone: 'America/New_York' });
    const noonNov1 = at('2026-11-01T17:00:00Z');
    expect(iso(later.previousAtOrBefore(noonNov1))).toBe('2026-11-01T06:30:00.000Z');
    expect(iso(later.previousAtOrBefore(at('2026-11-01T06:30:00Z')))).toBe('2026-11-01T06:30:00.000Z');
    expect(iso(later.previousAtOrBefore(at('2026-11-01T06:29:59.999Z')))).toBe('2026-10-31T05:30:00.000Z');
    const earlier = parseSchedule({
      cron: '30 1 * * *',
      timezone: 'America/New_York',
      dstOverlapPolicy: 'EARLIER',
    });
    expect(iso(earlier.previousAtOrBefore(noonNov1))).toBe('2026-11-01T05:30:00.000Z');
    const shifted = parseSchedule({ cron: '30 2 * * *', timezone: 'America/New_York' });
    expect(iso(shifted.previousAtOrBefore(at('2026-03-08T12:00:00Z')))).toBe('2026-03-08T07:00:00.000Z');
    const skipped = parseSchedule({ cron: '30 2 * * *', timezone: 'America/New_York', dstGapPolicy: 'SKIP' });
    expect(iso(skipped.previousAtOrBefore(at('2026-03-08T12:00:00Z')))).toBe('2026-03-07T07:30:00.000Z');
    const leapDay = parseSchedule({ cron: '0 0 29 2 *', timezone: 'Europe/London' });
    expect(iso(leapDay.previousAtOrBefore(at('2027-01-01T00:00:00Z')))).toBe('2024-02-29T00:00:00.000Z');
    expect(iso(leapDay.nextAfter(at('2027-01-01T00:00:00Z')))).toBe('2028-02-29T00:00:00.000Z');
  });

  it('counts due times in a catch-up window with previousAtOrBefore and a bounded walk', () => {
    const clock = parseSchedule({ cron: '*/5 * * * *', timezone: 'Europe/London' });
    const now = at('2026-10-25T02:02:00Z');
    const window = [...clock.dueTimesBetween(now - DAY, now)];
    expect(window).toHaveLength(24 * 12);
    expect(window[window.length - 1]).toBe(clock.previousAtOrBefore(now));
    expect(iso(clock.nextAfter(now))).toBe('2026-10-25T02:05:00.000Z');
  });

  it('is lazy: an unbounded range yields due times as they are consumed, and limit caps them', () => {
    const clock = parseSchedule({ cron: '0 9 * * MON-FRI', timezone: 'Asia/Tokyo' });
    const iterator = clock.dueTimesBetween(at('2026-03-05T12:00:00Z'), Number.POSITIVE_INFINITY);
    expect(iso(iterator.next().value as number)).toBe('2026-03-06T00:00:00.000Z');
    expect(iso(iterator.next().value as number)).toBe('2026-03-09T00:00:00.000Z');
    expect([...clock.dueTimesBetween(at('2026-03-06T00:00:00Z'), Number.POSITIVE_INFINITY, 3)]).toHaveLength(
      3,
    );
    expect([...clock.dueTimesBetween(at('2026-03-06T00:00:00Z'), at('2026-03-05T00:00:00Z'))]).toEqual([]);
  });

  it('emits whole seconds strictly after the start, from any millisecond', () => {
    const clock = parseSchedule({ cron: '*/10 * * * * *', timezone: 'UTC' });
    expect(list(clock, '2026-01-01T00:00:09.999Z', '2026-01-01T00:00:20.000Z')).toEqual([
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:20.000Z',
    ]);
    expect(iso(clock.nextAfter(at('2026-01-01T00:00:10.000Z')))).toBe('2026-01-01T00:00:20.000Z');
    expect(iso(clock.previousAtOrBefore(at('2026-01-01T00:00:19.999Z')))).toBe('2026-01-01T00:00:10.000Z');
  });

  it('rejects invalid schedules and arguments with INVALID_INPUT', () => {
    expect(invalid(() => parseSchedule({ cron: '0 0 * * *', timezone: 'Mars/Olympus' })).message).toBe(
      "time zone 'Mars/Olympus' is not a known IANA time zone",
    );
    expect(invalid(() => parseSchedule({ cron: '61 * * * *', timezone: 'UTC' })).message).toContain(
      'minute field: 61 is out of range 0–59',
    );
    const badGap = { cron: '0 0 * * *', timezone: 'UTC', dstGapPolicy: 'LATER' as DstGapPolicy };
    expect(invalid(() => parseSchedule(badGap)).message).toBe(
      "dstGapPolicy 'LATER' is not one of SHIFT, SKIP",
    );
    const badOverlap = { cron: '0 0 * * *', timezone: 'UTC', dstOverlapPolicy: 'FIRST' as DstOverlapPolicy };
    expect(invalid(() => parseSchedule(badOverlap)).message).toContain(
      "dstOverlapPolicy 'FIRST' is not one of",
    );
    const clock = parseSchedule({ cron: '0 0 * * *', timezone: 'UTC' });
    expect(invalid(() => clock.nextAfter(Number.NaN)).message).toContain(
      'instant must be epoch milliseconds',
    );
    expect(invalid(() => clock.dueTimesBetween(0, Number.NaN)).message).toContain('untilInclusive');
    expect(invalid(() => clock.dueTimesBetween(0, 1, -1)).message).toContain('limit');
    expect(invalid(() => clock.previousAtOrBefore(1e16)).message).toContain('between years 1 and 9999');
  });
});
