import type { z } from 'zod';
import { invalidInput } from '../../errors.js';
import type { PushMessage, SensorDefinitionSpec } from '../code-location.js';
import { SensorDefinitionSpec as SensorDefinitionSchema } from '../code-location.js';
import { type AssetRef, assetKeyOf } from './asset.js';
import { parseSpec, requireFunction } from './parse-spec.js';

/** What a sensor returns; checked against `SensorResult` after every call. */
export interface SensorAnswer {
  /** Runs to request; each run key requests its run once, however often it is returned. */
  runRequests?: ReadonlyArray<{
    runKey: string;
    /** Defaults to the sensor's assets. */
    assetSelection?: readonly string[];
    partitionKeys?: readonly string[];
    tags?: Record<string, string>;
  }>;
  /** The new cursor; absent keeps the current one, null clears it. */
  cursor?: string | null;
  /** Why nothing was requested, shown on the evaluation. */
  skipReason?: string;
  /** Keys to add to (or delete from) dynamic partitions definitions, recorded before the run requests. */
  dynamicPartitions?: ReadonlyArray<{
    partitionsDefName: string;
    add?: readonly string[];
    delete?: readonly string[];
  }>;
}

/** What a poll sensor's `evaluate` gets. */
export interface SensorEvaluationContext {
  cursor: string | null;
  /** The run key of the last run this sensor requested, if any. */
  lastRunKey: string | null;
  /** ISO-8601: the due time of this poll (virtual time in time-skipping mode). */
  now: string;
  /** Aborted when the evaluation times out: stop early. */
  signal: AbortSignal;
}

export type SensorEvaluateFn = (
  context: SensorEvaluationContext,
) => SensorAnswer | undefined | Promise<SensorAnswer | undefined>;
export type SensorMessageFn = (
  message: PushMessage,
  context: { signal: AbortSignal },
) => SensorAnswer | undefined | Promise<SensorAnswer | undefined>;

export type SensorDefinition =
  | {
      readonly kind: 'poll';
      readonly name: string;
      readonly spec: SensorDefinitionSpec;
      readonly evaluate: SensorEvaluateFn;
    }
  | {
      readonly kind: 'push';
      readonly name: string;
      readonly spec: SensorDefinitionSpec;
      readonly onMessage: SensorMessageFn;
    };

type CommonSensorOptions = Omit<z.input<typeof SensorDefinitionSchema>, 'kind' | 'targetAssets'> & {
  /** The assets the sensor's runs materialize by default, by definition or key. */
  assets: readonly AssetRef[];
};

export type SensorOptions =
  | (CommonSensorOptions & { kind: 'poll'; evaluate: SensorEvaluateFn })
  | (CommonSensorOptions & { kind: 'push'; onMessage: SensorMessageFn });

/**
 * Defines a sensor. A poll sensor is evaluated on a timer (at most every `minimumIntervalSeconds`,
 * default 30) from its cursor; a push sensor once per pushed message. Both answer with run
 * requests, a new cursor and/or a skip reason. Throws `INVALID_INPUT` at once for a bad definition.
 *
 * @example
 * defineSensor({
 *   name: 'new_files', kind: 'poll', assets: [orders],
 *   async evaluate({ cursor }) {
 *     const files = await listFilesAfter(cursor);
 *     return { runRequests: files.map((f) => ({ runKey: f.name })), cursor: files.at(-1)?.name };
 *   },
 * });
 */
export function defineSensor(options: SensorOptions): SensorDefinition {
  const what = `sensor ${typeof options.name === 'string' ? options.name : '(without a name)'}`;
  if (!Array.isArray(options.assets))
    throw invalidInput(`${what}: assets must be a list of assets or asset keys`);
  const { assets, ...rest } = options;
  const targetAssets = assets.map(assetKeyOf);
  if (new Set(targetAssets).size !== targetAssets.length)
    throw invalidInput(`${what} targets an asset twice`);
  // The functions are not part of the recorded definition.
  const input: Record<string, unknown> = { ...rest, targetAssets };
  delete input.evaluate;
  delete input.onMessage;
  if (options.kind === 'poll') {
    requireFunction(options.evaluate, `${what}: evaluate`);
    const spec = parseSpec(SensorDefinitionSchema, input, what);
    return Object.freeze({ kind: 'poll', name: spec.name, spec, evaluate: options.evaluate });
  }
  if (options.kind === 'push') {
    requireFunction(options.onMessage, `${what}: onMessage`);
    const spec = parseSpec(SensorDefinitionSchema, input, what);
    return Object.freeze({ kind: 'push', name: spec.name, spec, onMessage: options.onMessage });
  }
  throw invalidInput(`${what}: kind must be 'poll' (with evaluate) or 'push' (with onMessage)`);
}
