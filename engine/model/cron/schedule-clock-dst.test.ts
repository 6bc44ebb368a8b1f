import { describe, expect, it } from 'vitest';
import { type DstGapPolicy, type DstOverlapPolicy, parseSchedule } from './schedule-clock.js';

/**
 * SPEC §4's DST rule on the 2026 transition days, asserted as exact UTC instants for the whole
 * local day. Local times in comments are the zone's wall clock.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const iso = (time: number) => new Date(time).toISOString().replace('.000Z', 'Z');

function due(
  cron: string,
  timezone: string,
  [from, to]: readonly [string, string],
  dstGapPolicy: DstGapPolicy = 'SHIFT',
  dstOverlapPolicy: DstOverlapPolicy = 'LATER',
): string[] {
  const clock = parseSchedule({ cron, timezone, dstGapPolicy, dstOverlapPolicy });
  return [...clock.dueTimesBetween(Date.parse(from) - 1, Date.parse(to) - 1)].map(iso);
}

/** Every `step` ms from `from` (inclusive) to `to` (exclusive), in UTC. */
function every(step: number, from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += step) out.push(iso(t));
  return out;
}

/** An instant as the zone's wall clock, `HH:mm±hh:mm`, read from Intl independently of the code under test. */
function local(timezone: string, instants: readonly string[]): string[] {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'longOffset',
  });
  return instants.map((instant) => {
    const parts = Object.fromEntries(format.formatToParts(Date.parse(instant)).map((p) => [p.type, p.value]));
    return `${parts.hour}:${parts.minute}${(parts.timeZoneName ?? '').replace('GMT', '') || '+00:00'}`;
  });
}

const POLICIES = [
  ['SHIFT', 'LATER'],
  ['SHIFT', 'EARLIER'],
  ['SHIFT', 'BOTH'],
  ['SKIP', 'LATER'],
  ['SKIP', 'EARLIER'],
  ['SKIP', 'BOTH'],
] as const satisfies readonly (readonly [DstGapPolicy, DstOverlapPolicy])[];

interface Transition {
  readonly title: string;
  readonly zone: string;
  /** The local transition day as UTC instants [start, end). */
  readonly day: readonly [string, string];
  /** Length of the local day, hours. */
  readonly hours: number;
  /** A daily cron naming a local time inside the gap or the overlap. */
  readonly fixedCron: string;
  /** Spring forward: where SHIFT runs the missing time. */
  readonly shiftedTo?: string;
  /** Fall back: the first and second occurrence of the repeated time. */
  readonly occurrences?: readonly [string, string];
  /** Hourly ticks around the transition, as local times. */
  readonly hourlyAround: { readonly window: readonly [string, string]; readonly local: readonly string[] };
}

const TRANSITIONS: readonly Transition[] = [
  {
    title: 'America/New_York spring forward, 2026-03-08 02:00 → 03:00',
    zone: 'America/New_York',
    day: ['2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z'],
    hours: 23,
    fixedCron: '30 2 * * *',
    shiftedTo: '2026-03-08T07:00:00Z', // 03:00 EDT
    hourlyAround: {
      window: ['2026-03-08T05:00:00Z', '2026-03-08T09:00:00Z'],
      local: ['00:00-05:00', '01:00-05:00', '03:00-04:00', '04:00-04:00'],
    },
  },
  {
    title: 'America/New_York fall back, 2026-11-01 02:00 → 01:00',
    zone: 'America/New_York',
    day: ['2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z'],
    hours: 25,
    fixedCron: '30 1 * * *',
    occurrences: ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z'], // 01:30 EDT, 01:30 EST
    hourlyAround: {
      window: ['2026-11-01T04:00:00Z', '2026-11-01T08:00:00Z'],
      local: ['00:00-04:00', '01:00-04:00', '01:00-05:00', '02:00-05:00'],
    },
  },
  {
    title: 'Europe/London spring forward, 2026-03-29 01:00 → 02:00',
    zone: 'Europe/London',
    day: ['2026-03-29T00:00:00Z', '2026-03-29T23:00:00Z'],
    hours: 23,
    fixedCron: '30 1 * * *',
    shiftedTo: '2026-03-29T01:00:00Z', // 02:00 BST
    hourlyAround: {
      window: ['2026-03-29T00:00:00Z', '2026-03-29T03:00:00Z'],
      local: ['00:00+00:00', '02:00+01:00', '03:00+01:00'],
    },
  },
  {
    title: 'Europe/London fall back, 2026-10-25 02:00 → 01:00',
    zone: 'Europe/London',
    day: ['2026-10-24T23:00:00Z', '2026-10-26T00:00:00Z'],
    hours: 25,
    fixedCron: '30 1 * * *',
    occurrences: ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z'], // 01:30 BST, 01:30 GMT
    hourlyAround: {
      window: ['2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z'],
      local: ['00:00+01:00', '01:00+01:00', '01:00+00:00', '02:00+00:00'],
    },
  },
  {
    title: 'Australia/Sydney fall back, 2026-04-05 03:00 → 02:00',
    zone: 'Australia/Sydney',
    day: ['2026-04-04T13:00:00Z', '2026-04-05T14:00:00Z'],
    hours: 25,
    fixedCron: '30 2 * * *',
    occurrences: ['2026-04-04T15:30:00Z', '2026-04-04T16:30:00Z'], // 02:30 AEDT, 02:30 AEST
    hourlyAround: {
      window: ['2026-04-04T14:00:00Z', '2026-04-04T18:00:00Z'],
      local: ['01:00+11:00', '02:00+11:00', '02:00+10:00', '03:00+10:00'],
    },
  },
  {
    title: 'Australia/Sydney spring forward, 2026-10-04 02:00 → 03:00',
    zone: 'Australia/Sydney',
    day: ['2026-10-03T14:00:00Z', '2026-10-04T13:00:00Z'],
    hours: 23,
    fixedCron: '30 2 * * *',
    shiftedTo: '2026-10-03T16:00:00Z', // 03:00 AEDT
    hourlyAround: {
      window: ['2026-10-03T14:00:00Z', '2026-10-03T18:00:00Z'],
      local: ['00:00+10:00', '01:00+10:00', '03:00+11:00', '04:00+11:00'],
    },
  },
];

