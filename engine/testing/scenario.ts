import type { LedgerEvent, PayloadOf } from '../model/catalog.js';
import type { RunSource } from '../model/common.js';
import { requestFingerprint } from '../model/fingerprint.js';
import {
  attemptIdFor,
  backfillChunkId,
  backfillChunkRunKey,
  dispatchIdFor,
  pollEvalId,
  scheduleRunKey,
  scheduleTickId,
  taskKeyFor,
  timerIdFor,
} from '../model/ids.js';
import { EventFactory } from './event-factory.js';
import { scheduleDefinition, sensorDefinition, testRunId } from './payloads.js';

export interface ScenarioOptions {
  /** Scheduled days to simulate; each day makes about 60 events per schedule. Default 3. */
  days?: number;
  /** Schedules (each with its own asset chain). Default 3. */
  schedules?: number;
  seed?: number;
  start?: number;
}

/**
 * A deterministic, realistic ledger touching every projection table: a code-location deploy,
 * daily schedule ticks whose runs go through admission, dispatch, start, heartbeats, failures with
 * retries and success; poll sensor evaluations (one of them stale), push evaluations, a run-key
 * conflict, a backfill planned in chunks that runs to completion, dynamic partitions, timers and a
 * quarantined push message. Returned as segments, the way controllers append decisions.
 */
