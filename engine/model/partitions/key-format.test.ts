import { describe, expect, it } from 'vitest';
import { compileKeyFormat, formatKey, formatOffset, parseKey } from './key-format.js';

const HOUR = 3_600_000;
const local = { year: 2026, month: 3, day: 8, hour: 7, minute: 5, second: 9 };

describe('key formats', () => {
  it('formats every supported directive like strftime', () => {
    const format = compileKeyFormat('%Y-%m-%d %H:%M:%S %j %b %B %a %A %z %%', 'hourly');
    expect(formatKey(format, local, -4 * HOUR, false)).toBe(
      '2026-03-08 07:05:09 067 Mar March Sun Sunday -0400 %',
    );
  });

  it('appends the offset only when asked and only when the format has none', () => {
    const plain = compileKeyFormat('%Y-%m-%d-%H:%M', 'hourly');
    expect(formatKey(plain, local, -5 * HOUR, true)).toBe('2026-03-08-07:05-0500');
    const withOffset = compileKeyFormat('%Y-%m-%dT%H:%M%z', 'hourly');
    expect(formatKey(withOffset, local, -5 * HOUR, true)).toBe('2026-03-08T07:05-0500');
  });

  it('prints offsets as Python does, with seconds only when there are some', () => {
    expect(formatOffset(0)).toBe('+0000');
    expect(formatOffset(5.5 * HOUR)).toBe('+0530');
    expect(formatOffset(-(4 * HOUR + 56 * 60_000 + 2_000))).toBe('-045602');
  });

  it('parses strictly, with or without the offset suffix', () => {
    const format = compileKeyFormat('%Y-%m-%d-%H:%M', 'hourly');
    expect(parseKey(format, '2026-11-01-01:00')).toEqual({
      year: 2026,
      month: 11,
      day: 1,
      hour: 1,
      minute: 0,
    });
    expect(parseKey(format, '2026-11-01-01:00-0500')).toMatchObject({ hour: 1, offset: -5 * HOUR });
    expect(parseKey(format, '2026-11-1-01:00')).toBeUndefined();
    expect(parseKey(format, '2026-11-01-01:00 ')).toBeUndefined();
    const names = compileKeyFormat('%d %b %Y', 'daily');
    expect(parseKey(names, '08 Mar 2026')).toEqual({ year: 2026, month: 3, day: 8 });
    expect(parseKey(names, '08 mar 2026')).toBeUndefined();
  });

  it('refuses a format that repeats a field with two values', () => {
    const format = compileKeyFormat('%Y-%m-%d (%m)', 'daily');
    expect(parseKey(format, '2026-03-08 (03)')).toEqual({ year: 2026, month: 3, day: 8 });
    expect(parseKey(format, '2026-03-08 (04)')).toBeUndefined();
  });
});
