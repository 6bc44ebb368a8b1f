import type { z } from 'zod';
import { invalidInput } from '../../errors.js';
import { parseCron, validateTimeZone } from '../../model/cron/index.js';
import { ScheduleDefinitionSpec } from '../code-location.js';
import { type AssetRef, assetKeyOf } from './asset.js';
import { parseSpec } from './parse-spec.js';

export interface ScheduleDefinition {
  readonly kind: 'schedule';
  readonly name: string;
  /** The schedule as Servo records it on deploy. */
  readonly spec: ScheduleDefinitionSpec;
}

export type ScheduleOptions = Omit<z.input<typeof ScheduleDefinitionSpec>, 'assetSelection'> & {
  /** The assets each tick's run materializes, by definition or key. */
  assets: readonly AssetRef[];
};

/**
 * Defines a schedule: a cron expression in a time zone and the assets each tick runs. Every
 * `ScheduleDefinitionSpec` option is accepted (catch-up, overlap and DST policies, partition
 * selection, default status). Throws `INVALID_INPUT` at once for a bad cron, zone or option.
 *
 * @example
 * defineSchedule({ name: 'nightly', cronSchedule: '0 2 * * *', executionTimezone: 'Europe/Paris', assets: [orders] });
 */
export function defineSchedule(options: ScheduleOptions): ScheduleDefinition {
  const { assets, ...rest } = options;
  const what = `schedule ${typeof options.name === 'string' ? options.name : '(without a name)'}`;
  if (!Array.isArray(assets)) throw invalidInput(`${what}: assets must be a list of assets or asset keys`);
  const spec = parseSpec(ScheduleDefinitionSpec, { ...rest, assetSelection: assets.map(assetKeyOf) }, what);
  if (new Set(spec.assetSelection).size !== spec.assetSelection.length)
    throw invalidInput(`${what} selects an asset twice`);
  for (const check of [() => parseCron(spec.cronSchedule), () => validateTimeZone(spec.executionTimezone)]) {
    try {
      check();
    } catch (error) {
      throw invalidInput(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return Object.freeze({ kind: 'schedule', name: spec.name, spec });
}
