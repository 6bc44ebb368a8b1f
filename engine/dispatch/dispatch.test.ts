import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../automation/dispatcher.js';
import { createRunRequestReactor } from '../automation/run-requests.js';
import { createTaskTimers } from '../automation/tasks.js';
import { requestRun, terminateRuns } from '../commands/runs.js';
import { ErrorCode } from '../errors.js';
import { draft } from '../model/catalog.js';
import { compositeKey } from '../projections/table-def.js';
import type { Workspace } from '../runtime/workspace.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { type AttemptBehaviour, CallbackExecutor } from '../testing/callback-executor.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { createTaskCallbacks } from './callbacks.js';
import { createDirectDispatchQueue } from './dispatch-queue.js';
import { TaskTokens } from './task-token.js';

const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };
const secret = new TextEncoder().encode('dispatch-test-secret');

/** Admission is not under test here: the fast executor admits runs and leaves dispatch to the dispatcher. */
async function setup(behaviour?: AttemptBehaviour) {
  const executor = new CallbackExecutor(behaviour);
  const tokens = new TaskTokens(secret, 3600);
  let timers: ReturnType<typeof createTaskTimers> | undefined;
  const taskTimers = (workspace: Workspace) =>
    (timers ??= createTaskTimers(workspace.projections, createRunRequestReactor(workspace.projections)));
  const h = await AutomationHarness.create({
    start: Date.UTC(2026, 0, 10),
    domains: (workspace) => [taskTimers(workspace).domain],
    reactors: (workspace) => [
      createFastExecutor(workspace.projections, () => 'SUCCEEDED', 4000, { dispatch: false }),
      createDispatcher(workspace.projections, {
        queue: createDirectDispatchQueue(executor),
        tokens,
        callbackBaseUrl: 'http://127.0.0.1:1',
      }),
      taskTimers(workspace).reactor,
    ],
  });
  const callbacks = createTaskCallbacks(h.automation, tokens);
  executor.callbacks = callbacks;
  await h.automation.append(
    [
      { assetKey: 'raw', dependsOn: [] },
      { assetKey: 'clean', dependsOn: ['raw'] },
      { assetKey: 'report', dependsOn: ['clean'] },
    ].map((asset) =>
      draft(
        'asset.definition-upserted.v1',
        {
          ...asset,
          codeLocation: 'etl',
          partitions: daily,
          maxAttempts: 3,
          retryBackoffSeconds: 30,
          heartbeatTimeoutSeconds: 60,
          requestId: 'd',
        },
        h.clock.now(),
      ),
    ),
  );
  const drain = async () => {
    for (let round = 0; round < 50; round++) {
      await h.settle();
      if (!executor.busy) return;
      await executor.idle();
    }
  };
  return { h, executor, tokens, callbacks, drain };
}

const status = (h: AutomationHarness, asset: string, partition: string) =>
  h.tables.partitionStatus.get(compositeKey(asset, partition));

