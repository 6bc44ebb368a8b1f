import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import { timeZoneOffsets, validateTimeZone } from './time-zone.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** Every offset change of a zone in [from, to), read from the piece cache. */
function transitions(zone: string, from: string, to: string): [string, number, number][] {
  const offsets = timeZoneOffsets(zone);
  const found: [string, number, number][] = [];
  for (let piece = offsets.pieceAt(at(from)); piece.start < at(to); ) {
    const next = offsets.pieceAfter(piece);
    if (next === undefined) break;
    if (next.offset !== piece.offset && next.start < at(to)) {
      found.push([new Date(next.start).toISOString(), piece.offset / HOUR, next.offset / HOUR]);
    }
    piece = next;
  }
  return found;
}

describe('time zones', () => {
  it('accepts every zone Intl lists, and aliases Intl.DateTimeFormat accepts', () => {
    for (const zone of Intl.supportedValuesOf('timeZone')) expect(() => validateTimeZone(zone)).not.toThrow();
    for (const alias of ['UTC', 'Etc/UTC', 'GMT', 'US/Eastern', 'Asia/Calcutta', 'Etc/GMT+5']) {
      expect(() => validateTimeZone(alias)).not.toThrow();
    }
  });

  it.each([
    ['Mars/Olympus', "time zone 'Mars/Olympus' is not a known IANA time zone"],
    ['', 'time zone is empty'],
    ['+05:00', "time zone '+05:00' is not an IANA time zone name"],
    ['America/New York', "time zone 'America/New York' is not a known IANA time zone"],
  ])('rejects %j with INVALID_INPUT', (zone, message) => {
    let caught: unknown;
    try {
      validateTimeZone(zone);
    } catch (error) {
      caught = error;
    }
    expect(isServoError(caught, ErrorCode.InvalidInput)).toBe(true);
    expect((caught as Error).message).toContain(message);
  });

  it('finds the 2026 transitions to the second', () => {
    expect(transitions('America/New_York', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      ['2026-03-08T07:00:00.000Z', -5, -4],
      ['2026-11-01T06:00:00.000Z', -4, -5],
    ]);
    expect(transitions('Europe/London', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      ['2026-03-29T01:00:00.000Z', 0, 1],
      ['2026-10-25T01:00:00.000Z', 1, 0],
    ]);
    expect(transitions('Australia/Sydney', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      ['2026-04-04T16:00:00.000Z', 11, 10],
      ['2026-10-03T16:00:00.000Z', 10, 11],
    ]);
    expect(transitions('Australia/Lord_Howe', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      ['2026-04-04T15:00:00.000Z', 11, 10.5],
      ['2026-10-03T15:30:00.000Z', 10.5, 11],
    ]);
    expect(transitions('America/Santiago', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      ['2026-04-05T03:00:00.000Z', -3, -4],
      ['2026-09-06T04:00:00.000Z', -4, -3],
    ]);
  });

  it('agrees with Intl at every hour of a year, in zones with odd offsets and histories', () => {
    for (const zone of [
      'Asia/Kathmandu',
      'Pacific/Chatham',
      'Africa/Casablanca',
      'America/St_Johns',
      'Pacific/Apia',
    ]) {
      const offsets = timeZoneOffsets(zone);
      for (let t = at('2011-06-01T00:00:00Z'); t < at('2012-06-01T00:00:00Z'); t += HOUR) {
        expect(offsets.pieceAt(t).offset, `${zone} ${new Date(t).toISOString()}`).toBe(offsets.offsetAt(t));
      }
    }
  });

  it('keeps local mean time offsets to the second', () => {
    expect(timeZoneOffsets('America/New_York').pieceAt(at('1880-01-01T00:00:00Z')).offset).toBe(
      -(4 * 3600 + 56 * 60 + 2) * 1000,
    );
  });

  it('treats fixed zones as one piece for all time', () => {
    const utc = timeZoneOffsets('Etc/UTC');
    expect(utc.pieceAt(0)).toBe(utc.pieceAt(at('2026-06-01T00:00:00Z')));
    expect(utc.pieceAfter(utc.pieceAt(0))).toBeUndefined();
    expect(timeZoneOffsets('Etc/GMT+5').pieceAt(0).offset).toBe(-5 * HOUR);
  });
});
