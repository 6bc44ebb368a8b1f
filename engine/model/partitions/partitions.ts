import type { z } from 'zod';
import { ErrorCode, invalidInput, isServoError, ServoError } from '../../errors.js';
import type { PartitionsDefinition, SingleDimensionPartitions } from '../common.js';
import { compileTimeWindows, type TimeWindow, type TimeWindows } from './time-windows.js';

/**
 * One interface over every kind of partitions definition: an ordered, indexable set of keys that
 * is never materialised for time windows or multi-partitions, so a space of millions of keys costs
 * the same as a small one. Static and dynamic spaces hold their key list (it is the definition, or
 * the `dynamic_partitions` projection's rows).
 *
 * Multi-partitions follow Dagster's `MultiPartitionsDefinition`: dimensions are sorted by name, a
 * key is `{first}|{second}` in that order (`MultiPartitionKey`), enumeration is the cartesian
 * product with the first dimension outer (`2026-01-01|eu`, `2026-01-01|us`, `2026-01-02|eu`, …)
 * and the count is the product of the dimension counts. As in Dagster, static keys of a dimension
 * may not contain `|`, `[`, `]` or `,`, and dynamic keys containing `|` are left out of the space.
 */

/** A definition as written or as parsed (defaults such as `timezone: 'UTC'` may be absent). */
export type PartitionsDefinitionInput = z.input<typeof PartitionsDefinition>;
export type SingleDimensionPartitionsInput = z.input<typeof SingleDimensionPartitions>;

export interface PartitionSpaceOptions {
  /** The current instant (epoch ms): a time-window space holds the windows complete at `now`. */
  now: number;
  /** Keys of a dynamic partitions definition, by name, in the order the projection holds them. */
  dynamicKeys?: (name: string) => readonly string[];
  /** What error messages call the definition, e.g. the asset key; a description when absent. */
  label?: string;
}

interface SpaceBase {
  /** Names the definition in error messages. */
  readonly description: string;
  count(): number;
  /** Key at a 0-based index; `INVALID_INPUT` outside 0..count − 1. */
  keyAt(index: number): string;
  /** Index of a key; `INVALID_INPUT` naming the definition and the key when it is not a member. */
  indexOf(key: string): number;
  has(key: string): boolean;
  /** Keys with index in [from, to) (default: all), generated one at a time. */
  keys(from?: number, to?: number): Generator<string>;
}

export interface TimePartitionSpace extends SpaceBase {
  readonly kind: 'time';
  readonly windows: TimeWindows;
  windowAt(index: number): TimeWindow;
}

export interface KeyListPartitionSpace extends SpaceBase {
  readonly kind: 'static' | 'dynamic';
}

export type SingleDimensionSpace = TimePartitionSpace | KeyListPartitionSpace;

export interface PartitionDimension {
  readonly name: string;
  readonly space: SingleDimensionSpace;
}

export interface MultiPartitionSpace extends SpaceBase {
  readonly kind: 'multi';
  /** The two dimensions, sorted by name; the first is the outer one in enumeration order. */
  readonly dimensions: readonly [PartitionDimension, PartitionDimension];
  /** `{ date: '2026-01-01', region: 'eu' }` for `2026-01-01|eu`. */
  dimensionsOf(key: string): Record<string, string>;
  /** The key of one value per dimension. */
  keyOf(byDimension: Readonly<Record<string, string>>): string;
}

export type PartitionSpace = SingleDimensionSpace | MultiPartitionSpace;

/** Separator of multi-partition keys, as Dagster's `MULTIPARTITION_KEY_DELIMITER`. */
export const MULTI_KEY_SEPARATOR = '|';
const INVALID_STATIC_CHARACTERS = /[|[\],]/;

export function createPartitionSpace(
  definition: SingleDimensionPartitionsInput,
  options: PartitionSpaceOptions,
): SingleDimensionSpace;
export function createPartitionSpace(
  definition: PartitionsDefinitionInput,
  options: PartitionSpaceOptions,
): PartitionSpace;
export function createPartitionSpace(
  definition: PartitionsDefinitionInput,
  options: PartitionSpaceOptions,
): PartitionSpace {
  switch (definition.kind) {
    case 'time':
      return new TimeSpace(compileTimeWindows(definition), options);
    case 'static':
      return new KeyListSpace(
        'static',
        definition.keys,
        named(options, `static partitions (${definition.keys.length} keys)`),
      );
    case 'dynamic': {
      if (options.dynamicKeys === undefined) {
        throw invalidInput(
          `dynamic partitions '${definition.name}' need their keys from the dynamic_partitions projection (dynamicKeys)`,
          { name: definition.name },
        );
      }
      const keys = options.dynamicKeys(definition.name);
      return new KeyListSpace('dynamic', keys, named(options, `dynamic partitions '${definition.name}'`));
    }
    case 'multi':
      return new MultiSpace(definition, options);
  }
}

