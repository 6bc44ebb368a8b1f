import { invalidInput } from '../../errors.js';
import type { PartitionSelector } from '../common.js';
import { type IndexSequence, ListSequence, ProductSequence, RangeSequence } from './index-sequence.js';
import {
  MULTI_KEY_SEPARATOR,
  type MultiPartitionSpace,
  type PartitionDimension,
  type PartitionSpace,
  relabel,
  type SingleDimensionSpace,
} from './partitions.js';

/**
 * Resolves a stored `PartitionSelector` against a partition space without listing the selection:
 * a backfill stores the selector and plans chunk k with `slice(k × chunkSize, chunkSize)`.
 *
 * - `all`: every partition, in space order.
 * - `range`: start..end inclusive of a time-window or static space, in space order. On a multi
 *   space the keys are those of its time dimension when it has exactly one (the other dimension
 *   is taken whole), or two full multi keys, which select the product of the per-dimension ranges
 *   as Dagster's `MultiPartitionsDefinition.get_partition_keys_in_range` does. Dynamic partitions
 *   have no stable order, so a range over them is refused.
 * - `ranges`: several ranges as above (time-dimension keys on a multi space), merged where they
 *   overlap, in space order.
 * - `explicit`: the keys as given, in the given order; every key must exist and a key listed twice
 *   is refused (naming it), so `total` always equals the number of keys stored.
 * - `filter` (multi only): per dimension a list of values or a start..end range; a dimension left
 *   out means all its values. Values are taken in the dimension's order (not the listed order), so
 *   the product is in space order; a value listed twice is refused.
 * A selection of no partitions is refused.
 */
export interface ResolvedSelection {
  /** Number of selected partitions. */
  readonly total: number;
  /** Space index of the n-th selected partition. */
  indexAt(n: number): number;
  /** Key of the n-th selected partition. */
  keyAt(n: number): string;
  /** Up to `limit` keys from position `offset`: O(log ranges) to seek, then O(limit). */
  slice(offset: number, limit: number): string[];
  /** Keys from position `fromOffset` on, generated one at a time. */
  iterate(fromOffset?: number): Generator<string>;
}

type Range = { start: string; end: string };

export function resolveSelector(space: PartitionSpace, selector: PartitionSelector): ResolvedSelection {
  const sequence = selectionOf(space, selector);
  if (sequence.size === 0) {
    throw invalidInput(`the ${selector.kind} selector selects no partitions of ${space.description}`, {
      selector: selector.kind,
    });
  }
  return new Selection(space, sequence);
}

class Selection implements ResolvedSelection {
  readonly total: number;

  constructor(
    private readonly space: PartitionSpace,
    private readonly sequence: IndexSequence,
  ) {
    this.total = sequence.size;
  }

  indexAt(n: number): number {
    checkPosition(n, this.total, 'position');
    return this.sequence.at(n);
  }

  keyAt(n: number): string {
    return this.space.keyAt(this.indexAt(n));
  }

  slice(offset: number, limit: number): string[] {
    checkPosition(offset, this.total + 1, 'offset');
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw invalidInput(`slice limit ${limit} must be a non-negative integer`);
    const keys: string[] = [];
    if (limit === 0) return keys;
    for (const index of this.sequence.walk(offset)) {
      keys.push(this.space.keyAt(index));
      if (keys.length === limit) break;
    }
    return keys;
  }

  *iterate(fromOffset = 0): Generator<string> {
    checkPosition(fromOffset, this.total + 1, 'offset');
    for (const index of this.sequence.walk(fromOffset)) yield this.space.keyAt(index);
  }
}

function selectionOf(space: PartitionSpace, selector: PartitionSelector): IndexSequence {
  switch (selector.kind) {
    case 'all':
      return everything(space);
    case 'range':
      if (space.kind === 'multi') return multiRanges(space, [selector], true);
      return new RangeSequence([rangeIndexes(space, selector)]);
    case 'ranges':
      if (space.kind === 'multi') return multiRanges(space, selector.ranges, false);
      return new RangeSequence(selector.ranges.map((range) => rangeIndexes(space, range)));
    case 'explicit':
      return new ListSequence(uniqueIndexes(space, selector.keys, 'explicit selector'));
    case 'filter':
      return filter(space, selector.dimensions);
  }
}

function everything(space: { count(): number }): IndexSequence {
  return new RangeSequence(space.count() > 0 ? [[0, space.count() - 1]] : []);
}