export function generateScenario(options: ScenarioOptions = {}): LedgerEvent[][] {
  const days = options.days ?? 3;
  const scheduleCount = options.schedules ?? 3;
  const f = new EventFactory(options.start ?? Date.UTC(2026, 0, 1), options.seed ?? 7);
  const segments: LedgerEvent[][] = [];
  const push = (...events: LedgerEvent[]) => segments.push(events);
  const at = () => new Date(f.now).toISOString();

  const schedules = Array.from({ length: scheduleCount }, (_, index) => ({
    id: `etl:daily_${index}`,
    name: `daily_${index}`,
    assets: [`raw/s${index}`, `clean/s${index}`],
  }));
  const assets = schedules.flatMap((schedule) => schedule.assets);

  // Deploy: code location, assets, schedules, sensors.
  push(
    f.make('codelocation.deployed.v1', {
      codeLocation: 'etl',
      codeVersion: 'v1',
      assets,
      schedules: schedules.map((schedule) => schedule.name),
      sensors: ['files', 'events'],
      deployedBy: 'deploy',
    }),
    ...schedules.flatMap((schedule) => [
      f.make('asset.definition-upserted.v1', {
        assetKey: schedule.assets[0]!,
        codeLocation: 'etl',
        codeVersion: 'v1',
        partitions: { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' },
        dependsOn: [],
        requestId: 'deploy-v1',
      }),
      f.make('asset.definition-upserted.v1', {
        assetKey: schedule.assets[1]!,
        codeLocation: 'etl',
        codeVersion: 'v1',
        partitions: { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' },
        dependsOn: [schedule.assets[0]!],
        pool: 'warehouse',
        requestId: 'deploy-v1',
      }),
      f.make(
        'schedule.definition-upserted.v1',
        scheduleDefinition({
          scheduleId: schedule.id,
          name: schedule.name,
          source: 'code',
          assetSelection: schedule.assets,
          requestId: 'deploy-v1',
        }),
      ),
    ]),
    f.make('sensor.definition-upserted.v1', sensorDefinition({ requestId: 'deploy-v1' })),
    f.make(
      'sensor.definition-upserted.v1',
      sensorDefinition({ sensorId: 'etl:events', name: 'events', kind: 'push', requestId: 'deploy-v1' }),
    ),
    f.make('partitions.dynamic-changed.v1', {
      partitionsDefName: 'customers',
      added: ['acme', 'globex', 'initech'],
      deleted: [],
      requestId: 'dyn-1',
      changedBy: 'ops',
    }),
  );

  /** Runs one run through its whole life, failing the first attempt of its first task on odd days. */
  const runLife = (
    runKey: string,
    source: RunSource,
    lane: PayloadOf<'run.requested.v1'>['lane'],
    runAssets: string[],
    partition: string,
    flaky: boolean,
  ) => {
    const runId = testRunId(runKey);
    const tasks = runAssets.map((asset, index) => ({
      taskKey: taskKeyFor(asset, [partition]),
      assetKey: asset,
      partitionKeys: [partition],
      dependsOn: index === 0 ? [] : [taskKeyFor(runAssets[index - 1]!, [partition])],
      maxAttempts: 3,
      retryBackoffSeconds: 30,
      heartbeatTimeoutSeconds: 300,
    }));
    f.advance(200);
    push(
      f.make('run.triggered.v1', {
        runId,
        runKey,
        source,
        lane,
        priority: 0,
        assetSelection: runAssets,
        partitionKeys: [partition],
        tags: {},
      }),
      f.make('run.plan-created.v1', { runId, tasks }),
    );
    push(f.advance(100).make('run.admitted.v1', { runId, pools: ['warehouse'] }));
    for (const task of tasks) {
      const attempts = flaky && task === tasks[0] ? 2 : 1;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const dispatchId = dispatchIdFor(runId, task.taskKey, attempt);
        const ref = { runId, taskKey: task.taskKey, attempt, attemptId: attemptIdFor(dispatchId) };
        push(
          f
            .advance(attempt === 1 ? 50 : 31_000)
            .make('task.dispatch-requested.v1', { ...ref, dispatchId, queue: 'default' }),
        );
        push(
          f.advance(20).make('task.dispatch-enqueued.v1', {
            ...ref,
            dispatchId,
            externalId: `ext-${dispatchId.length}-${attempt}`,
          }),
        );
        push(f.advance(100).make('task.started.v1', { ...ref, workerId: 'worker-1' }));
        push(f.advance(1000).make('task.heartbeat.v1', { ...ref, workerId: 'worker-1', sequence: 1 }));
        const failed = attempt < attempts;
        push(
          f.advance(2000).make('task.finished.v1', {
            ...ref,
            workerId: 'worker-1',
            outcome: failed ? 'FAILED' : 'SUCCEEDED',
            ...(failed
              ? { error: { message: 'transient', category: 'INFRASTRUCTURE' as const, retryable: true } }
              : { metadata: { rows: 42 } }),
          }),
        );
      }
    }
  };

  for (let day = 0; day < days; day++) {
    const dayStart = (options.start ?? Date.UTC(2026, 0, 1)) + (day + 1) * 86_400_000;
    if (f.now < dayStart) f.now = dayStart;
    const partition = new Date(dayStart - 86_400_000).toISOString().slice(0, 10);
    for (const schedule of schedules) {
      const runKey = scheduleRunKey(schedule.id, dayStart);
      const tickId = scheduleTickId(schedule.id, dayStart);
      const timerId = timerIdFor('schedule_tick', schedule.id, dayStart);
      push(
        f.advance(5).make('timer.fired.v1', {
          timerId,
          kind: 'schedule_tick',
          subjectId: schedule.id,
          fireAt: new Date(dayStart).toISOString(),
        }),
        f.make('schedule.ticked.v1', {
          scheduleId: schedule.id,
          tickId,
          scheduledFor: new Date(dayStart).toISOString(),
          trigger: 'cron',
          status: 'SUCCESS',
          runKeys: [runKey],
          definitionVersion: 'v1',
        }),
        f.make('run.requested.v1', {
          runKey,
          requestFingerprint: requestFingerprint({
            assetSelection: schedule.assets,
            partitionKeys: [partition],
          }),
          assetSelection: schedule.assets,
          partitionKeys: [partition],
          source: { kind: 'schedule', scheduleId: schedule.id, tickId },
          lane: 'schedule',
          priority: 0,
          tags: { 'dagster/schedule_name': schedule.name },
          singleRun: false,
        }),
        f.make('timer.requested.v1', {
          timerId: timerIdFor('schedule_tick', schedule.id, dayStart + 86_400_000),
          kind: 'schedule_tick',
          subjectId: schedule.id,
          fireAt: new Date(dayStart + 86_400_000).toISOString(),
        }),
      );
      runLife(
        runKey,
        { kind: 'schedule', scheduleId: schedule.id, tickId },
        'schedule',
        schedule.assets,
        partition,
        day % 2 === 1,
      );
    }

    // Poll sensor: one evaluation with a request, then a stale duplicate computed from the old version.
    const dueAt = dayStart + 3_600_000;
    f.now = Math.max(f.now, dueAt);
    const evalId = pollEvalId('etl:files', dueAt);
    const sensorKey = `sensor:files:${day}`;
    const version = day;
    push(
      f.make('sensor.evaluated.v1', {
        sensorId: 'etl:files',
        evalId,
        trigger: { kind: 'poll', dueAt: new Date(dueAt).toISOString() },
        cursorBefore: day === 0 ? null : `file-${day - 1}`,
        cursorAfter: `file-${day}`,
        expectedStateVersion: version,
        status: 'SUCCESS',
        runKeys: [sensorKey],
      }),
      f.make('run.requested.v1', {
        runKey: sensorKey,
        requestFingerprint: requestFingerprint({ assetSelection: [assets[0]!], partitionKeys: [partition] }),
        assetSelection: [assets[0]!],
        partitionKeys: [partition],
        source: { kind: 'sensor', sensorId: 'etl:files', evalId },
        lane: 'sensor',
        priority: 0,
        tags: {},
        singleRun: false,
      }),
    );
    const staleId = pollEvalId('etl:files', dueAt + 30_000);
    push(
      f.advance(30_000).make('sensor.evaluated.v1', {
        sensorId: 'etl:files',
        evalId: staleId,
        trigger: { kind: 'poll', dueAt: new Date(dueAt + 30_000).toISOString() },
        cursorBefore: day === 0 ? null : `file-${day - 1}`,
        cursorAfter: `stale-${day}`,
        expectedStateVersion: version,
        status: 'SUCCESS',
        runKeys: [`sensor:stale:${day}`],
      }),
      f.make('run.requested.v1', {
        runKey: `sensor:stale:${day}`,
        requestFingerprint: requestFingerprint({ assetSelection: [assets[0]!] }),
        assetSelection: [assets[0]!],
        source: { kind: 'sensor', sensorId: 'etl:files', evalId: staleId },
        lane: 'sensor',
        priority: 0,
        tags: {},
        singleRun: false,
      }),
    );
    // Push sensor with a redelivered message, and a manual request conflicting on the sensor's key.
    const messageId = `msg-${day}`;
    const pushEval = {
      sensorId: 'etl:events',
      evalId: `etl:events:msg:${messageId}`,
      trigger: { kind: 'push' as const, messageId },
      cursorBefore: null,
      cursorAfter: null,
      status: 'SUCCESS' as const,
      runKeys: [],
    };
    push(f.advance(10).make('sensor.evaluated.v1', pushEval));
    push(f.advance(10).make('sensor.evaluated.v1', pushEval, { idempotencyKey: `redelivered-${day}` }));
    push(
      f.advance(10).make('run.requested.v1', {
        runKey: sensorKey,
        requestFingerprint: requestFingerprint({ assetSelection: assets }),
        assetSelection: assets,
        source: { kind: 'manual', requestedBy: 'ops', requestId: `conflict-${day}` },
        lane: 'manual',
        priority: 0,
        tags: {},
        singleRun: false,
      }),
    );
    push(
      f.advance(10).make('push.message-quarantined.v1', {
        quarantineId: `q-${day}`,
        sensorName: 'events',
        reason: 'body is not valid JSON',
        receivedAt: at(),
        bodyBase64: 'e30K',
        sizeBytes: 3,
      }),
    );
  }

  // A backfill over two partitions in two chunks, run to completion.
  const backfillId = 'bf_scenario';
  push(
    f.advance(1000).make('backfill.created.v1', {
      backfillId,
      requestId: 'bf-req-1',
      assetSelection: [assets[0]!],
      selector: { kind: 'range', start: '2025-06-01', end: '2025-06-02' },
      totalPartitions: 2,
      chunkSize: 1,
      maxConcurrentRuns: 2,
      singleRun: false,
      tags: {},
      requestedBy: 'ops',
    }),
  );
  for (const [index, partition] of ['2025-06-01', '2025-06-02'].entries()) {
    const runKey = backfillChunkRunKey(backfillId, index);
    const chunkId = backfillChunkId(backfillId, index);
    push(
      f.advance(10).make('backfill.chunk-planned.v1', {
        backfillId,
        chunkId,
        chunkIndex: index,
        partitionKeys: [partition],
        runKey,
      }),
      f.make('run.requested.v1', {
        runKey,
        requestFingerprint: requestFingerprint({ assetSelection: [assets[0]!], partitionKeys: [partition] }),
        assetSelection: [assets[0]!],
        partitionKeys: [partition],
        source: { kind: 'backfill', backfillId, chunkId },
        lane: 'backfill',
        priority: 0,
        tags: { 'dagster/backfill': backfillId },
        singleRun: false,
      }),
    );
    runLife(runKey, { kind: 'backfill', backfillId, chunkId }, 'backfill', [assets[0]!], partition, false);
  }
  // An operator pauses and cancels a second backfill before it plans anything.
  push(
    f.advance(10).make('backfill.created.v1', {
      backfillId: 'bf_canceled',
      requestId: 'bf-req-2',
      assetSelection: [assets[0]!],
      selector: { kind: 'all' },
      totalPartitions: 10,
      chunkSize: 5,
      maxConcurrentRuns: 1,
      singleRun: false,
      tags: {},
      requestedBy: 'ops',
    }),
  );
  push(
    f.advance(10).make('backfill.state-changed.v1', {
      backfillId: 'bf_canceled',
      fromState: 'REQUESTED',
      toState: 'PAUSED',
      stateVersion: 2,
      changedBy: 'ops',
    }),
  );
  push(
    f.advance(10).make('backfill.state-changed.v1', {
      backfillId: 'bf_canceled',
      fromState: 'PAUSED',
      toState: 'CANCELING',
      stateVersion: 3,
      changedBy: 'ops',
    }),
  );
  return segments;
}
