import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import {
  count,
  indexOf,
  keyAt,
  keysBetween,
  latestWindowBefore,
  type TimeWindowDefinition,
  windowOf,
} from './time-windows.js';

const HOUR = 3_600_000;
const utc = (iso: string) => Date.parse(iso);

function time(
  cadence: TimeWindowDefinition['cadence'],
  rest: Partial<TimeWindowDefinition> = {},
): TimeWindowDefinition {
  return { kind: 'time', cadence, start: '2026-01-01', ...rest };
}

/** Start (ISO UTC) and length in hours of the window a key names. */
function window(def: TimeWindowDefinition, key: string): [string, number] {
  const { start, end } = windowOf(def, key);
  return [new Date(start).toISOString(), (end - start) / HOUR];
}

function invalid(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(isServoError(error, ErrorCode.InvalidInput)).toBe(true);
    expect((error as Error).message).toMatch(message);
    return;
  }
  expect.fail('expected an INVALID_INPUT error');
}

describe('time windows in UTC', () => {
  it('numbers daily, hourly, weekly and monthly windows from the first boundary at or after start', () => {
    expect([0, 1, 364].map((i) => keyAt(time('daily'), i))).toEqual([
      '2026-01-01',
      '2026-01-02',
      '2026-12-31',
    ]);
    expect([0, 1, 24].map((i) => keyAt(time('hourly'), i))).toEqual([
      '2026-01-01-00:00',
      '2026-01-01-01:00',
      '2026-01-02-00:00',
    ]);
    // 2026-01-01 is a Thursday: the first Sunday window starts on the 4th.
    expect([0, 1].map((i) => keyAt(time('weekly'), i))).toEqual(['2026-01-04', '2026-01-11']);
    expect([0, 1, 11].map((i) => keyAt(time('monthly'), i))).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-12-01',
    ]);
  });

  it('places boundaries at the minute, hour and day offsets', () => {
    const daily = time('daily', { hourOffset: 6, minuteOffset: 30 });
    expect(window(daily, '2026-01-01')).toEqual(['2026-01-01T06:30:00.000Z', 24]);
    expect(window(time('hourly', { minuteOffset: 15 }), '2026-01-01-00:15')).toEqual([
      '2026-01-01T00:15:00.000Z',
      1,
    ]);
    expect(keyAt(time('weekly', { dayOffset: 1 }), 0)).toBe('2026-01-05');
    expect(window(time('monthly', { dayOffset: 15, hourOffset: 3 }), '2026-01-15')).toEqual([
      '2026-01-15T03:00:00.000Z',
      31 * 24,
    ]);
  });

  it('starts after a start time that is past the day boundary', () => {
    const def = time('daily', { start: '2026-01-01T07:00', hourOffset: 6 });
    expect(keyAt(def, 0)).toBe('2026-01-02');
    invalid(() => indexOf(def, '2026-01-01'), /before the first partition '2026-01-02'/);
  });

  it('counts only windows complete at now', () => {
    const def = time('daily');
    expect(count(def, utc('2025-12-31T12:00:00Z'))).toBe(0);
    expect(count(def, utc('2026-01-01T23:59:59.999Z'))).toBe(0);
    expect(count(def, utc('2026-01-02T00:00:00Z'))).toBe(1);
    expect(count(def, utc('2026-01-03T12:00:00Z'))).toBe(2);
    expect(count(time('hourly', { start: '1970-01-01' }), utc('2026-01-01T00:30:00Z'))).toBe(490_896);
  });

  it('stops at the exclusive end', () => {
    const def = time('daily', { end: '2026-01-10' });
    expect(count(def, utc('2030-01-01T00:00:00Z'))).toBe(9);
    expect(keyAt(def, 8)).toBe('2026-01-09');
    invalid(() => keyAt(def, 9), /out of range \(0\.\.8\)/);
    invalid(() => indexOf(def, '2026-01-10'), /at or after the end '2026-01-10'/);
    expect(count(time('hourly', { end: '2026-01-01T05:00' }), utc('2030-01-01T00:00:00Z'))).toBe(5);
  });

  it('finds the latest window ending at or before an instant', () => {
    const def = time('daily');
    expect(latestWindowBefore(def, utc('2026-01-01T12:00:00Z'))).toBeUndefined();
    expect(latestWindowBefore(def, utc('2026-01-05T00:00:00Z'))).toEqual({
      index: 3,
      key: '2026-01-04',
      start: utc('2026-01-04T00:00:00Z'),
      end: utc('2026-01-05T00:00:00Z'),
    });
  });

  it('iterates keys between two keys lazily, even over half a million hourly keys', () => {
    expect([...keysBetween(time('daily'), '2026-01-30', '2026-02-02')]).toEqual([
      '2026-01-30',
      '2026-01-31',
      '2026-02-01',
      '2026-02-02',
    ]);
    const keys = keysBetween(time('hourly', { start: '1970-01-01' }), '1970-01-01-00:00', '2026-01-01-00:00');
    expect(keys.next().value).toBe('1970-01-01-00:00');
    expect(keys.next().value).toBe('1970-01-01-01:00');
    invalid(
      () => keysBetween(time('daily'), '2026-01-03', '2026-01-02'),
      /start '2026-01-03' is after its end/,
    );
  });

  it('rejects malformed keys, keys between windows and keys before start', () => {
    invalid(
      () => indexOf(time('daily'), '2026-1-5'),
      /'2026-1-5' is not a partition of daily.*format '%Y-%m-%d'/,
    );
    invalid(() => indexOf(time('daily'), '2026-02-30'), /does not read as a daily window start/);
    invalid(() => indexOf(time('daily'), '2025-12-31'), /before the first partition '2026-01-01'/);
    invalid(() => indexOf(time('weekly'), '2026-01-06'), /weekly windows start on Sunday at 00:00/);
    invalid(
      () => indexOf(time('hourly', { minuteOffset: 30 }), '2026-01-01-01:00'),
      /no window starts there/,
    );
  });

  it('rejects definitions that cannot work, saying why', () => {
    invalid(() => keyAt(time('daily', { timezone: 'Mars/Olympus' }), 0), /unknown time zone 'Mars\/Olympus'/);
    invalid(() => keyAt(time('daily', { start: '2026-02-30' }), 0), /start '2026-02-30' is not a local date/);
    invalid(() => keyAt(time('daily', { end: '2025-06-01' }), 0), /end '2025-06-01' must be after start/);
    invalid(() => keyAt(time('hourly', { hourOffset: 2 }), 0), /hourly partitions take only minuteOffset/);
    invalid(
      () => keyAt(time('daily', { dayOffset: 2 }), 0),
      /daily partitions take hourOffset and minuteOffset/,
    );
    invalid(() => keyAt(time('weekly', { dayOffset: 7 }), 0), /weekday 0–6/);
    invalid(() => keyAt(time('monthly', { dayOffset: 0 }), 0), /day of the month 1–28/);
    invalid(() => keyAt(time('daily', { format: '%Y-%m' }), 0), /cannot tell daily partitions apart/);
    invalid(() => keyAt(time('hourly', { format: '%Y-%m-%d' }), 0), /and %H/);
    invalid(() => keyAt(time('daily', { format: '%Y-%m-%d %q' }), 0), /unsupported directive '%q'/);
  });
});