describe.each(TRANSITIONS)('$title', (transition) => {
  const { zone, day, hours, fixedCron } = transition;

  it.each(POLICIES)('gap %s, overlap %s: the daily cron in the gap or overlap', (gap, overlap) => {
    const expected =
      transition.shiftedTo !== undefined
        ? gap === 'SHIFT'
          ? [transition.shiftedTo]
          : []
        : {
            LATER: [transition.occurrences![1]],
            EARLIER: [transition.occurrences![0]],
            BOTH: [...transition.occurrences!],
          }[overlap];
    expect(due(fixedCron, zone, day, gap, overlap)).toEqual(expected);
  });

  it.each(POLICIES)('gap %s, overlap %s: an hourly cron fires once per real hour', (gap, overlap) => {
    const ticks = due('0 * * * *', zone, day, gap, overlap);
    expect(ticks).toEqual(every(HOUR, ...day));
    expect(ticks).toHaveLength(hours);
    expect(local(zone, due('0 * * * *', zone, transition.hourlyAround.window, gap, overlap))).toEqual(
      transition.hourlyAround.local,
    );
  });

  it.each(POLICIES)(
    'gap %s, overlap %s: a 15-minute cron fires once per real quarter hour',
    (gap, overlap) => {
      const ticks = due('*/15 * * * *', zone, day, gap, overlap);
      expect(ticks).toEqual(every(15 * MINUTE, ...day));
      expect(ticks).toHaveLength(hours * 4);
    },
  );
});

describe('Australia/Lord_Howe: 30-minute shifts', () => {
  const springDay = ['2026-10-03T13:30:00Z', '2026-10-04T13:00:00Z'] as const; // 2026-10-04, 23.5 h
  const fallDay = ['2026-04-04T13:00:00Z', '2026-04-05T13:30:00Z'] as const; // 2026-04-05, 24.5 h
  const zone = 'Australia/Lord_Howe';

  it('spring forward 02:00 → 02:30: a missing time runs at 02:30 (SHIFT) or not at all (SKIP)', () => {
    expect(due('15 2 * * *', zone, springDay, 'SHIFT')).toEqual(['2026-10-03T15:30:00Z']);
    expect(local(zone, ['2026-10-03T15:30:00Z'])).toEqual(['02:30+11:00']);
    expect(due('15 2 * * *', zone, springDay, 'SKIP')).toEqual([]);
    expect(due('30 2 * * *', zone, springDay, 'SKIP')).toEqual(['2026-10-03T15:30:00Z']);
  });

  it('spring forward: 02:00 and 02:15 shifted to 02:30 merge with the 02:30 tick', () => {
    expect(due('0,15,30 2 * * *', zone, springDay, 'SHIFT')).toEqual(['2026-10-03T15:30:00Z']);
  });

  it('spring forward: interval crons skip the missing half hour', () => {
    expect(due('0 * * * *', zone, springDay)).toEqual([
      '2026-10-03T13:30:00Z', // 00:00+10:30
      '2026-10-03T14:30:00Z', // 01:00+10:30
      ...every(HOUR, '2026-10-03T16:00:00Z', springDay[1]), // 03:00+11:00 … 23:00+11:00
    ]);
    expect(due('*/15 * * * *', zone, springDay)).toEqual(every(15 * MINUTE, ...springDay));
    expect(due('*/15 * * * *', zone, springDay)).toHaveLength(94);
  });

  it('fall back 02:00 → 01:30: a repeated time runs per the overlap policy', () => {
    const [first, second] = ['2026-04-04T14:45:00Z', '2026-04-04T15:15:00Z']; // 01:45+11:00, 01:45+10:30
    expect(local(zone, [first, second])).toEqual(['01:45+11:00', '01:45+10:30']);
    expect(due('45 1 * * *', zone, fallDay, 'SHIFT', 'LATER')).toEqual([second]);
    expect(due('45 1 * * *', zone, fallDay, 'SHIFT', 'EARLIER')).toEqual([first]);
    expect(due('45 1 * * *', zone, fallDay, 'SHIFT', 'BOTH')).toEqual([first, second]);
    // 01:15 happens once (the clock goes back to 01:30 only).
    expect(due('15 1 * * *', zone, fallDay, 'SHIFT', 'LATER')).toEqual(['2026-04-04T14:15:00Z']);
  });

  it('fall back: interval crons fire through both passes of the repeated half hour', () => {
    expect(due('0 * * * *', zone, fallDay)).toEqual([
      '2026-04-04T13:00:00Z', // 00:00+11:00
      '2026-04-04T14:00:00Z', // 01:00+11:00
      ...every(HOUR, '2026-04-04T15:30:00Z', fallDay[1]), // 02:00+10:30 … 23:00+10:30
    ]);
    expect(due('*/15 * * * *', zone, fallDay)).toEqual(every(15 * MINUTE, ...fallDay));
    expect(due('*/15 * * * *', zone, fallDay)).toHaveLength(98);
  });
});

