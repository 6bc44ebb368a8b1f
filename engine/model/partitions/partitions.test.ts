import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import {
  createPartitionSpace,
  type PartitionsDefinitionInput as PartitionsDefinition,
  type SingleDimensionPartitionsInput,
} from './partitions.js';
import { resolveSelector } from './selectors.js';
import { keyAt as windowKeyAt } from './time-windows.js';

const now = Date.parse('2026-01-11T12:00:00Z');
const daily: SingleDimensionPartitionsInput = {
  kind: 'time',
  cadence: 'daily',
  start: '2026-01-01',
  timezone: 'UTC',
};
const colors: SingleDimensionPartitionsInput = { kind: 'static', keys: ['red', 'green', 'blue'] };

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

describe('single-dimension partition spaces', () => {
  it('holds the time windows complete at now, indexable both ways', () => {
    const space = createPartitionSpace(daily, { now });
    expect(space.count()).toBe(10);
    expect(space.keyAt(9)).toBe('2026-01-10');
    expect(space.indexOf('2026-01-03')).toBe(2);
    expect(space.has('2026-01-10')).toBe(true);
    expect(space.has('2026-01-11')).toBe(false);
    expect([...space.keys(7)]).toEqual(['2026-01-08', '2026-01-09', '2026-01-10']);
    expect([...space.keys(1, 3)]).toEqual(['2026-01-02', '2026-01-03']);
  });

  it('names the definition and the key when a key is not a member', () => {
    const space = createPartitionSpace(daily, { now, label: 'raw/orders' });
    invalid(
      () => space.indexOf('2026-01-11'),
      /'2026-01-11' is not a partition of raw\/orders .* yet: .*after now/,
    );
    invalid(
      () => space.indexOf('yesterday'),
      /^raw\/orders: 'yesterday' is not a partition of daily partitions/,
    );
    invalid(() => space.keyAt(10), /index 10 is out of range 0\.\.9 of raw\/orders/);
    invalid(
      () => createPartitionSpace(colors, { now }).indexOf('pink'),
      /'pink' is not a partition of static partitions/,
    );
  });

  it('keeps static keys in definition order and refuses duplicates', () => {
    const space = createPartitionSpace(colors, { now });
    expect([...space.keys()]).toEqual(['red', 'green', 'blue']);
    expect(space.indexOf('blue')).toBe(2);
    invalid(
      () => createPartitionSpace({ kind: 'static', keys: ['a', 'b', 'a'] }, { now }),
      /the key 'a' twice/,
    );
  });

  it('reads dynamic keys from the projection in the order given', () => {
    const dynamicKeys = (name: string) => (name === 'customers' ? ['acme', 'globex'] : []);
    const space = createPartitionSpace({ kind: 'dynamic', name: 'customers' }, { now, dynamicKeys });
    expect(space.kind).toBe('dynamic');
    expect([...space.keys()]).toEqual(['acme', 'globex']);
    expect(createPartitionSpace({ kind: 'dynamic', name: 'other' }, { now, dynamicKeys }).count()).toBe(0);
    invalid(
      () => createPartitionSpace({ kind: 'dynamic', name: 'customers' }, { now }),
      /need their keys .*dynamicKeys/,
    );
  });
});

describe('multi-partition spaces', () => {
  const multi: PartitionsDefinition = {
    kind: 'multi',
    dimensions: [
      { name: 'region', partitions: { kind: 'static', keys: ['us', 'eu'] } },
      { name: 'date', partitions: daily },
    ],
  };

  it('sorts dimensions by name and joins keys with | in that order', () => {
    const space = createPartitionSpace(multi, { now });
    if (space.kind !== 'multi') throw new Error('expected a multi space');
    expect(space.dimensions.map((d) => d.name)).toEqual(['date', 'region']);
    expect(space.count()).toBe(20);
    expect([...space.keys(0, 5)]).toEqual([
      '2026-01-01|us',
      '2026-01-01|eu',
      '2026-01-02|us',
      '2026-01-02|eu',
      '2026-01-03|us',
    ]);
    expect(space.indexOf('2026-01-02|eu')).toBe(3);
    expect(space.dimensionsOf('2026-01-02|eu')).toEqual({ date: '2026-01-02', region: 'eu' });
    expect(space.keyOf({ region: 'us', date: '2026-01-10' })).toBe('2026-01-10|us');
  });

  it('says which dimension of a key is wrong', () => {
    const space = createPartitionSpace(multi, { now });
    if (space.kind !== 'multi') throw new Error('expected a multi space');
    invalid(() => space.indexOf('2026-01-02'), /expected '<date>\|<region>'/);
    invalid(
      () => space.indexOf('2026-01-02|asia'),
      /dimension 'region'.*'asia' is not a partition of static/,
    );
    invalid(() => space.indexOf('2026-01-42|us'), /dimension 'date'/);
    invalid(() => space.keyOf({ date: '2026-01-02' }), /missing region/);
    expect(space.has('2026-01-02|asia')).toBe(false);
  });

  it('refuses static keys and formats that would break multi keys, and drops such dynamic keys', () => {
    const withStatic = (keys: string[]): PartitionsDefinition => ({
      kind: 'multi',
      dimensions: [
        { name: 'a', partitions: { kind: 'static', keys } },
        { name: 'b', partitions: colors },
      ],
    });
    invalid(() => createPartitionSpace(withStatic(['x|y']), { now }), /static key 'x\|y' of dimension 'a'/);
    invalid(() => createPartitionSpace(withStatic(['x,y']), { now }), /cannot hold/);
    const dynamic = createPartitionSpace(
      {
        kind: 'multi',
        dimensions: [
          { name: 'customer', partitions: { kind: 'dynamic', name: 'customers' } },
          { name: 'color', partitions: colors },
        ],
      },
      { now, dynamicKeys: () => ['acme', 'bad|key'] },
    );
    expect(dynamic.count()).toBe(3);
    expect(dynamic.keyAt(0)).toBe('red|acme');
  });
});

describe('a million-partition space', () => {
  const regions = Array.from({ length: 1000 }, (_, i) => `region-${String(i).padStart(4, '0')}`);
  // Daily from 2024-01-01 to 2026-10-01: 1004 days × 1000 regions = 1,004,000 partitions.
  const dates = { kind: 'time', cadence: 'daily', start: '2024-01-01', timezone: 'UTC' } as const;
  const definition: PartitionsDefinition = {
    kind: 'multi',
    dimensions: [
      { name: 'region', partitions: { kind: 'static', keys: regions } },
      { name: 'date', partitions: dates },
    ],
  };
  const expectedKey = (n: number) => `${windowKeyAt(dates, Math.floor(n / 1000))}|${regions[n % 1000]}`;

  it('counts and slices any chunk by index arithmetic, without listing its keys', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const space = createPartitionSpace(definition, { now: Date.parse('2026-10-01T00:00:00Z') });
    const selection = resolveSelector(space, { kind: 'all' });
    expect(space.count()).toBe(1_004_000);
    expect(selection.total).toBe(1_004_000);
    for (const offset of [0, 502_000, 1_004_000 - 25]) {
      expect(selection.slice(offset, 25)).toEqual(
        Array.from({ length: 25 }, (_, k) => expectedKey(offset + k)),
      );
    }
    expect(selection.slice(1_004_000 - 3, 25)).toHaveLength(3);
    expect(space.indexOf('2026-09-30|region-0999')).toBe(1_003_999);
    // A listed key set would take tens of megabytes (a million strings of 23 characters).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(24 * 1024 * 1024);
  });
});