describe('daily windows across 2026 DST transitions', () => {
  const cases: [string, [string, string, number][]][] = [
    [
      'America/New_York',
      [
        ['2026-03-07', '2026-03-07T05:00:00.000Z', 24],
        ['2026-03-08', '2026-03-08T05:00:00.000Z', 23],
        ['2026-03-09', '2026-03-09T04:00:00.000Z', 24],
        ['2026-11-01', '2026-11-01T04:00:00.000Z', 25],
        ['2026-11-02', '2026-11-02T05:00:00.000Z', 24],
      ],
    ],
    [
      'Europe/London',
      [
        ['2026-03-29', '2026-03-29T00:00:00.000Z', 23],
        ['2026-03-30', '2026-03-29T23:00:00.000Z', 24],
        ['2026-10-25', '2026-10-24T23:00:00.000Z', 25],
      ],
    ],
    [
      'Australia/Sydney',
      [
        ['2026-04-05', '2026-04-04T13:00:00.000Z', 25],
        ['2026-10-04', '2026-10-03T14:00:00.000Z', 23],
      ],
    ],
    [
      'Australia/Lord_Howe',
      [
        ['2026-04-05', '2026-04-04T13:00:00.000Z', 24.5],
        ['2026-04-06', '2026-04-05T13:30:00.000Z', 24],
        ['2026-10-04', '2026-10-03T13:30:00.000Z', 23.5],
        ['2026-10-05', '2026-10-04T13:00:00.000Z', 24],
      ],
    ],
    [
      // Chile moves its clocks at midnight: on 2026-09-06 the local day starts at 01:00.
      'America/Santiago',
      [
        ['2026-04-04', '2026-04-04T03:00:00.000Z', 25],
        ['2026-04-05', '2026-04-05T04:00:00.000Z', 24],
        ['2026-09-06', '2026-09-06T04:00:00.000Z', 23],
        ['2026-09-07', '2026-09-07T03:00:00.000Z', 24],
      ],
    ],
  ];

  for (const [timezone, windows] of cases) {
    it(`gives ${timezone} days their real length and keeps keys and indexes consistent`, () => {
      const def = time('daily', { timezone });
      for (const [key, start, hours] of windows) {
        expect(window(def, key)).toEqual([start, hours]);
        expect(keyAt(def, indexOf(def, key))).toBe(key);
      }
      expect(count(def, windowOf(def, '2026-12-31').end)).toBe(365);
      expect(count(def, Date.parse(windows[0]![1]) + 1)).toBe(indexOf(def, windows[0]![0]));
    });
  }

  it('starts the Santiago spring-forward day at 01:00 local, the first instant that exists', () => {
    const def = time('daily', { timezone: 'America/Santiago', format: '%Y-%m-%d %H:%M' });
    expect(keyAt(def, indexOf(def, '2026-09-06 01:00'))).toBe('2026-09-06 01:00');
    invalid(() => indexOf(def, '2026-09-06 00:00'), /no window starts there/);
  });

  it('moves a boundary in the spring gap to the gap end and a repeated one to its second occurrence', () => {
    const twoAm = time('daily', { timezone: 'America/New_York', hourOffset: 2, format: '%Y-%m-%dT%H:%M' });
    expect(window(twoAm, '2026-03-07T02:00')).toEqual(['2026-03-07T07:00:00.000Z', 24]);
    expect(window(twoAm, '2026-03-08T03:00')).toEqual(['2026-03-08T07:00:00.000Z', 23]);
    const oneAm = time('daily', { timezone: 'America/New_York', hourOffset: 1 });
    expect(window(oneAm, '2026-10-31')).toEqual(['2026-10-31T05:00:00.000Z', 25]);
    expect(window(oneAm, '2026-11-01')).toEqual(['2026-11-01T06:00:00.000Z', 24]);
  });

  it('counts a day as complete only once its full local length has passed', () => {
    const def = time('daily', { timezone: 'America/New_York' });
    const march8 = indexOf(def, '2026-03-08');
    expect(count(def, utc('2026-03-09T03:59:59.999Z'))).toBe(march8);
    expect(count(def, utc('2026-03-09T04:00:00Z'))).toBe(march8 + 1);
  });
});

