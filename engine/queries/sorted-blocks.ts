/**
 * An ordered multiset kept as a list of sorted blocks (each at most `2 × blockSize` items). Finding a
 * position is a binary search over the blocks' last items and then within one block; inserting or
 * removing moves at most one block's items and, when a block splits or empties, the block list.
 * With the default block size that is O(log n) comparisons plus a few hundred moved pointers, for
 * any n — so a read model can keep millions of items in order and still insert, remove and page
 * through them in time independent of how many it holds.
 */
export class SortedBlocks<T, P = never> {
  private readonly blocks: T[][] = [];
  private count = 0;

  /**
   * @param compare total order of the items (two items comparing equal are the same item), which
   *   also places an item against a probe `P` (a bound to search from that is not an item).
   * @param blockSize items per block after a split. Default 256.
   */
  constructor(
    private readonly compare: (item: T, other: T | P) => number,
    private readonly blockSize = 256,
  ) {}

  get size(): number {
    return this.count;
  }

  /**
   * Replaces the contents with `items`, which must be in order and distinct (as `compare` says).
   * Builds the blocks directly: loading n items costs O(n), not n insertions.
   */
  assign(items: readonly T[]): void {
    for (let index = 1; index < items.length; index++) {
      if (this.compare(items[index - 1] as T, items[index] as T) >= 0)
        throw new RangeError(`items to assign are not in strictly ascending order at ${index}`);
    }
    this.fill(items);
  }

  /**
   * Replaces the contents with `items`, which must be distinct but may be in any order: they are
   * sorted (in place) unless the one pass that checks their order finds them in order already.
   */
  assignUnordered(items: T[]): void {
    let ordered = true;
    for (let index = 1; index < items.length && ordered; index++)
      ordered = this.compare(items[index - 1] as T, items[index] as T) < 0;
    if (ordered) this.fill(items);
    else this.assign(items.sort(this.compare));
  }

  /** Builds the blocks from items in order. */
  private fill(items: readonly T[]): void {
    this.blocks.length = 0;
    for (let start = 0; start < items.length; start += this.blockSize)
      this.blocks.push(items.slice(start, start + this.blockSize));
    this.count = items.length;
  }

  insert(item: T): void {
    if (this.blocks.length === 0) {
      this.blocks.push([item]);
      this.count = 1;
      return;
    }
    const index = Math.min(this.blockAtOrAfter(item), this.blocks.length - 1);
    const block = this.blocks[index] as T[];
    block.splice(this.positionIn(block, item), 0, item);
    this.count += 1;
    if (block.length > 2 * this.blockSize) this.blocks.splice(index + 1, 0, block.splice(this.blockSize));
  }

  /** Removes the item equal to `item`; false when there is none. */
  delete(item: T): boolean {
    const index = this.blockAtOrAfter(item);
    const block = this.blocks[index];
    if (block === undefined) return false;
    const position = this.positionIn(block, item);
    if (position === block.length || this.compare(block[position] as T, item) !== 0) return false;
    block.splice(position, 1);
    this.count -= 1;
    if (block.length === 0) this.blocks.splice(index, 1);
    return true;
  }

  /**
   * The items strictly before `bound` (every item when it is undefined), greatest first. The set
   * must not change while the iterator is in use.
   */
  *descendingBefore(bound?: T | P): Generator<T> {
    let index = this.blocks.length - 1;
    let position: number | undefined;
    if (bound !== undefined) {
      const at = this.blockAtOrAfter(bound);
      if (at < this.blocks.length) {
        index = at;
        position = this.positionIn(this.blocks[at] as T[], bound) - 1;
      }
    }
    for (; index >= 0; index--) {
      const block = this.blocks[index] as T[];
      for (let i = position ?? block.length - 1; i >= 0; i--) yield block[i] as T;
      position = undefined;
    }
  }

  /** Index of the first block whose last item is at or after `probe` (blocks.length when none). */
  private blockAtOrAfter(probe: T | P): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const block = this.blocks[middle] as T[];
      if (this.compare(block[block.length - 1] as T, probe) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Index of the first item of `block` at or after `probe`. */
  private positionIn(block: readonly T[], probe: T | P): number {
    let low = 0;
    let high = block.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compare(block[middle] as T, probe) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
