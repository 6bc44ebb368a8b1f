import type { PartitionSpace, TimePartitionSpace } from './partitions.js';

/**
 * Contiguous runs of partitions in space order: what Dagster's `TimePartitionRangeStatus`
 * (`startKey`, `endKey`, `startTime`, `endTime`) and the UI's health bars are built from.
 */
export interface PartitionKeyRange {
  startKey: string;
  endKey: string;
  /** Space indexes, inclusive. */
  startIndex: number;
  endIndex: number;
}

/** A range of a time-window space, with the start of its first and end of its last window. */
export interface TimePartitionKeyRange extends PartitionKeyRange {
  /** Epoch ms. */
  startTime: number;
  endTime: number;
}

/**
 * Groups keys (any order, repeats ignored) into maximal runs of consecutive indexes. Every key must
 * be a member (`INVALID_INPUT` naming it otherwise). O(k log k) in the number of keys.
 */
export function toRanges(space: TimePartitionSpace, keys: Iterable<string>): TimePartitionKeyRange[];
export function toRanges(space: PartitionSpace, keys: Iterable<string>): PartitionKeyRange[];
export function toRanges(space: PartitionSpace, keys: Iterable<string>): PartitionKeyRange[] {
  const indexes: number[] = [];
  for (const key of keys) indexes.push(space.indexOf(key));
  return indexRanges(space, indexes);
}

/** Groups space indexes (any order, repeats ignored) into maximal runs. */
export function indexRanges(space: TimePartitionSpace, indexes: Iterable<number>): TimePartitionKeyRange[];
export function indexRanges(space: PartitionSpace, indexes: Iterable<number>): PartitionKeyRange[];
export function indexRanges(space: PartitionSpace, indexes: Iterable<number>): PartitionKeyRange[] {
  const sorted = Float64Array.from(indexes).sort();
  const runs: [number, number][] = [];
  for (const index of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && index <= last[1] + 1) last[1] = Math.max(last[1], index);
    else runs.push([index, index]);
  }
  return runs.map(([low, high]) => describe(space, low, high));
}

/**
 * Maximal runs of partitions satisfying a predicate, scanning indexes [from, to) in order. This
 * visits every partition in the span: O(to − from).
 */
export function rangesWhere(
  space: PartitionSpace,
  predicate: (key: string, index: number) => boolean,
  from = 0,
  to = space.count(),
): PartitionKeyRange[] {
  const ranges: PartitionKeyRange[] = [];
  let runStart = -1;
  const end = Math.min(to, space.count());
  for (let index = Math.max(0, from); index <= end; index++) {
    const selected = index < end && predicate(space.keyAt(index), index);
    if (selected && runStart < 0) runStart = index;
    if (!selected && runStart >= 0) {
      ranges.push(describe(space, runStart, index - 1));
      runStart = -1;
    }
  }
  return ranges;
}

function describe(
  space: PartitionSpace,
  low: number,
  high: number,
): PartitionKeyRange | TimePartitionKeyRange {
  const range = { startKey: space.keyAt(low), endKey: space.keyAt(high), startIndex: low, endIndex: high };
  if (space.kind !== 'time') return range;
  const times = { startTime: space.windowAt(low).start, endTime: space.windowAt(high).end };
  return { ...range, ...times };
}
