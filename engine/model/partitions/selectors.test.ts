import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import type { PartitionSelector } from '../common.js';
import {
  createPartitionSpace,
  type PartitionsDefinitionInput as PartitionsDefinition,
  type SingleDimensionPartitionsInput,
} from './partitions.js';
import { resolveSelector } from './selectors.js';

const now = Date.parse('2026-01-11T00:00:00Z');
const daily: SingleDimensionPartitionsInput = { kind: 'time', cadence: 'daily', start: '2026-01-01' };
const regions: SingleDimensionPartitionsInput = { kind: 'static', keys: ['us', 'eu', 'apac'] };
const dailyByRegion: PartitionsDefinition = {
  kind: 'multi',
  dimensions: [
    { name: 'date', partitions: daily },
    { name: 'region', partitions: regions },
  ],
};
/** Region outer ('date' < 'region' is false here): the time dimension is the inner one. */
const regionByDay: PartitionsDefinition = {
  kind: 'multi',
  dimensions: [
    { name: 'area', partitions: regions },
    { name: 'day', partitions: daily },
  ],
};

function keys(definition: PartitionsDefinition, selector: PartitionSelector, options = {}): string[] {
  return [...resolveSelector(createPartitionSpace(definition, { now, ...options }), selector).iterate()];
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

describe('selectors on one dimension', () => {
  it('selects all partitions in space order', () => {
    expect(keys(regions, { kind: 'all' })).toEqual(['us', 'eu', 'apac']);
    expect(keys(daily, { kind: 'all' })).toHaveLength(10);
  });

  it('selects an inclusive range of a time or static space', () => {
    expect(keys(daily, { kind: 'range', start: '2026-01-03', end: '2026-01-05' })).toEqual([
      '2026-01-03',
      '2026-01-04',
      '2026-01-05',
    ]);
    expect(keys(regions, { kind: 'range', start: 'eu', end: 'apac' })).toEqual(['eu', 'apac']);
  });

  it('merges overlapping ranges into space order', () => {
    const selector: PartitionSelector = {
      kind: 'ranges',
      ranges: [
        { start: '2026-01-08', end: '2026-01-09' },
        { start: '2026-01-02', end: '2026-01-03' },
        { start: '2026-01-03', end: '2026-01-04' },
      ],
    };
    expect(keys(daily, selector)).toEqual([
      '2026-01-02',
      '2026-01-03',
      '2026-01-04',
      '2026-01-08',
      '2026-01-09',
    ]);
  });

  it('keeps explicit keys in the given order', () => {
    expect(keys(daily, { kind: 'explicit', keys: ['2026-01-05', '2026-01-01'] })).toEqual([
      '2026-01-05',
      '2026-01-01',
    ]);
  });

  it('explains every invalid selector', () => {
    const space = createPartitionSpace(daily, { now, label: 'raw/orders' });
    invalid(
      () => resolveSelector(space, { kind: 'range', start: '2026-01-05', end: '2026-01-02' }),
      /start '2026-01-05' is after its end '2026-01-02'/,
    );
    invalid(
      () => resolveSelector(space, { kind: 'range', start: '2026-01-05', end: '2026-02-02' }),
      /'2026-02-02' is not a partition of raw\/orders/,
    );
    invalid(
      () => resolveSelector(space, { kind: 'explicit', keys: ['2026-01-02', 'x'] }),
      /raw\/orders.*'x' is not a partition/,
    );
    invalid(
      () => resolveSelector(space, { kind: 'explicit', keys: ['2026-01-02', '2026-01-02'] }),
      /lists '2026-01-02' twice/,
    );
    invalid(
      () => resolveSelector(space, { kind: 'filter', dimensions: {} }),
      /a filter selects dimension values of multi partitions/,
    );
    const customers = createPartitionSpace(
      { kind: 'dynamic', name: 'customers' },
      { now, dynamicKeys: () => ['a', 'b'] },
    );
    invalid(
      () => resolveSelector(customers, { kind: 'range', start: 'a', end: 'b' }),
      /dynamic partitions 'customers' is dynamic/,
    );
    const none = createPartitionSpace({ kind: 'dynamic', name: 'customers' }, { now, dynamicKeys: () => [] });
    invalid(
      () => resolveSelector(none, { kind: 'all' }),
      /the all selector selects no partitions of dynamic partitions 'customers'/,
    );
  });
});

describe('selectors on two dimensions', () => {
  it('applies a range to the one time dimension, outer or inner', () => {
    expect(keys(dailyByRegion, { kind: 'range', start: '2026-01-02', end: '2026-01-03' })).toEqual([
      '2026-01-02|us',
      '2026-01-02|eu',
      '2026-01-02|apac',
      '2026-01-03|us',
      '2026-01-03|eu',
      '2026-01-03|apac',
    ]);
    expect(keys(regionByDay, { kind: 'range', start: '2026-01-02', end: '2026-01-03' })).toEqual([
      'us|2026-01-02',
      'us|2026-01-03',
      'eu|2026-01-02',
      'eu|2026-01-03',
      'apac|2026-01-02',
      'apac|2026-01-03',
    ]);
  });

  it('reads two full keys as a range in each dimension, as Dagster does', () => {
    expect(keys(dailyByRegion, { kind: 'range', start: '2026-01-02|eu', end: '2026-01-03|apac' })).toEqual([
      '2026-01-02|eu',
      '2026-01-02|apac',
      '2026-01-03|eu',
      '2026-01-03|apac',
    ]);
  });

  it('filters by values and ranges per dimension, all values where a dimension is left out', () => {
    const selector: PartitionSelector = {
      kind: 'filter',
      dimensions: { region: { values: ['apac', 'us'] }, date: { start: '2026-01-09', end: '2026-01-10' } },
    };
    expect(keys(dailyByRegion, selector)).toEqual([
      '2026-01-09|us',
      '2026-01-09|apac',
      '2026-01-10|us',
      '2026-01-10|apac',
    ]);
    expect(keys(dailyByRegion, { kind: 'filter', dimensions: { region: { values: ['eu'] } } })).toHaveLength(
      10,
    );
  });

  it('explains invalid multi selectors', () => {
    const space = createPartitionSpace(dailyByRegion, { now });
    invalid(
      () => resolveSelector(space, { kind: 'filter', dimensions: { country: { values: ['us'] } } }),
      /unknown dimension 'country' in filter.*'date' and 'region'/,
    );
    invalid(
      () => resolveSelector(space, { kind: 'filter', dimensions: { region: { values: ['mars'] } } }),
      /^filter of dimension 'region': 'mars' is not a partition of static partitions/,
    );
    invalid(
      () => resolveSelector(space, { kind: 'filter', dimensions: { region: { values: ['us', 'us'] } } }),
      /lists 'us' twice/,
    );
    const staticOnly = createPartitionSpace(
      {
        kind: 'multi',
        dimensions: [
          { name: 'a', partitions: regions },
          { name: 'b', partitions: regions },
        ],
      },
      { now },
    );
    invalid(
      () => resolveSelector(staticOnly, { kind: 'range', start: 'us', end: 'eu' }),
      /one time dimension; 'a' \(static\) and 'b' \(static\) have none/,
    );
    const customers = createPartitionSpace(
      {
        kind: 'multi',
        dimensions: [
          { name: 'date', partitions: daily },
          { name: 'who', partitions: { kind: 'dynamic', name: 'c' } },
        ],
      },
      { now, dynamicKeys: () => ['x'] },
    );
    invalid(
      () => resolveSelector(customers, { kind: 'range', start: '2026-01-01|x', end: '2026-01-02|x' }),
      /is dynamic/,
    );
  });
});

describe('slicing a selection', () => {
  const space = createPartitionSpace(dailyByRegion, { now });
  const selection = resolveSelector(space, {
    kind: 'ranges',
    ranges: [
      { start: '2026-01-02', end: '2026-01-03' },
      { start: '2026-01-07', end: '2026-01-07' },
    ],
  });

  it('returns chunks that concatenate to the whole selection', () => {
    const all = [...selection.iterate()];
    expect(selection.total).toBe(9);
    const chunks = [0, 4, 8].map((offset) => selection.slice(offset, 4));
    expect(chunks.flat()).toEqual(all);
    expect(chunks[2]).toEqual(['2026-01-07|apac']);
    expect(selection.slice(9, 4)).toEqual([]);
    expect([...selection.iterate(6)]).toEqual(all.slice(6));
    expect(selection.keyAt(6)).toBe('2026-01-07|us');
    expect(selection.indexAt(6)).toBe(space.indexOf('2026-01-07|us'));
  });

  it('refuses positions outside the selection', () => {
    invalid(() => selection.slice(10, 1), /offset 10 is out of range 0\.\.9/);
    invalid(() => selection.slice(0, -1), /limit -1/);
    invalid(() => selection.keyAt(9), /position 9 is out of range 0\.\.8/);
  });
});