describe('weekly and monthly windows across DST', () => {
  it('makes the New York week and month holding a transition an hour shorter or longer', () => {
    const weekly = time('weekly', { timezone: 'America/New_York' });
    expect(window(weekly, '2026-03-08')).toEqual(['2026-03-08T05:00:00.000Z', 167]);
    expect(window(weekly, '2026-11-01')).toEqual(['2026-11-01T04:00:00.000Z', 169]);
    const monthly = time('monthly', { timezone: 'America/New_York' });
    expect(window(monthly, '2026-03-01')).toEqual(['2026-03-01T05:00:00.000Z', 31 * 24 - 1]);
    expect(window(monthly, '2026-11-01')).toEqual(['2026-11-01T04:00:00.000Z', 30 * 24 + 1]);
  });

  it('follows Sydney’s southern-hemisphere transitions', () => {
    const monthly = time('monthly', { timezone: 'Australia/Sydney' });
    expect(window(monthly, '2026-04-01')).toEqual(['2026-03-31T13:00:00.000Z', 30 * 24 + 1]);
    expect(window(monthly, '2026-10-01')).toEqual(['2026-09-30T14:00:00.000Z', 31 * 24 - 1]);
  });
});

describe('hourly windows across DST', () => {
  const ny = time('hourly', { timezone: 'America/New_York' });

  it('skips the nonexistent local hour in spring', () => {
    const first = indexOf(ny, '2026-03-08-01:00');
    expect([first, first + 1].map((i) => keyAt(ny, i))).toEqual(['2026-03-08-01:00', '2026-03-08-03:00']);
    expect(window(ny, '2026-03-08-01:00')).toEqual(['2026-03-08T06:00:00.000Z', 1]);
    invalid(() => indexOf(ny, '2026-03-08-02:00'), /does not read as an? hourly window start/);
  });

  it('keeps both repeated hours in autumn, the second keyed with its UTC offset as Dagster does', () => {
    const first = indexOf(ny, '2026-11-01-00:00');
    const keys = [0, 1, 2, 3].map((d) => keyAt(ny, first + d));
    expect(keys).toEqual([
      '2026-11-01-00:00',
      '2026-11-01-01:00',
      '2026-11-01-01:00-0500',
      '2026-11-01-02:00',
    ]);
    expect(keys.map((key) => window(ny, key))).toEqual([
      ['2026-11-01T04:00:00.000Z', 1],
      ['2026-11-01T05:00:00.000Z', 1],
      ['2026-11-01T06:00:00.000Z', 1],
      ['2026-11-01T07:00:00.000Z', 1],
    ]);
    // One spelling per key: the first occurrence is the bare key, never the key with its offset.
    invalid(() => indexOf(ny, '2026-11-01-01:00-0400'), /no window starts there/);
    expect(count(ny, utc('2027-01-01T05:00:00Z'))).toBe(365 * 24);
  });

  it('suffixes the repeated hour in London and Sydney too', () => {
    const london = time('hourly', { timezone: 'Europe/London' });
    const at = indexOf(london, '2026-10-25-01:00');
    expect(keyAt(london, at + 1)).toBe('2026-10-25-01:00+0000');
    const sydney = time('hourly', { timezone: 'Australia/Sydney' });
    const s = indexOf(sydney, '2026-04-05-02:00');
    expect(keyAt(sydney, s + 1)).toBe('2026-04-05-02:00+1000');
    expect(keyAt(sydney, s + 2)).toBe('2026-04-05-03:00');
  });

  it('keeps Lord_Howe keys on the hour across its 30-minute shifts', () => {
    const lordHowe = time('hourly', { timezone: 'Australia/Lord_Howe' });
    expect(window(lordHowe, '2026-04-05-01:00')).toEqual(['2026-04-04T14:00:00.000Z', 1.5]);
    expect(window(lordHowe, '2026-04-05-02:00')).toEqual(['2026-04-04T15:30:00.000Z', 1]);
    expect(window(lordHowe, '2026-10-04-01:00')).toEqual(['2026-10-03T14:30:00.000Z', 1.5]);
    expect(keyAt(lordHowe, indexOf(lordHowe, '2026-10-04-01:00') + 1)).toBe('2026-10-04-03:00');
    const halfPast = time('hourly', { timezone: 'Australia/Lord_Howe', minuteOffset: 30 });
    const at = indexOf(halfPast, '2026-04-05-01:30');
    expect(keyAt(halfPast, at + 1)).toBe('2026-04-05-01:30+1030');
    expect(window(halfPast, '2026-04-05-01:30')).toEqual(['2026-04-04T14:30:00.000Z', 0.5]);
  });

  it('never repeats a key and always lies in real time order over a DST year', () => {
    const now = utc('2027-01-01T00:00:00Z');
    for (const timezone of ['America/New_York', 'Australia/Lord_Howe', 'America/Santiago']) {
      const def = time('hourly', { timezone });
      const seen = new Set<string>();
      let previous = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < count(def, now); i++) {
        const key = keyAt(def, i);
        const { start } = windowOf(def, key);
        expect(seen.has(key)).toBe(false);
        expect(start).toBeGreaterThan(previous);
        seen.add(key);
        previous = start;
      }
    }
  });
});

