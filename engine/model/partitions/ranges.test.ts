import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import { createPartitionSpace } from './partitions.js';
import { indexRanges, rangesWhere, toRanges } from './ranges.js';

const now = Date.parse('2026-03-20T00:00:00Z');
const daily = createPartitionSpace(
  { kind: 'time', cadence: 'daily', start: '2026-03-01', timezone: 'America/New_York' },
  { now },
);

describe('contiguous key ranges', () => {
  it('groups keys given in any order, with repeats, into runs with window times', () => {
    if (daily.kind !== 'time') throw new Error('expected a time space');
    const ranges = toRanges(daily, ['2026-03-09', '2026-03-07', '2026-03-08', '2026-03-02', '2026-03-08']);
    expect(ranges).toEqual([
      {
        startKey: '2026-03-02',
        endKey: '2026-03-02',
        startIndex: 1,
        endIndex: 1,
        startTime: Date.parse('2026-03-02T05:00:00Z'),
        endTime: Date.parse('2026-03-03T05:00:00Z'),
      },
      {
        startKey: '2026-03-07',
        endKey: '2026-03-09',
        startIndex: 6,
        endIndex: 8,
        startTime: Date.parse('2026-03-07T05:00:00Z'),
        endTime: Date.parse('2026-03-10T04:00:00Z'),
      },
    ]);
  });

  it('finds runs of partitions matching a predicate', () => {
    const statuses = createPartitionSpace({ kind: 'static', keys: ['a', 'b', 'c', 'd', 'e'] }, { now });
    const materialized = new Set(['a', 'b', 'd', 'e']);
    expect(rangesWhere(statuses, (key) => materialized.has(key))).toEqual([
      { startKey: 'a', endKey: 'b', startIndex: 0, endIndex: 1 },
      { startKey: 'd', endKey: 'e', startIndex: 3, endIndex: 4 },
    ]);
    expect(rangesWhere(statuses, () => true, 2, 4)).toEqual([
      { startKey: 'c', endKey: 'd', startIndex: 2, endIndex: 3 },
    ]);
    expect(rangesWhere(statuses, () => false)).toEqual([]);
  });

  it('orders multi-partition ranges by space index', () => {
    const multi = createPartitionSpace(
      {
        kind: 'multi',
        dimensions: [
          { name: 'date', partitions: { kind: 'time', cadence: 'daily', start: '2026-03-01' } },
          { name: 'region', partitions: { kind: 'static', keys: ['us', 'eu'] } },
        ],
      },
      { now },
    );
    expect(indexRanges(multi, [3, 2, 5])).toEqual([
      { startKey: '2026-03-02|us', endKey: '2026-03-02|eu', startIndex: 2, endIndex: 3 },
      { startKey: '2026-03-03|eu', endKey: '2026-03-03|eu', startIndex: 5, endIndex: 5 },
    ]);
  });

  it('refuses keys that are not partitions', () => {
    expect(() => toRanges(daily, ['2026-03-25'])).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidInput,
        message: expect.stringMatching(/'2026-03-25'/),
      }),
    );
    try {
      toRanges(daily, ['nope']);
    } catch (error) {
      expect(isServoError(error, ErrorCode.InvalidInput)).toBe(true);
    }
  });
});
