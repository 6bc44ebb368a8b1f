import { compositeKey } from '../projections/table-def.js';
import type { HandlerMap } from './handler.js';
import { iso } from './handler.js';

/** Code locations, asset definitions, dynamic partitions, schedule and sensor definitions. */
export const definitionHandlers: HandlerMap = {
  'codelocation.deployed.v1'(t, e, env) {
    const p = e.payload;
    t.codeLocations.set(p.codeLocation, {
      codeLocation: p.codeLocation,
      codeVersion: p.codeVersion,
      assets: p.assets,
      schedules: p.schedules,
      sensors: p.sensors,
      deployedBy: p.deployedBy,
      deployedAt: env.at,
      rowVersion: env.eventId,
    });
    return true;
  },

  'asset.definition-upserted.v1'(t, e, env) {
    const p = e.payload;
    t.assetDefinitions.set(p.assetKey, {
      assetKey: p.assetKey,
      codeLocation: p.codeLocation,
      codeVersion: p.codeVersion ?? null,
      partitions: p.partitions ?? null,
      dependsOn: p.dependsOn,
      description: p.description ?? null,
      groupName: p.groupName ?? null,
      pool: p.pool ?? null,
      maxAttempts: p.maxAttempts ?? null,
      retryBackoffSeconds: p.retryBackoffSeconds ?? null,
      heartbeatTimeoutSeconds: p.heartbeatTimeoutSeconds ?? null,
      freshnessSeconds: p.freshnessSeconds ?? null,
      tags: p.tags ?? null,
      updatedAt: env.at,
      rowVersion: env.eventId,
    });
    return true;
  },

  'asset.definition-removed.v1'(t, e) {
    const row = t.assetDefinitions.get(e.payload.assetKey);
    if (row === undefined || row.codeLocation !== e.payload.codeLocation) return false;
    return t.assetDefinitions.delete(e.payload.assetKey);
  },

  'partitions.dynamic-changed.v1'(t, e, env) {
    const p = e.payload;
    let changed = false;
    for (const key of p.added) {
      const rowKey = compositeKey(p.partitionsDefName, key);
      if (t.dynamicPartitions.has(rowKey)) continue;
      t.dynamicPartitions.set(rowKey, {
        partitionsDefName: p.partitionsDefName,
        partitionKey: key,
        addedAt: env.at,
        rowVersion: env.eventId,
      });
      changed = true;
    }
    for (const key of p.deleted) {
      if (t.dynamicPartitions.delete(compositeKey(p.partitionsDefName, key))) changed = true;
    }
    return changed;
  },

  'schedule.definition-upserted.v1'(t, e, env) {
    const p = e.payload;
    const existing = t.scheduleDefinitions.get(p.scheduleId);
    t.scheduleDefinitions.set(p.scheduleId, {
      scheduleId: p.scheduleId,
      codeLocation: p.codeLocation,
      name: p.name,
      source: p.source,
      cronSchedule: p.cronSchedule,
      executionTimezone: p.executionTimezone,
      assetSelection: p.assetSelection,
      description: p.description ?? null,
      catchupWindowSeconds: p.catchupWindowSeconds,
      maxCatchupTicks: p.maxCatchupTicks,
      catchupOrder: p.catchupOrder,
      overlapPolicy: p.overlapPolicy,
      dstGapPolicy: p.dstGapPolicy,
      dstOverlapPolicy: p.dstOverlapPolicy,
      partitionSelection: p.partitionSelection ?? null,
      defaultStatus: p.defaultStatus,
      codeVersion: p.codeVersion ?? null,
      lane: p.lane ?? null,
      tags: p.tags ?? null,
      createdAt: existing?.createdAt ?? env.at,
      updatedAt: env.at,
      rowVersion: env.eventId,
    });
    if (!t.scheduleState.has(p.scheduleId)) {
      t.scheduleState.set(p.scheduleId, {
        scheduleId: p.scheduleId,
        status: null,
        statusChangedAt: null,
        lastTickId: null,
        lastScheduledFor: null,
        lastTickStatus: null,
        lastRunKey: null,
        lastRunId: null,
        ticksRecorded: 0,
        rowVersion: env.eventId,
      });
    }
    return true;
  },

  'schedule.deleted.v1'(t, e) {
    // Tick history and state stay (the UI can still show them); only the definition goes.
    return t.scheduleDefinitions.delete(e.payload.scheduleId);
  },

  'sensor.definition-upserted.v1'(t, e, env) {
    const p = e.payload;
    const existing = t.sensorDefinitions.get(p.sensorId);
    t.sensorDefinitions.set(p.sensorId, {
      sensorId: p.sensorId,
      codeLocation: p.codeLocation,
      name: p.name,
      source: p.source,
      kind: p.kind,
      targetAssets: p.targetAssets,
      minimumIntervalSeconds: p.minimumIntervalSeconds,
      defaultStatus: p.defaultStatus,
      description: p.description ?? null,
      maxRunRequests: p.maxRunRequests ?? null,
      evaluationTimeoutSeconds: p.evaluationTimeoutSeconds ?? null,
      codeVersion: p.codeVersion ?? null,
      lane: p.lane ?? null,
      tags: p.tags ?? null,
      createdAt: existing?.createdAt ?? env.at,
      updatedAt: env.at,
      rowVersion: env.eventId,
    });
    if (!t.sensorState.has(p.sensorId)) {
      t.sensorState.set(p.sensorId, {
        sensorId: p.sensorId,
        status: null,
        statusChangedAt: null,
        cursor: null,
        stateVersion: 0,
        lastEvalId: null,
        lastEvaluatedAt: null,
        lastEvalStatus: null,
        lastRunKey: null,
        consecutiveFailures: 0,
        rowVersion: env.eventId,
      });
    }
    return true;
  },

  'sensor.deleted.v1'(t, e) {
    return t.sensorDefinitions.delete(e.payload.sensorId);
  },

  'push.message-quarantined.v1'(t, e, env) {
    const p = e.payload;
    if (t.quarantinedMessages.has(p.quarantineId)) return false;
    t.quarantinedMessages.set(p.quarantineId, {
      quarantineId: p.quarantineId,
      sensorName: p.sensorName ?? null,
      messageId: p.messageId ?? null,
      reason: p.reason,
      receivedAt: iso(p.receivedAt),
      bodyBase64: p.bodyBase64 ?? null,
      sizeBytes: p.sizeBytes,
      replayedAt: null,
      replayedBy: null,
      replayOutcome: null,
      rowVersion: env.eventId,
    });
    return true;
  },

  'push.message-replayed.v1'(t, e, env) {
    const row = t.quarantinedMessages.get(e.payload.quarantineId);
    if (row === undefined || row.replayedAt !== null) return false;
    t.quarantinedMessages.set(row.quarantineId, {
      ...row,
      replayedAt: env.at,
      replayedBy: e.payload.replayedBy,
      replayOutcome: e.payload.outcome,
      rowVersion: env.eventId,
    });
    return true;
  },
};
