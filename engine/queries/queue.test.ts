import { describe, expect, it } from 'vitest';
import { createAdmissionReactor } from '../automation/admission.js';
import { requestRun } from '../commands/runs.js';
import { type AdmissionPolicyInput, admissionPolicy } from '../controllers/admission.js';
import { ServoError } from '../errors.js';
import { draft } from '../model/catalog.js';
import type { Lane } from '../model/common.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { runRequest } from '../testing/payloads.js';
import { createTimedExecutor } from '../testing/timed-executor.js';
import { laneBacklog, queuedRuns, queuePlaces } from './queue.js';

const MINUTE = 60_000;
const start = Date.UTC(2026, 0, 5);

const policyInput: AdmissionPolicyInput = {
  pools: { warehouse: 1 },
  laneRateLimits: { sensor: { runs: 1, perSeconds: 3600 } },
};
const policy = admissionPolicy(policyInput);

/**
 * One warehouse slot taken by a manual run for ten minutes, the sensor lane's hourly admission
 * used, and four runs waiting behind them, a minute later (the second backfill run has priority 5).
 */
async function queue() {
  const h = await AutomationHarness.create({
    start,
    reactors: (w) => {
      const executor = createTimedExecutor(w.projections, { durationOf: () => 10 * MINUTE });
      return [createAdmissionReactor(w.projections, policyInput), executor.reactor];
    },
  });
  await h.automation.append([
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'summary', codeLocation: 'etl', dependsOn: [], pool: 'warehouse', requestId: 'd1' },
      h.clock.now(),
    ),
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'plain', codeLocation: 'etl', dependsOn: [], requestId: 'd2' },
      h.clock.now(),
    ),
  ]);
  const request = async (assetKey: string, lane: Lane, priority = 0) => {
    const { runId } = await requestRun(h.automation, { assetSelection: [assetKey], lane, priority }, 'ops');
    await h.settle();
    return runId;
  };
  const running = [await request('summary', 'manual'), await request('plain', 'sensor')];
  const waiting = {
    backfill1: await request('summary', 'backfill'),
    backfill2: await request('summary', 'backfill', 5),
    sensor: await request('plain', 'sensor'),
    schedule: await request('summary', 'schedule'),
  };
  await h.advance(MINUTE);
  return { h, running, waiting };
}

describe('queued runs view', () => {
  it('lists the queued runs in admission order with their position and why each waits', async () => {
    const { h, running, waiting } = await queue();
    expect(running.map((runId) => h.tables.runs.get(runId)?.status)).toEqual(['STARTED', 'STARTED']);
    const now = h.clock.now().getTime();
    const view = queuedRuns(h.tables, policy, now);
    expect(view.totalCount).toBe(4);
    expect(view.runs.map(({ runId, position, lane, reason }) => ({ runId, position, lane, reason }))).toEqual(
      [
        { runId: waiting.schedule, position: 1, lane: 'schedule', reason: 'pool warehouse is full (1/1)' },
        {
          runId: waiting.sensor,
          position: 2,
          lane: 'sensor',
          reason: 'lane sensor rate limit: 1 run per 3600 s reached',
        },
        {
          runId: waiting.backfill2,
          position: 3,
          lane: 'backfill',
          reason: 'pool warehouse is full (1/1); 1 run ahead wait for it too',
        },
        {
          runId: waiting.backfill1,
          position: 4,
          lane: 'backfill',
          reason: 'pool warehouse is full (1/1); 2 runs ahead wait for it too',
        },
      ],
    );
    expect(view.runs[0]).toMatchObject({
      admissible: false,
      effectiveLane: 'schedule',
      pools: ['warehouse'],
      waitingMs: MINUTE,
      cause: { kind: 'pool', pool: 'warehouse', used: 1, slots: 1 },
    });
    expect(view.nextRateWindowAt).toBe(start + 60 * MINUTE);
    await h.stop();
  });

  it('pages through the queue and refuses a page it cannot serve', async () => {
    const { h, waiting } = await queue();
    const now = h.clock.now().getTime();
    const page = queuedRuns(h.tables, policy, now, { offset: 1, limit: 2 });
    expect(page.runs.map(({ runId, position }) => [runId, position])).toEqual([
      [waiting.sensor, 2],
      [waiting.backfill2, 3],
    ]);
    expect(page.totalCount).toBe(4);
    expect(() => queuedRuns(h.tables, policy, now, { limit: 0 })).toThrow(ServoError);
    expect(() => queuedRuns(h.tables, policy, now, { offset: -1 })).toThrow(ServoError);
    await h.stop();
  });

  it('shows a run nothing holds back as admissible and first in line', async () => {
    const { h, waiting } = await queue();
    const now = h.clock.now().getTime();
    // Under a policy with a second warehouse slot the scheduled run could start now.
    const roomier = admissionPolicy({ ...policyInput, pools: { warehouse: 2 } });
    const view = queuedRuns(h.tables, roomier, now);
    expect(view.runs[0]).toMatchObject({
      runId: waiting.schedule,
      position: 1,
      admissible: true,
      cause: null,
      reason: 'nothing holds it back: it starts on the next admission pass',
    });
    expect(view.runs[1]).toMatchObject({ runId: waiting.sensor, position: 2, admissible: false });
    await h.stop();
  });
});

describe('queue places', () => {
  it('tells each queued run asked about its place and reason, and leaves other runs out', async () => {
    const { h, running, waiting } = await queue();
    const now = h.clock.now().getTime();
    const places = queuePlaces(h.tables, policy, now, [
      waiting.backfill1,
      waiting.sensor,
      running[0]!,
      'nope',
    ]);
    expect(Object.fromEntries(places)).toEqual({
      [waiting.sensor]: {
        position: 2,
        admissible: false,
        reason: 'lane sensor rate limit: 1 run per 3600 s reached',
      },
      [waiting.backfill1]: {
        position: 4,
        admissible: false,
        reason: 'pool warehouse is full (1/1); 2 runs ahead wait for it too',
      },
    });
    await h.stop();
  });
});

describe('lane backlog', () => {
  it('counts queued runs and untriggered requests per lane, with the age of the oldest', async () => {
    const { h } = await queue();
    // A request recorded without waking the reactors stays PENDING: not yet a run.
    const source = { kind: 'manual' as const, requestedBy: 'ops', requestId: 'late' };
    await h.workspace.append([
      draft(
        'run.requested.v1',
        runRequest('late', source, { assetSelection: ['plain'], lane: 'backfill' }),
        h.clock.now(),
      ),
    ]);
    const backlog = laneBacklog(h.tables, policy, h.clock.now().getTime() + MINUTE);
    expect(backlog).toEqual([
      { lane: 'manual', queuedRuns: 0, pendingRequests: 0, oldestPendingAgeMs: null, oldestQueuedAt: null },
      {
        lane: 'schedule',
        queuedRuns: 1,
        pendingRequests: 0,
        oldestPendingAgeMs: 2 * MINUTE,
        oldestQueuedAt: start,
      },
      {
        lane: 'sensor',
        queuedRuns: 1,
        pendingRequests: 0,
        oldestPendingAgeMs: 2 * MINUTE,
        oldestQueuedAt: start,
      },
      {
        lane: 'backfill',
        queuedRuns: 2,
        pendingRequests: 1,
        oldestPendingAgeMs: 2 * MINUTE,
        oldestQueuedAt: start,
      },
    ]);
    await h.stop();
  });
});
