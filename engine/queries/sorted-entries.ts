/**
 * A position in creation order: newest first by `at` (epoch ms), then by `id` (descending) among
 * entries created in the same millisecond. Both parts never change, so an entry keeps its place.
 */
export interface OrderKey {
  readonly at: number;
  readonly id: string;
}

/** Ascending order of (at, id). */
export function compareOrder(a: OrderKey, b: OrderKey): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Entries kept sorted by (at, id) in an array. Finding a position is a binary search; new entries
 * are nearly always the newest, so inserting them appends. Read newest first from any position.
 */
export class SortedEntries<E extends OrderKey> {
  private readonly items: E[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Index of the first entry after `key` (`orEqual`: not before it). */
  private bound(key: OrderKey, orEqual: boolean): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = compareOrder(this.items[middle] as E, key);
      if (order < 0 || (order === 0 && !orEqual)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  insert(entry: E): void {
    const last = this.items[this.items.length - 1];
    if (last === undefined || compareOrder(last, entry) < 0) {
      this.items.push(entry);
      return;
    }
    const index = this.bound(entry, true);
    if (this.items[index] !== entry) this.items.splice(index, 0, entry);
  }

  remove(entry: OrderKey): void {
    const index = this.bound(entry, true);
    const found = this.items[index];
    if (found !== undefined && compareOrder(found, entry) === 0) this.items.splice(index, 1);
  }

  /** Entries strictly between `after` and `before` (each optional), newest first. */
  *descending(before?: OrderKey, after?: OrderKey): Generator<E> {
    const end = after === undefined ? 0 : this.bound(after, false);
    const from = before === undefined ? this.items.length : this.bound(before, true);
    for (let index = from - 1; index >= end; index--) {
      const entry = this.items[index];
      if (entry !== undefined) yield entry;
    }
  }

  clear(): void {
    this.items.length = 0;
  }
}

/** Merges sources that each yield newest first into one stream, newest first, each entry once. */
export function* mergeDescending<E extends OrderKey>(sources: readonly Iterator<E>[]): Generator<E> {
  const heads: (E | undefined)[] = sources.map((source) => source.next().value as E | undefined);
  let last: E | undefined;
  for (;;) {
    let best = -1;
    for (let index = 0; index < heads.length; index++) {
      const head = heads[index];
      if (head === undefined) continue;
      if (best < 0 || compareOrder(head, heads[best] as E) > 0) best = index;
    }
    if (best < 0) return;
    const entry = heads[best] as E;
    const next = (sources[best] as Iterator<E>).next();
    heads[best] = next.done === true ? undefined : next.value;
    if (last !== undefined && compareOrder(last, entry) === 0) continue;
    last = entry;
    yield entry;
  }
}