describe('America/Santiago: transitions at midnight', () => {
  const zone = 'America/Santiago';

  it('spring forward 2026-09-06 00:00 → 01:00: midnight runs at 01:00 (SHIFT) or not at all (SKIP)', () => {
    const days = ['2026-09-05T00:00:00Z', '2026-09-08T12:00:00Z'] as const;
    expect(due('0 0 * * *', zone, days, 'SHIFT')).toEqual([
      '2026-09-05T04:00:00Z', // 09-05 00:00-04:00
      '2026-09-06T04:00:00Z', // 09-06 01:00-03:00
      '2026-09-07T03:00:00Z', // 09-07 00:00-03:00
      '2026-09-08T03:00:00Z',
    ]);
    expect(local(zone, ['2026-09-06T04:00:00Z'])).toEqual(['01:00-03:00']);
    expect(due('0 0 * * *', zone, days, 'SKIP')).toEqual([
      '2026-09-05T04:00:00Z',
      '2026-09-07T03:00:00Z',
      '2026-09-08T03:00:00Z',
    ]);
    // The local day 09-06 starts at 01:00 and has 23 hours.
    expect(due('0 * * * *', zone, ['2026-09-06T04:00:00Z', '2026-09-07T03:00:00Z'])).toEqual(
      every(HOUR, '2026-09-06T04:00:00Z', '2026-09-07T03:00:00Z'),
    );
  });

  it('fall back 2026-04-05 00:00 → 04-04 23:00: the repeated 23:30 on 04-04 follows the overlap policy', () => {
    const evening = ['2026-04-05T00:00:00Z', '2026-04-05T06:00:00Z'] as const;
    const [first, second] = ['2026-04-05T02:30:00Z', '2026-04-05T03:30:00Z']; // 23:30-03:00, 23:30-04:00
    expect(due('30 23 * * *', zone, evening, 'SHIFT', 'LATER')).toEqual([second]);
    expect(due('30 23 * * *', zone, evening, 'SHIFT', 'EARLIER')).toEqual([first]);
    expect(due('30 23 * * *', zone, evening, 'SHIFT', 'BOTH')).toEqual([first, second]);
  });

  it('fall back: a daily midnight cron runs once per day, and the 25-hour day has 25 hourly ticks', () => {
    expect(due('0 0 * * *', zone, ['2026-04-03T00:00:00Z', '2026-04-07T00:00:00Z'])).toEqual([
      '2026-04-03T03:00:00Z',
      '2026-04-04T03:00:00Z',
      '2026-04-05T04:00:00Z',
      '2026-04-06T04:00:00Z',
    ]);
    expect(due('0 * * * *', zone, ['2026-04-04T03:00:00Z', '2026-04-05T04:00:00Z'])).toHaveLength(25);
  });
});

describe('a seconds field across transitions', () => {
  it('fires every real 10 seconds through the repeated and the missing hour', () => {
    const fall = due('*/10 * * * * *', 'America/New_York', ['2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z']);
    expect(fall).toHaveLength(25 * 360);
    expect(fall.slice(0, 3)).toEqual([
      '2026-11-01T04:00:00Z',
      '2026-11-01T04:00:10Z',
      '2026-11-01T04:00:20Z',
    ]);
    expect(fall).toEqual(every(10 * SECOND, '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z'));
    const spring = due('*/10 * * * * *', 'America/New_York', [
      '2026-03-08T05:00:00Z',
      '2026-03-09T04:00:00Z',
    ]);
    expect(spring).toHaveLength(23 * 360);
  });

  it('shifts a fixed time with seconds like one without', () => {
    expect(due('0 30 2 * * *', 'America/New_York', ['2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z'])).toEqual(
      ['2026-03-08T07:00:00Z'],
    );
    expect(
      due('15 30 1 * * *', 'America/New_York', ['2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z']),
    ).toEqual(['2026-11-01T06:30:15Z']);
  });
});