abstract class Space {
  abstract readonly description: string;
  abstract count(): number;
  abstract keyAt(index: number): string;
  abstract indexOf(key: string): number;

  has(key: string): boolean {
    try {
      this.indexOf(key);
      return true;
    } catch (error) {
      if (isServoError(error, ErrorCode.InvalidInput)) return false;
      throw error;
    }
  }

  *keys(from = 0, to = this.count()): Generator<string> {
    for (let index = Math.max(0, from); index < Math.min(to, this.count()); index++) yield this.keyAt(index);
  }

  protected checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count()) {
      throw invalidInput(
        `partition index ${index} is out of range 0..${this.count() - 1} of ${this.description}`,
        {
          index,
        },
      );
    }
  }
}

class TimeSpace extends Space implements TimePartitionSpace {
  readonly kind = 'time';
  readonly description: string;
  private readonly total: number;

  constructor(
    readonly windows: TimeWindows,
    private readonly options: PartitionSpaceOptions,
  ) {
    super();
    this.description = named(options, windows.description);
    this.total = windows.count(options.now);
  }

  count(): number {
    return this.total;
  }

  keyAt(index: number): string {
    this.checkIndex(index);
    return this.windows.keyAt(index);
  }

  windowAt(index: number): TimeWindow {
    this.checkIndex(index);
    return this.windows.windowAt(index);
  }

  indexOf(key: string): number {
    let index: number;
    try {
      index = this.windows.indexOf(key);
    } catch (error) {
      throw this.options.label === undefined ? error : relabel(error, this.options.label);
    }
    if (index >= this.total) {
      const end = new Date(this.windows.windowAt(index).end).toISOString();
      throw invalidInput(
        `'${key}' is not a partition of ${this.description} yet: its window ends at ${end}, after now (${new Date(this.options.now).toISOString()})`,
        { key },
      );
    }
    return index;
  }
}

class KeyListSpace extends Space implements KeyListPartitionSpace {
  private readonly positions = new Map<string, number>();

  constructor(
    readonly kind: 'static' | 'dynamic',
    private readonly list: readonly string[],
    readonly description: string,
  ) {
    super();
    list.forEach((key, index) => {
      if (this.positions.has(key)) {
        throw invalidInput(`${description} list the key '${key}' twice; keys must be unique`, { key });
      }
      this.positions.set(key, index);
    });
  }

  count(): number {
    return this.list.length;
  }

  keyAt(index: number): string {
    this.checkIndex(index);
    return this.list[index]!;
  }

  indexOf(key: string): number {
    const index = this.positions.get(key);
    if (index === undefined)
      throw invalidInput(`'${key}' is not a partition of ${this.description}`, { key });
    return index;
  }

  override has(key: string): boolean {
    return this.positions.has(key);
  }
}

class MultiSpace extends Space implements MultiPartitionSpace {
  readonly kind = 'multi';
  readonly description: string;
  readonly dimensions: readonly [PartitionDimension, PartitionDimension];
  private readonly innerCount: number;
  private lastOuter = -1;
  private lastOuterPrefix = '';

  constructor(
    definition: Extract<PartitionsDefinitionInput, { kind: 'multi' }>,
    options: PartitionSpaceOptions,
  ) {
    super();
    const sorted = [...definition.dimensions].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const [first, second] = sorted;
    if (first === undefined || second === undefined || sorted.length !== 2) {
      throw invalidInput('a multi-partitions definition has exactly two dimensions');
    }
    if (first.name === second.name) {
      throw invalidInput(
        `the two dimensions of a multi-partitions definition are both named '${first.name}'`,
      );
    }
    const dimensions = sorted.map(({ name, partitions }) => {
      checkDimension(name, partitions);
      const dimensionOptions = { ...options, label: undefined };
      const filtered =
        partitions.kind === 'dynamic' && options.dynamicKeys !== undefined
          ? {
              ...dimensionOptions,
              dynamicKeys: (n: string) =>
                options.dynamicKeys!(n).filter((k) => !k.includes(MULTI_KEY_SEPARATOR)),
            }
          : dimensionOptions;
      return { name, space: createPartitionSpace(partitions, filtered) };
    });
    this.dimensions = [dimensions[0]!, dimensions[1]!];
    this.innerCount = this.dimensions[1].space.count();
    const product = this.dimensions.map((d) => `${d.name}: ${d.space.description}`).join(' × ');
    this.description = named(options, `multi partitions (${product})`);
  }

