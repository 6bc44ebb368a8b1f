import { describe, expect, it } from 'vitest';
import { draft } from '../model/catalog.js';
import { compositeKey } from '../projections/table-def.js';
import type { Workspace } from '../runtime/workspace.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { runRequest, taskAttempt } from '../testing/payloads.js';
import { createRunRequestReactor } from './run-requests.js';
import { createTaskTimers } from './tasks.js';

async function runningTask() {
  let timers: ReturnType<typeof createTaskTimers> | undefined;
  const taskTimers = (workspace: Workspace) =>
    (timers ??= createTaskTimers(workspace.projections, createRunRequestReactor(workspace.projections)));
  const h = await AutomationHarness.create({
    domains: (workspace) => [taskTimers(workspace).domain],
    reactors: (workspace) => [taskTimers(workspace).reactor],
  });
  const at = () => h.clock.now();
  await h.automation.append([
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'raw', codeLocation: 'etl', dependsOn: [], heartbeatTimeoutSeconds: 60, requestId: 'a' },
      at(),
    ),
    draft(
      'run.requested.v1',
      runRequest('k', { kind: 'manual', requestedBy: 'ops', requestId: 'r' }, { assetSelection: ['raw'] }),
      at(),
    ),
  ]);
  await h.settle();
  const run = [...h.tables.runs.values()][0]!;
  const { dispatchId, ...task } = taskAttempt(run.runId, 'raw', 1);
  await h.automation.append([
    draft('run.admitted.v1', { runId: run.runId, pools: [] }, at()),
    draft('task.dispatch-requested.v1', { ...task, dispatchId, queue: 'q' }, at()),
    draft('task.started.v1', { ...task, workerId: 'w' }, at()),
  ]);
  await h.settle();
  return { h, run, task };
}

describe('task timers', () => {
  it('fails a task that stops heartbeating, as HEARTBEAT_TIMEOUT, and waits to retry it', async () => {
    const { h, run, task } = await runningTask();
    await h.advance(89_000);
    expect(h.tables.tasks.get(compositeKey(run.runId, 'raw'))?.state).toBe('RUNNING');
    await h.advance(2_000);
    const after = h.tables.tasks.get(compositeKey(run.runId, 'raw'));
    expect(after).toMatchObject({
      state: 'RETRY_WAIT',
      attempt: 1,
      error: expect.objectContaining({ category: 'HEARTBEAT_TIMEOUT', retryable: true }),
    });
    expect(after?.retryNotBefore).toBeGreaterThan(h.clock.now().getTime());
    expect(after?.attemptId).toBe(task.attemptId);
  });

  it('checks again at the new deadline when the task heartbeated in time', async () => {
    const { h, run, task } = await runningTask();
    await h.advance(60_000);
    await h.automation.append([
      draft('task.heartbeat.v1', { ...task, workerId: 'w', sequence: 1 }, h.clock.now()),
    ]);
    await h.advance(31_000);
    expect(h.tables.tasks.get(compositeKey(run.runId, 'raw'))?.state).toBe('RUNNING');
    await h.advance(60_000);
    expect(h.tables.tasks.get(compositeKey(run.runId, 'raw'))?.state).toBe('RETRY_WAIT');
  });

  it('anti-entropy recreates the heartbeat check of a running task after a restart', async () => {
    const { h } = await runningTask();
    const timers = await h.automation.antiEntropy();
    expect(timers).toBeGreaterThanOrEqual(1);
    expect(h.timers.pending().some((timer) => timer.kind === 'heartbeat_check')).toBe(true);
  });
});
