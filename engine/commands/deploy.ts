import type { AutomationContext } from '../automation/context.js';
import { CodeLocationDefinitions } from '../code-location/code-location.js';
import { ErrorCode, invalidInput, ServoError } from '../errors.js';
import { canonicalJson } from '../model/canonical-json.js';
import { draft, type EventDraft, type PayloadOf } from '../model/catalog.js';
import { sha256Hex } from '../model/hashing.js';
import { instigatorId } from '../model/ids.js';

export interface DeployResult {
  codeLocation: string;
  codeVersion: string;
  /** False when the deploy changed nothing (same version and definitions): nothing was appended. */
  changed: boolean;
  assets: { upserted: string[]; removed: string[] };
  schedules: { upserted: string[]; removed: string[] };
  sensors: { upserted: string[]; removed: string[] };
}

/**
 * Records a code location's definitions as events: the deploy itself, every asset, schedule and
 * sensor that is new or changed, and the removal of those that are gone. Operator state (a schedule
 * stopped by hand, a sensor's cursor) lives apart from definitions, so a redeploy keeps it. A
 * redeploy of identical definitions appends nothing.
 */
export async function deployCodeLocation(
  ctx: AutomationContext,
  input: unknown,
  actor: string,
): Promise<DeployResult> {
  const parsed = CodeLocationDefinitions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidInput(`invalid code location definitions: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const definitions = parsed.data;
  const location = definitions.codeLocation;
  await ctx.sync();
  const tables = ctx.tables();
  validateReferences(definitions, (assetKey) => {
    const existing = tables.assetDefinitions.get(assetKey);
    return existing !== undefined && existing.codeLocation !== location;
  });

  // Unique per deploy and ledger position: redeploying the same definitions after they were changed
  // or deleted records them again, while two identical deploys racing at one position collapse.
  const head = ctx.workspace.projections.watermark.seq;
  const requestId = `deploy:${location}:${head}:${sha256Hex(canonicalJson(definitions)).slice(0, 24)}`;
  const at = ctx.clock.now();
  const drafts: EventDraft[] = [];
  const result: DeployResult = {
    codeLocation: location,
    codeVersion: definitions.codeVersion,
    changed: false,
    assets: { upserted: [], removed: [] },
    schedules: { upserted: [], removed: [] },
    sensors: { upserted: [], removed: [] },
  };

  for (const asset of definitions.assets) {
    const payload: PayloadOf<'asset.definition-upserted.v1'> = {
      assetKey: asset.key,
      codeLocation: location,
      codeVersion: asset.codeVersion ?? definitions.codeVersion,
      ...(asset.partitions === undefined ? {} : { partitions: asset.partitions }),
      dependsOn: asset.dependsOn,
      ...optional({
        description: asset.description,
        groupName: asset.groupName,
        pool: asset.pool,
        maxAttempts: asset.maxAttempts,
        retryBackoffSeconds: asset.retryBackoffSeconds,
        heartbeatTimeoutSeconds: asset.heartbeatTimeoutSeconds,
        freshnessSeconds: asset.freshnessSeconds,
        tags: asset.tags,
      }),
      requestId,
    };
    const current = tables.assetDefinitions.get(asset.key);
    const same = current !== undefined && sameDefinition(current, payload);
    if (!same) {
      drafts.push(draft('asset.definition-upserted.v1', payload, at));
      result.assets.upserted.push(asset.key);
    }
  }
  const assetKeys = new Set(definitions.assets.map((asset) => asset.key));
  for (const row of tables.assetDefinitions.values()) {
    if (row.codeLocation === location && !assetKeys.has(row.assetKey)) {
      drafts.push(
        draft(
          'asset.definition-removed.v1',
          { assetKey: row.assetKey, codeLocation: location, requestId },
          at,
        ),
      );
      result.assets.removed.push(row.assetKey);
    }
  }

  for (const schedule of definitions.schedules) {
    const scheduleId = instigatorId(location, schedule.name);
    const payload: PayloadOf<'schedule.definition-upserted.v1'> = {
      scheduleId,
      codeLocation: location,
      name: schedule.name,
      source: 'code',
      cronSchedule: schedule.cronSchedule,
      executionTimezone: schedule.executionTimezone,
      assetSelection: schedule.assetSelection,
      catchupWindowSeconds: schedule.catchupWindowSeconds ?? ctx.limits.defaultCatchupWindowSeconds,
      maxCatchupTicks: schedule.maxCatchupTicks ?? ctx.limits.defaultMaxCatchupTicks,
      catchupOrder: schedule.catchupOrder ?? 'NEWEST_FIRST',
      overlapPolicy: schedule.overlapPolicy ?? 'ALLOW',
      dstGapPolicy: schedule.dstGapPolicy ?? 'SHIFT',
      dstOverlapPolicy: schedule.dstOverlapPolicy ?? 'LATER',
      defaultStatus: schedule.defaultStatus,
      codeVersion: definitions.codeVersion,
      ...optional({
        description: schedule.description,
        partitionSelection: schedule.partitionSelection,
        tags: schedule.tags,
      }),
      changedBy: actor,
      requestId,
    };
    const current = tables.scheduleDefinitions.get(scheduleId);
    if (current === undefined || !sameDefinition(current, payload)) {
      drafts.push(draft('schedule.definition-upserted.v1', payload, at));
      result.schedules.upserted.push(scheduleId);
    }
  }
  const scheduleIds = new Set(definitions.schedules.map((schedule) => instigatorId(location, schedule.name)));
  for (const row of tables.scheduleDefinitions.values()) {
    if (row.codeLocation === location && row.source === 'code' && !scheduleIds.has(row.scheduleId)) {
      drafts.push(
        draft('schedule.deleted.v1', { scheduleId: row.scheduleId, deletedBy: actor, requestId }, at),
      );
      result.schedules.removed.push(row.scheduleId);
    }
  }

  for (const sensor of definitions.sensors) {
    const sensorId = instigatorId(location, sensor.name);
    const current = tables.sensorDefinitions.get(sensorId);
    const payload: PayloadOf<'sensor.definition-upserted.v1'> = {
      sensorId,
      codeLocation: location,
      name: sensor.name,
      source: 'code',
      kind: sensor.kind,
      targetAssets: sensor.targetAssets,
      minimumIntervalSeconds: Math.max(
        sensor.minimumIntervalSeconds ?? ctx.limits.minimumSensorIntervalSeconds,
        ctx.limits.minimumSensorIntervalSeconds,
      ),
      defaultStatus: sensor.defaultStatus,
      codeVersion: definitions.codeVersion,
      ...optional({
        description: sensor.description,
        tags: sensor.tags,
        maxRunRequests: sensor.maxRunRequests,
        evaluationTimeoutSeconds: sensor.evaluationTimeoutSeconds,
      }),
      changedBy: actor,
      requestId,
    };
    if (current === undefined || !sameDefinition(current, payload)) {
      drafts.push(draft('sensor.definition-upserted.v1', payload, at));
      result.sensors.upserted.push(sensorId);
    }
  }
  const sensorIds = new Set(definitions.sensors.map((sensor) => instigatorId(location, sensor.name)));
  for (const row of tables.sensorDefinitions.values()) {
    if (row.codeLocation === location && row.source === 'code' && !sensorIds.has(row.sensorId)) {
      drafts.push(draft('sensor.deleted.v1', { sensorId: row.sensorId, deletedBy: actor, requestId }, at));
      result.sensors.removed.push(row.sensorId);
    }
  }

  const deployed = tables.codeLocations.get(location);
  if (drafts.length === 0 && deployed?.codeVersion === definitions.codeVersion) return result;
  drafts.unshift(
    draft(
      'codelocation.deployed.v1',
      {
        codeLocation: location,
        codeVersion: definitions.codeVersion,
        assets: definitions.assets.map((asset) => asset.key),
        schedules: definitions.schedules.map((schedule) => schedule.name),
        sensors: definitions.sensors.map((sensor) => sensor.name),
        deployedBy: actor,
      },
      at,
    ),
  );
  await ctx.append(drafts);
  result.changed = true;
  return result;
}

/** Every reference must resolve: dependencies, schedule selections and sensor targets. */
function validateReferences(
  definitions: CodeLocationDefinitions,
  definedElsewhere: (assetKey: string) => boolean,
): void {
  const keys = new Set<string>();
  for (const asset of definitions.assets) {
    if (keys.has(asset.key))
      throw invalidInput(`asset ${asset.key} is defined twice in ${definitions.codeLocation}`);
    keys.add(asset.key);
    if (definedElsewhere(asset.key)) {
      throw new ServoError(
        ErrorCode.InvalidInput,
        `asset ${asset.key} is already defined by another code location`,
      );
    }
  }
  const known = (assetKey: string) => keys.has(assetKey) || definedElsewhere(assetKey);
  for (const asset of definitions.assets) {
    for (const upstream of asset.dependsOn) {
      if (!known(upstream))
        throw invalidInput(`asset ${asset.key} depends on ${upstream}, which no code location defines`);
    }
  }
  const names = new Set<string>();
  for (const schedule of definitions.schedules) {
    if (names.has(`schedule:${schedule.name}`))
      throw invalidInput(`schedule ${schedule.name} is defined twice`);
    names.add(`schedule:${schedule.name}`);
    for (const assetKey of schedule.assetSelection) {
      if (!known(assetKey))
        throw invalidInput(`schedule ${schedule.name} selects ${assetKey}, which no code location defines`);
    }
  }
  for (const sensor of definitions.sensors) {
    if (names.has(`sensor:${sensor.name}`)) throw invalidInput(`sensor ${sensor.name} is defined twice`);
    names.add(`sensor:${sensor.name}`);
    for (const assetKey of sensor.targetAssets) {
      if (!known(assetKey))
        throw invalidInput(`sensor ${sensor.name} targets ${assetKey}, which no code location defines`);
    }
  }
}

/** Whether a stored definition row already says what a new upsert would (ignoring who and when). */
function sameDefinition(row: object, payload: object): boolean {
  const ignored = new Set(['changedBy', 'requestId', 'createdAt', 'updatedAt', 'rowVersion']);
  const pick = (value: object) =>
    Object.fromEntries(
      Object.entries(value).filter(
        ([key, field]) => !ignored.has(key) && field !== null && field !== undefined,
      ),
    );
  return canonicalJson(pick(row)) === canonicalJson(pick(payload));
}

/** Copies only the defined members (optional payload fields are omitted, never undefined). */
function optional<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
