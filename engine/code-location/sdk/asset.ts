import type { z } from 'zod';
import { invalidInput } from '../../errors.js';
import { createPartitionSpace } from '../../model/partitions/partitions.js';
import { AssetDefinitionSpec } from '../code-location.js';
import { parseSpec, requireFunction } from './parse-spec.js';

/** A JSON value, as metadata and sensor results carry them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Per-partition outcome a single-run task reports for one of its partitions. */
export type PartitionOutcome = 'SUCCEEDED' | 'FAILED';

/** Log lines of one attempt: captured and sent to Servo with the attempt's result (the last 256 KiB). */
export interface TaskLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What `materialize` gets: the attempt it runs and the ways to talk back to Servo. */
export interface MaterializeContext {
  readonly assetKey: string;
  /** The partition, when the task materializes exactly one; undefined when unpartitioned or several. */
  readonly partitionKey: string | undefined;
  /** Every partition of the task: one, several for a single-run task, none when unpartitioned. */
  readonly partitionKeys: readonly string[];
  readonly runId: string;
  readonly runKey: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** The run's tags. */
  readonly tags: Readonly<Record<string, string>>;
  readonly log: TaskLog;
  /**
   * Adds metadata to the materialization (row counts, paths, …), merged key by key. Values must be
   * JSON; the whole record is limited to 64 KiB. Throws `INVALID_INPUT` otherwise.
   */
  addMetadata(record: Record<string, JsonValue>): void;
  /**
   * Sends a heartbeat now, with an optional progress message. Heartbeats are also sent
   * automatically while `materialize` runs; call this to report progress. Never throws: a heartbeat
   * Servo did not receive is logged and the next one is tried.
   */
  heartbeat(message?: string): Promise<void>;
  /**
   * Aborted when Servo asks the task to stop (the run is being terminated, or this attempt is no
   * longer current). Pass it to I/O and stop early: a rejection with the abort reports CANCELED.
   */
  readonly signal: AbortSignal;
  /**
   * For a task of several partitions (single-run backfills): the outcome of one partition when it
   * differs from the task's. Throws `INVALID_INPUT` for a partition the task does not hold.
   */
  reportPartition(partitionKey: string, outcome: PartitionOutcome): void;
}

export type MaterializeFn = (context: MaterializeContext) => void | Promise<void>;

export interface AssetDefinition {
  readonly kind: 'asset';
  readonly key: string;
  /** The asset as Servo records it on deploy. */
  readonly spec: AssetDefinitionSpec;
  readonly materialize: MaterializeFn;
}

/** An asset, by its definition or by its key (`orders/daily`). */
export type AssetRef = AssetDefinition | string;

export type AssetOptions = Omit<z.input<typeof AssetDefinitionSpec>, 'dependsOn'> & {
  /** Upstream assets, by definition or key; they must be defined in the same `defineDefinitions`. */
  dependsOn?: readonly AssetRef[];
  materialize: MaterializeFn;
};

export function assetKeyOf(ref: AssetRef): string {
  return typeof ref === 'string' ? ref : ref.key;
}

/**
 * Defines an asset: its key, partitions, dependencies and execution settings, and the function
 * that materializes one task of it. Throws `INVALID_INPUT` at once for an invalid definition.
 *
 * @example
 * export const orders = defineAsset({
 *   key: 'sales/orders',
 *   partitions: { kind: 'time', cadence: 'daily', start: '2026-01-01' },
 *   async materialize(context) {
 *     const rows = await copyOrders(context.partitionKey, context.signal);
 *     context.addMetadata({ rows });
 *   },
 * });
 */
export function defineAsset(options: AssetOptions): AssetDefinition {
  const { materialize, dependsOn, ...rest } = options;
  const what = `asset ${typeof options.key === 'string' ? options.key : '(without a key)'}`;
  requireFunction(materialize, `${what}: materialize`);
  const spec = parseSpec(
    AssetDefinitionSpec,
    { ...rest, dependsOn: (dependsOn ?? []).map(assetKeyOf) },
    what,
  );
  const upstream = new Set<string>();
  for (const key of spec.dependsOn) {
    if (key === spec.key) throw invalidInput(`${what} depends on itself`);
    if (upstream.has(key)) throw invalidInput(`${what} lists dependency ${key} twice`);
    upstream.add(key);
  }
  if (spec.partitions !== undefined) {
    try {
      // Compiling the definition checks starts, formats and offsets; no clock or keys are needed.
      createPartitionSpace(spec.partitions, { now: 0, dynamicKeys: () => [], label: what });
    } catch (error) {
      throw invalidInput(`${what}: partitions: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return Object.freeze({ kind: 'asset', key: spec.key, spec, materialize });
}
