import { describe, expect, it } from 'vitest';
import { wallFromCivil } from './civil-time.js';
import { zoneRules } from './time-zone.js';

const HOUR = 3_600_000;
const wall = (year: number, month: number, day: number, hour: number, minute = 0) =>
  wallFromCivil({ year, month, day, hour, minute, second: 0 });
const iso = (instant: number) => new Date(instant).toISOString();

describe('zone rules from the runtime tz database', () => {
  it('finds the two 2026 transitions of New York to the second', () => {
    expect(zoneRules('America/New_York').year(2026).transitions).toEqual([
      { at: Date.parse('2026-03-08T07:00:00Z'), before: -5 * HOUR, after: -4 * HOUR },
      { at: Date.parse('2026-11-01T06:00:00Z'), before: -4 * HOUR, after: -5 * HOUR },
    ]);
  });

  it('finds the 30-minute shifts of Lord Howe and the midnight shifts of Santiago', () => {
    const lordHowe = zoneRules('Australia/Lord_Howe').year(2026).transitions;
    expect(lordHowe.map((t) => [iso(t.at), (t.after - t.before) / HOUR])).toEqual([
      ['2026-04-04T15:00:00.000Z', -0.5],
      ['2026-10-03T15:30:00.000Z', 0.5],
    ]);
    const santiago = zoneRules('America/Santiago').year(2026).transitions;
    expect(santiago.map((t) => iso(t.at))).toEqual(['2026-04-05T03:00:00.000Z', '2026-09-06T04:00:00.000Z']);
  });

  it('has no transitions and no table work in UTC', () => {
    const zone = zoneRules('UTC');
    expect(zone.year(2026)).toEqual({ initialOffset: 0, transitions: [] });
    expect(zone.instantsAt(wall(2026, 3, 8, 2))).toEqual([Date.parse('2026-03-08T02:00:00Z')]);
  });

  it('maps a wall time to none, one or two instants', () => {
    const zone = zoneRules('America/New_York');
    expect(zone.instantsAt(wall(2026, 3, 8, 2, 30))).toEqual([]);
    expect(zone.instantsAt(wall(2026, 3, 8, 3)).map(iso)).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(zone.instantsAt(wall(2026, 11, 1, 1, 30)).map(iso)).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ]);
  });

  it('resolves a skipped wall time to the end of the gap and a repeated one to the chosen occurrence', () => {
    const zone = zoneRules('America/New_York');
    expect(iso(zone.resolve(wall(2026, 3, 8, 2, 30), 'later'))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(zone.resolve(wall(2026, 11, 1, 1, 30), 'earlier'))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(zone.resolve(wall(2026, 11, 1, 1, 30), 'later'))).toBe('2026-11-01T06:30:00.000Z');
    expect(iso(zoneRules('America/Santiago').resolve(wall(2026, 9, 6, 0), 'later'))).toBe(
      '2026-09-06T04:00:00.000Z',
    );
    expect(iso(zoneRules('Australia/Lord_Howe').resolve(wall(2026, 10, 4, 2, 15), 'later'))).toBe(
      '2026-10-03T15:30:00.000Z',
    );
  });

  it('knows which instants repeat an earlier wall time', () => {
    const zone = zoneRules('America/New_York');
    expect(zone.isRepeatedWall(Date.parse('2026-11-01T05:30:00Z'))).toBe(false);
    expect(zone.isRepeatedWall(Date.parse('2026-11-01T06:30:00Z'))).toBe(true);
    expect(zone.isRepeatedWall(Date.parse('2026-11-01T07:00:00Z'))).toBe(false);
  });

  it('agrees with Intl on the offset at every hour of 2026 in several zones', () => {
    for (const name of ['Europe/London', 'Australia/Sydney', 'Asia/Kolkata', 'America/Santiago']) {
      const zone = zoneRules(name);
      const intl = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
      for (let t = Date.parse('2026-01-01T00:00:00Z'); t < Date.parse('2027-01-01T00:00:00Z'); t += HOUR) {
        const text = intl.formatToParts(t).find((p) => p.type === 'timeZoneName')!.value;
        const [, sign, h, m] = /GMT(?:([+-])(\d{2}):(\d{2}))?/.exec(text)!;
        const offset =
          sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(h) * HOUR + Number(m) * 60_000);
        expect(zone.offsetAt(t)).toBe(offset);
      }
    }
  });
});
