import { invalidInput } from '../../errors.js';
import { canonicalJson } from '../../model/canonical-json.js';
import { AssetKey } from '../../model/common.js';
import { sha256Hex } from '../../model/hashing.js';
import { CodeLocationDefinitions } from '../code-location.js';
import type { AssetDefinition } from './asset.js';
import { parseSpec } from './parse-spec.js';
import type { ScheduleDefinition } from './schedule.js';
import type { SensorDefinition } from './sensor.js';

const DEFINITIONS_KIND = 'servo.definitions';

/** Everything one code location defines: what a code location module exports (default or `definitions`). */
export interface Definitions {
  readonly kind: typeof DEFINITIONS_KIND;
  readonly codeLocation: string;
  readonly codeVersion: string;
  /** The definitions as the code location reports them (`GET /definitions`, recorded on deploy). */
  readonly spec: CodeLocationDefinitions;
  readonly assets: readonly AssetDefinition[];
  readonly schedules: readonly ScheduleDefinition[];
  readonly sensors: readonly SensorDefinition[];
  asset(key: string): AssetDefinition | undefined;
  sensor(name: string): SensorDefinition | undefined;
}

export interface DefinitionsOptions {
  /** The code location's name (`repositoryLocationName` in the API). */
  codeLocation: string;
  /**
   * The version deploys record and partition staleness compares. Default: a hash of the definitions
   * and of the source text of every `materialize`, `evaluate` and `onMessage` function, so editing
   * one changes it. Code those functions call is not part of the hash: pass your build's version
   * (a git commit, an image digest) when that matters.
   */
  codeVersion?: string;
  assets: readonly AssetDefinition[];
  schedules?: readonly ScheduleDefinition[];
  sensors?: readonly SensorDefinition[];
  /** Keys of assets other code locations define, which these assets may depend on and select. */
  externalAssets?: readonly string[];
}

/**
 * Assembles a code location's definitions and checks that they fit together: unique asset keys,
 * schedule and sensor names; dependencies, schedule selections and sensor targets that name defined
 * (or declared external) assets; no dependency cycles. Throws `INVALID_INPUT` naming the problem.
 */
export function defineDefinitions(options: DefinitionsOptions): Definitions {
  const assets = checkKinds(options.assets, 'asset', 'an asset', 'assets', 'defineAsset');
  const schedules = checkKinds(
    options.schedules ?? [],
    'schedule',
    'a schedule',
    'schedules',
    'defineSchedule',
  );
  const sensors = checkKinds(options.sensors ?? [], 'sensor', 'a sensor', 'sensors', 'defineSensor');
  const external = new Set<string>();
  for (const key of options.externalAssets ?? []) external.add(parseSpec(AssetKey, key, 'externalAssets'));

  const byKey = uniqueBy(assets, (asset) => asset.key, 'asset');
  const known = (key: string) => byKey.has(key) || external.has(key);
  for (const asset of assets) {
    for (const upstream of asset.spec.dependsOn) {
      if (!known(upstream))
        throw invalidInput(`asset ${asset.key} depends on ${upstream}, which is not defined here`, {
          hint: 'define it, or list it in externalAssets if another code location defines it',
        });
    }
  }
  rejectCycles(byKey);
  uniqueBy(schedules, (schedule) => schedule.name, 'schedule');
  for (const schedule of schedules) {
    for (const key of schedule.spec.assetSelection) {
      if (!known(key))
        throw invalidInput(`schedule ${schedule.name} selects ${key}, which is not defined here`);
    }
  }
  const byName = uniqueBy(sensors, (sensor) => sensor.name, 'sensor');
  for (const sensor of sensors) {
    for (const key of sensor.spec.targetAssets) {
      if (!known(key)) throw invalidInput(`sensor ${sensor.name} targets ${key}, which is not defined here`);
    }
  }

  const described = {
    codeLocation: options.codeLocation,
    assets: assets.map((asset) => asset.spec),
    schedules: schedules.map((schedule) => schedule.spec),
    sensors: sensors.map((sensor) => sensor.spec),
  };
  const spec = parseSpec(
    CodeLocationDefinitions,
    { ...described, codeVersion: options.codeVersion ?? defaultCodeVersion(described, assets, sensors) },
    `code location ${String(options.codeLocation)}`,
  );
  return Object.freeze({
    kind: DEFINITIONS_KIND,
    codeLocation: spec.codeLocation,
    codeVersion: spec.codeVersion,
    spec,
    assets,
    schedules,
    sensors,
    asset: (key: string) => byKey.get(key),
    sensor: (name: string) => byName.get(name),
  });
}

/** True for what `defineDefinitions` returns (also from another copy of the SDK). */
export function isDefinitions(value: unknown): value is Definitions {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === DEFINITIONS_KIND &&
    typeof (value as { asset?: unknown }).asset === 'function' &&
    typeof (value as { sensor?: unknown }).sensor === 'function'
  );
}

/** A stable hash of the definitions JSON and of every user function's source text. */
function defaultCodeVersion(
  described: unknown,
  assets: readonly AssetDefinition[],
  sensors: readonly SensorDefinition[],
): string {
  const sources: string[] = [];
  for (const asset of [...assets].sort((a, b) => compare(a.key, b.key)))
    sources.push(`asset ${asset.key}`, asset.materialize.toString());
  for (const sensor of [...sensors].sort((a, b) => compare(a.name, b.name)))
    sources.push(
      `sensor ${sensor.name}`,
      sensor.kind === 'poll' ? sensor.evaluate.toString() : sensor.onMessage.toString(),
    );
  return sha256Hex(canonicalJson({ described, sources })).slice(0, 16);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkKinds<T extends { kind: string }>(
  items: readonly T[],
  kind: string,
  noun: string,
  field: string,
  factory: string,
): readonly T[] {
  if (!Array.isArray(items)) throw invalidInput(`${field} must be a list`);
  items.forEach((item, index) => {
    const actual = (item as { kind?: unknown } | null)?.kind;
    const fits = kind === 'sensor' ? actual === 'poll' || actual === 'push' : actual === kind;
    if (!fits) throw invalidInput(`${field}[${index}] is not ${noun} made with ${factory}()`);
  });
  return Object.freeze([...items]);
}

function uniqueBy<T>(items: readonly T[], keyOf: (item: T) => string, what: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (map.has(key)) throw invalidInput(`${what} ${key} is defined twice`);
    map.set(key, item);
  }
  return map;
}

/** Depth-first search over this location's dependency edges; reports the first cycle found. */
function rejectCycles(byKey: ReadonlyMap<string, AssetDefinition>): void {
  const done = new Set<string>();
  const onPath = new Set<string>();
  const path: string[] = [];
  const visit = (key: string): void => {
    if (done.has(key)) return;
    if (onPath.has(key)) {
      const cycle = [...path.slice(path.indexOf(key)), key];
      throw invalidInput(`assets depend on each other in a cycle: ${cycle.join(' → ')}`, { cycle });
    }
    const asset = byKey.get(key);
    if (asset === undefined) return;
    onPath.add(key);
    path.push(key);
    for (const upstream of asset.spec.dependsOn) visit(upstream);
    path.pop();
    onPath.delete(key);
    done.add(key);
  };
  for (const key of byKey.keys()) visit(key);
}
