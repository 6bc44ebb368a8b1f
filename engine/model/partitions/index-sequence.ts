/**
 * Ordered sequences of space indexes that answer "the n-th element" without listing themselves:
 * what a resolved selector is made of. `walk(from)` seeks in O(log r) and then costs O(1) per
 * element, so planning chunk k of a million-partition backfill touches only that chunk.
 */
export interface IndexSequence {
  readonly size: number;
  /** The n-th element, 0 ≤ n < size. */
  at(n: number): number;
  /** Elements from position `from` on, in order. */
  walk(from: number): Generator<number>;
}

/** Inclusive index ranges, sorted and merged: overlapping or touching ranges become one. */
export class RangeSequence implements IndexSequence {
  readonly size: number;
  private readonly lows: number[] = [];
  private readonly highs: number[] = [];
  /** `before[k]`: elements in ranges 0..k − 1. */
  private readonly before: number[] = [];

  constructor(ranges: readonly (readonly [low: number, high: number])[]) {
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    let size = 0;
    for (const [low, high] of sorted) {
      const last = this.highs.length - 1;
      if (last >= 0 && low <= this.highs[last]! + 1) {
        if (high > this.highs[last]!) {
          size += high - this.highs[last]!;
          this.highs[last] = high;
        }
        continue;
      }
      this.lows.push(low);
      this.highs.push(high);
      this.before.push(size);
      size += high - low + 1;
    }
    this.size = size;
  }

  /** The ranges after merging, for callers that report them. */
  ranges(): [low: number, high: number][] {
    return this.lows.map((low, k) => [low, this.highs[k]!]);
  }

  at(n: number): number {
    const k = this.rangeHolding(n);
    return this.lows[k]! + n - this.before[k]!;
  }

  *walk(from: number): Generator<number> {
    if (from >= this.size) return;
    let k = this.rangeHolding(from);
    for (let index = this.lows[k]! + from - this.before[k]!; k < this.lows.length; k++) {
      if (index < this.lows[k]!) index = this.lows[k]!;
      for (; index <= this.highs[k]!; index++) yield index;
    }
  }

  /** Binary search for the last range starting at or before position n. */
  private rangeHolding(n: number): number {
    let low = 0;
    let high = this.before.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.before[middle]! <= n) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/** An explicit list, in the order given. */
export class ListSequence implements IndexSequence {
  constructor(private readonly indexes: readonly number[]) {}

  get size(): number {
    return this.indexes.length;
  }

  at(n: number): number {
    return this.indexes[n]!;
  }

  *walk(from: number): Generator<number> {
    for (let n = from; n < this.indexes.length; n++) yield this.indexes[n]!;
  }
}

/**
 * The cartesian product of a selection in each dimension of a multi space, in space order: outer
 * dimension first. `innerCount` is the inner dimension's size in the space (its index stride).
 */
export class ProductSequence implements IndexSequence {
  readonly size: number;

  constructor(
    private readonly outer: IndexSequence,
    private readonly inner: IndexSequence,
    private readonly innerCount: number,
  ) {
    this.size = outer.size * inner.size;
  }

  at(n: number): number {
    return (
      this.outer.at(Math.floor(n / this.inner.size)) * this.innerCount + this.inner.at(n % this.inner.size)
    );
  }

  *walk(from: number): Generator<number> {
    if (from >= this.size) return;
    let innerFrom = from % this.inner.size;
    for (let o = Math.floor(from / this.inner.size); o < this.outer.size; o++) {
      const base = this.outer.at(o) * this.innerCount;
      for (const index of this.inner.walk(innerFrom)) yield base + index;
      innerFrom = 0;
    }
  }
}