describe('dispatch and task callbacks', () => {
  it('runs three dependent assets over two partitions to success with correct partition status', async () => {
    const { h, executor, drain } = await setup();
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw', 'clean', 'report'], partitionKeys: ['2026-01-01', '2026-01-02'] },
      'ops',
    );
    await drain();
    expect(h.tables.runs.get(runId)).toMatchObject({ status: 'SUCCESS', tasksSucceeded: 6 });
    // Each task was delivered once, after its upstream succeeded.
    expect(executor.delivered.map((envelope) => envelope.taskKey)).toEqual([
      'raw[2026-01-01]',
      'raw[2026-01-02]',
      'clean[2026-01-01]',
      'clean[2026-01-02]',
      'report[2026-01-01]',
      'report[2026-01-02]',
    ]);
    for (const asset of ['raw', 'clean', 'report']) {
      for (const partition of ['2026-01-01', '2026-01-02']) {
        expect(status(h, asset, partition)).toMatchObject({
          lastMaterializationRunId: runId,
          lastAttemptOutcome: 'SUCCEEDED',
          inFlightRunId: null,
        });
      }
    }
  });

  it('retries a failure after its backoff and keeps the earlier materialization visible meanwhile', async () => {
    let failNext = false;
    const { h, drain } = await setup((envelope) => {
      if (failNext && envelope.attempt === 1) return { outcome: 'FAILED', message: 'flaky warehouse' };
      return { outcome: 'SUCCEEDED' };
    });
    const first = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-03'] },
      'ops',
    );
    await drain();
    failNext = true;
    const second = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-03'] },
      'ops',
    );
    await drain();
    expect(h.tables.tasks.get(compositeKey(second.runId, 'raw[2026-01-03]'))?.state).toBe('RETRY_WAIT');
    expect(status(h, 'raw', '2026-01-03')).toMatchObject({
      lastMaterializationRunId: first.runId,
      lastAttemptRunId: second.runId,
      lastAttemptOutcome: 'FAILED',
    });
    await h.advance(31_000);
    await drain();
    expect(h.tables.runs.get(second.runId)?.status).toBe('SUCCESS');
    expect(h.tables.tasks.get(compositeKey(second.runId, 'raw[2026-01-03]'))?.attempt).toBe(2);
    expect(status(h, 'raw', '2026-01-03')).toMatchObject({
      lastMaterializationRunId: second.runId,
      lastAttemptOutcome: 'SUCCEEDED',
    });
  });

  it('retries an attempt whose worker stopped heartbeating', async () => {
    const { h, executor, drain } = await setup((envelope) =>
      envelope.attempt === 1 ? { outcome: 'HANG' } : { outcome: 'SUCCEEDED' },
    );
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-04'] },
      'ops',
    );
    await drain();
    expect(h.tables.tasks.get(compositeKey(runId, 'raw[2026-01-04]'))?.state).toBe('RUNNING');
    await h.advance(91_000);
    await drain();
    await h.advance(31_000);
    await drain();
    expect(h.tables.runs.get(runId)?.status).toBe('SUCCESS');
    expect(executor.delivered.map((envelope) => envelope.attempt)).toEqual([1, 2]);
  });

  it('retries an attempt that was delivered but never started', async () => {
    const { h, executor, drain } = await setup((envelope) =>
      envelope.attempt === 1 ? { outcome: 'LOST' } : { outcome: 'SUCCEEDED' },
    );
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-09'] },
      'ops',
    );
    await drain();
    expect(h.tables.tasks.get(compositeKey(runId, 'raw[2026-01-09]'))?.state).toBe('DISPATCHED');
    await h.advance(10 * 60_000 + 1000);
    await drain();
    await h.advance(31_000);
    await drain();
    expect(h.tables.runs.get(runId)?.status).toBe('SUCCESS');
    expect(executor.delivered.map((envelope) => envelope.attempt)).toEqual([1, 2]);
  });

  it('changes nothing on duplicate or reordered callbacks', async () => {
    const { h, executor, callbacks, drain } = await setup();
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-05'] },
      'ops',
    );
    await drain();
    const envelope = executor.delivered[0]!;
    const ref = {
      runId,
      taskKey: envelope.taskKey,
      attempt: 1,
      attemptId: envelope.attemptId,
      workerId: 'w',
    };
    const head = (await h.workspace.ledger.discoverHead()).seq;
    await expect(
      callbacks.finished(envelope.taskToken, { ...ref, outcome: 'SUCCEEDED' }),
    ).resolves.toMatchObject({ acknowledged: true });
    // A started arriving after the finish is refused as a finished attempt; nothing is appended.
    await expect(callbacks.started(envelope.taskToken, ref)).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
    });
    await expect(callbacks.heartbeat(envelope.taskToken, { ...ref, sequence: 5 })).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
    });
    expect((await h.workspace.ledger.discoverHead()).seq).toBe(head);
    expect(h.tables.runs.get(runId)?.tasksSucceeded).toBe(1);
  });

  it('rejects forged, expired and wrong-attempt tokens and appends nothing', async () => {
    const { h, executor, tokens, callbacks, drain } = await setup((envelope) =>
      envelope.attempt === 1 ? { outcome: 'HANG' } : { outcome: 'SUCCEEDED' },
    );
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-06'] },
      'ops',
    );
    await drain();
    const envelope = executor.delivered[0]!;
    const ref = {
      runId,
      taskKey: envelope.taskKey,
      attempt: 1,
      attemptId: envelope.attemptId,
      workerId: 'w',
    };
    const head = (await h.workspace.ledger.discoverHead()).seq;
    const forged = new TaskTokens(new TextEncoder().encode('another-secret-entirely'));
    const forgedToken = (
      await forged.sign(
        {
          tenantId: 'acme',
          workspaceId: 'prod',
          runId,
          taskKey: envelope.taskKey,
          attempt: 1,
          attemptId: envelope.attemptId,
        },
        h.clock.now(),
      )
    ).token;
    await expect(callbacks.finished(forgedToken, { ...ref, outcome: 'SUCCEEDED' })).rejects.toMatchObject({
      code: ErrorCode.Unauthorized,
      message: 'task token signature is invalid',
    });
    const expired = (
      await new TaskTokens(secret, 1).sign(
        {
          tenantId: 'acme',
          workspaceId: 'prod',
          runId,
          taskKey: envelope.taskKey,
          attempt: 1,
          attemptId: envelope.attemptId,
        },
        new Date(h.clock.now().getTime() - 10_000),
      )
    ).token;
    await expect(callbacks.finished(expired, { ...ref, outcome: 'SUCCEEDED' })).rejects.toMatchObject({
      code: ErrorCode.Unauthorized,
      message: 'task token expired',
    });
    // The token of attempt 1 cannot report for another attempt id.
    await expect(
      callbacks.finished(envelope.taskToken, {
        ...ref,
        attemptId: 'att_000000000000000000000000',
        outcome: 'SUCCEEDED',
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Unauthorized });
    // A valid token of a superseded attempt is refused with ILLEGAL_STATE (409).
    const stale = (
      await tokens.sign(
        {
          tenantId: 'acme',
          workspaceId: 'prod',
          runId,
          taskKey: envelope.taskKey,
          attempt: 2,
          attemptId: 'att_000000000000000000000002',
        },
        h.clock.now(),
      )
    ).token;
    await expect(
      callbacks.finished(stale, {
        ...ref,
        attempt: 2,
        attemptId: 'att_000000000000000000000002',
        outcome: 'SUCCEEDED',
      }),
    ).rejects.toMatchObject({ code: ErrorCode.IllegalState });
    expect((await h.workspace.ledger.discoverHead()).seq).toBe(head);
  });

  it('terminates a running run: running workers are told to stop, and the run ends CANCELED', async () => {
    const { h, executor, callbacks, drain } = await setup(() => ({ outcome: 'HANG' }));
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw', 'clean'], partitionKeys: ['2026-01-07'] },
      'ops',
    );
    await drain();
    await terminateRuns(h.automation, [runId], { force: false }, 'ops');
    const envelope = executor.delivered[0]!;
    const ref = {
      runId,
      taskKey: envelope.taskKey,
      attempt: 1,
      attemptId: envelope.attemptId,
      workerId: 'w',
    };
    expect(await callbacks.heartbeat(envelope.taskToken, { ...ref, sequence: 1 })).toMatchObject({
      shouldCancel: true,
    });
    expect(h.tables.runs.get(runId)?.status).toBe('CANCELING');
    await callbacks.finished(envelope.taskToken, { ...ref, outcome: 'CANCELED' });
    await drain();
    expect(h.tables.runs.get(runId)?.status).toBe('CANCELED');
    expect(executor.delivered).toHaveLength(1);
  });

  it('forces a termination whose running tasks do not stop within the grace period', async () => {
    const { h, drain } = await setup(() => ({ outcome: 'HANG' }));
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-08'] },
      'ops',
    );
    await drain();
    await terminateRuns(h.automation, [runId], { force: false }, 'ops');
    await h.advance(30_000);
    expect(h.tables.runs.get(runId)?.status).toBe('CANCELING');
    await h.advance(31_000);
    expect(h.tables.runs.get(runId)).toMatchObject({ status: 'CANCELED', forceCancel: true });
  });
});