describe('custom key formats', () => {
  const formats: [TimeWindowDefinition['cadence'], string, string][] = [
    ['daily', '%Y%m%d', 'UTC'],
    ['daily', '%a %d %b %Y', 'Europe/London'],
    ['daily', '%Y/%j', 'America/Santiago'],
    ['hourly', '%Y/%m/%d %Hh', 'America/New_York'],
    ['hourly', '%Y-%m-%dT%H:%M%z', 'Australia/Lord_Howe'],
    ['weekly', 'week of %d %B %Y', 'Australia/Sydney'],
    ['monthly', '%B %Y', 'America/New_York'],
  ];

  for (const [cadence, format, timezone] of formats) {
    it(`round-trips every ${cadence} key formatted '${format}' in ${timezone} over three years`, () => {
      const def = time(cadence, { start: '2025-01-01', end: '2028-01-01', format, timezone });
      const total = count(def, utc('2030-01-01T00:00:00Z'));
      expect(total).toBeGreaterThan(0);
      for (let i = 0; i < total; i++) expect(indexOf(def, keyAt(def, i))).toBe(i);
    });
  }

  it('formats names, days of the year and offsets like strftime', () => {
    expect(keyAt(time('daily', { format: '%A %B %d %Y (%j) %%' }), 40)).toBe(
      'Tuesday February 10 2026 (041) %',
    );
    const def = time('hourly', { format: '%Y-%m-%dT%H:%M%z', timezone: 'Asia/Kolkata' });
    expect(keyAt(def, 0)).toBe('2026-01-01T00:00+0530');
  });
});