  count(): number {
    return this.dimensions[0].space.count() * this.innerCount;
  }

  keyAt(index: number): string {
    this.checkIndex(index);
    const outer = Math.floor(index / this.innerCount);
    // Keys are read in index order (a chunk is a run of consecutive indexes), so consecutive calls
    // share the outer key: format it once, with its separator, per outer index.
    if (outer !== this.lastOuter) {
      this.lastOuterPrefix = `${this.dimensions[0].space.keyAt(outer)}${MULTI_KEY_SEPARATOR}`;
      this.lastOuter = outer;
    }
    return this.lastOuterPrefix + this.dimensions[1].space.keyAt(index % this.innerCount);
  }

  indexOf(key: string): number {
    const parts = key.split(MULTI_KEY_SEPARATOR);
    if (parts.length !== 2) {
      const [a, b] = this.dimensions;
      throw invalidInput(
        `'${key}' is not a partition of ${this.description}: expected '<${a.name}>|<${b.name}>'`,
        { key },
      );
    }
    const [outer, inner] = this.dimensions.map((dimension, d) =>
      this.dimensionIndex(dimension, parts[d]!, key),
    );
    return outer! * this.innerCount + inner!;
  }

  override has(key: string): boolean {
    const parts = key.split(MULTI_KEY_SEPARATOR);
    return parts.length === 2 && this.dimensions.every((dimension, d) => dimension.space.has(parts[d]!));
  }

  dimensionsOf(key: string): Record<string, string> {
    this.indexOf(key);
    const parts = key.split(MULTI_KEY_SEPARATOR);
    return { [this.dimensions[0].name]: parts[0]!, [this.dimensions[1].name]: parts[1]! };
  }

  keyOf(byDimension: Readonly<Record<string, string>>): string {
    const names = this.dimensions.map((d) => d.name);
    const extra = Object.keys(byDimension).filter((name) => !names.includes(name));
    const missing = names.filter((name) => byDimension[name] === undefined);
    if (extra.length > 0 || missing.length > 0) {
      throw invalidInput(
        `a key of ${this.description} needs exactly the dimensions ${names.join(', ')}` +
          `${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}${extra.length > 0 ? `; unknown ${extra.join(', ')}` : ''}`,
        { dimensions: names },
      );
    }
    const key = names.map((name) => byDimension[name]!).join(MULTI_KEY_SEPARATOR);
    this.indexOf(key);
    return key;
  }

  private dimensionIndex(dimension: PartitionDimension, part: string, key: string): number {
    try {
      return dimension.space.indexOf(part);
    } catch (error) {
      throw relabel(
        error,
        `'${key}' is not a partition of ${this.description}; dimension '${dimension.name}'`,
      );
    }
  }
}

function checkDimension(name: string, partitions: SingleDimensionPartitionsInput): void {
  if (partitions.kind === 'static') {
    const bad = partitions.keys.find((key) => INVALID_STATIC_CHARACTERS.test(key));
    if (bad !== undefined) {
      throw invalidInput(
        `static key '${bad}' of dimension '${name}' has a character a multi-partition key cannot hold (| [ ] ,)`,
        { dimension: name, key: bad },
      );
    }
  }
  if (partitions.kind === 'time' && partitions.format?.includes(MULTI_KEY_SEPARATOR)) {
    throw invalidInput(`the key format of dimension '${name}' may not contain '|'`, { dimension: name });
  }
}

function named(options: PartitionSpaceOptions, description: string): string {
  return options.label === undefined ? description : `${options.label} (${description})`;
}

/** Prefixes an `INVALID_INPUT` with the context the caller knows (asset, dimension). */
export function relabel(error: unknown, context: string): unknown {
  if (!isServoError(error, ErrorCode.InvalidInput)) return error;
  return new ServoError(ErrorCode.InvalidInput, `${context}: ${error.message}`, {
    details: error.details,
    cause: error,
  });
}