/** Inclusive index range of one ordered (time or static) space. */
function rangeIndexes(
  space: SingleDimensionSpace,
  { start, end }: Range,
  dimension?: string,
): [number, number] {
  const where =
    dimension === undefined ? space.description : `dimension '${dimension}' of ${space.description}`;
  if (space.kind === 'dynamic') {
    throw invalidInput(
      `a range needs ordered partitions (time windows or static keys); ${where} is dynamic: select its keys explicitly`,
      { start, end },
    );
  }
  const low = space.indexOf(start);
  const high = space.indexOf(end);
  if (low > high) {
    throw invalidInput(`range start '${start}' is after its end '${end}' in ${where}`, { start, end });
  }
  return [low, high];
}

function multiRanges(
  space: MultiPartitionSpace,
  ranges: readonly Range[],
  allowFullKeys: boolean,
): IndexSequence {
  const [outer, inner] = space.dimensions;
  const [range] = ranges;
  if (allowFullKeys && range !== undefined && space.has(range.start) && space.has(range.end)) {
    const starts = range.start.split(MULTI_KEY_SEPARATOR);
    const ends = range.end.split(MULTI_KEY_SEPARATOR);
    const [o, i] = space.dimensions.map((d, k) => {
      const low = starts[k]!;
      const high = ends[k]!;
      return new RangeSequence([rangeIndexes(d.space, { start: low, end: high }, d.name)]);
    });
    return new ProductSequence(o!, i!, inner.space.count());
  }
  const timeDimensions = space.dimensions.filter((d) => d.space.kind === 'time');
  const time = timeDimensions[0];
  if (timeDimensions.length !== 1 || time === undefined) {
    const kinds = space.dimensions.map((d) => `'${d.name}' (${d.space.kind})`).join(' and ');
    throw invalidInput(
      `a range on multi partitions applies to their one time dimension; ${kinds} ` +
        `${timeDimensions.length === 0 ? 'have none' : 'are both time windows'}: use a filter or full '<${outer.name}>|<${inner.name}>' keys`,
      { dimensions: space.dimensions.map((d) => d.name) },
    );
  }
  const selected = new RangeSequence(ranges.map((r) => rangeIndexes(time.space, r, time.name)));
  return time === outer
    ? new ProductSequence(selected, everything(inner.space), inner.space.count())
    : new ProductSequence(everything(outer.space), selected, inner.space.count());
}

function filter(
  space: PartitionSpace,
  dimensions: Readonly<Record<string, { values: string[] } | Range>>,
): IndexSequence {
  if (space.kind !== 'multi') {
    throw invalidInput(
      `a filter selects dimension values of multi partitions; ${space.description} has one dimension: use range, ranges or explicit`,
    );
  }
  const names = space.dimensions.map((d) => d.name);
  const unknown = Object.keys(dimensions).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw invalidInput(
      `unknown dimension ${unknown.map((n) => `'${n}'`).join(', ')} in filter; ${space.description} has ${names.map((n) => `'${n}'`).join(' and ')}`,
      { unknown, dimensions: names },
    );
  }
  const [outer, inner] = space.dimensions.map((d) => dimensionFilter(d, dimensions[d.name]));
  return new ProductSequence(outer!, inner!, space.dimensions[1].space.count());
}

function dimensionFilter(
  dimension: PartitionDimension,
  filter: { values: string[] } | Range | undefined,
): IndexSequence {
  try {
    return dimensionSelection(dimension, filter);
  } catch (error) {
    throw relabel(error, `filter of dimension '${dimension.name}'`);
  }
}

function dimensionSelection(
  dimension: PartitionDimension,
  filter: { values: string[] } | Range | undefined,
): IndexSequence {
  if (filter === undefined) return everything(dimension.space);
  if ('values' in filter) {
    const indexes = uniqueIndexes(dimension.space, filter.values, `filter of dimension '${dimension.name}'`);
    return new RangeSequence(indexes.map((index) => [index, index] as const));
  }
  return new RangeSequence([rangeIndexes(dimension.space, filter, dimension.name)]);
}

/** Indexes of keys that must all exist, each once. */
function uniqueIndexes(
  space: PartitionSpace | SingleDimensionSpace,
  keys: readonly string[],
  what: string,
): number[] {
  const seen = new Set<number>();
  return keys.map((key) => {
    const index = space.indexOf(key);
    if (seen.has(index)) throw invalidInput(`the ${what} lists '${key}' twice`, { key });
    seen.add(index);
    return index;
  });
}

function checkPosition(n: number, bound: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0 || n >= bound) {
    throw invalidInput(`selection ${what} ${n} is out of range 0..${bound - 1}`, { [what]: n });
  }
}
