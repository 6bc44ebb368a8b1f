import { describe, expect, it } from 'vitest';
import { ServoError } from '../errors.js';
import {
  type AdmissionPolicyInput,
  type AdmittedRun,
  admissionLookbackMs,
  admissionPolicy,
  DEFAULT_ADMISSION_POLICY,
  decideAdmissions,
  type QueuedRun,
} from './admission.js';

const T0 = Date.UTC(2026, 0, 1);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

function queued(runId: string, lane: string, extra: Partial<QueuedRun> = {}): QueuedRun {
  return { runId, lane, priority: 0, createdAt: T0, tags: {}, pools: [], ...extra };
}

function admitted(runId: string, lane: string, admittedAt: number, extra: Partial<AdmittedRun> = {}) {
  return { runId, lane, tags: {}, pools: [], admittedAt, active: true, ...extra };
}

function decide(
  input: AdmissionPolicyInput,
  runs: QueuedRun[],
  active: AdmittedRun[] = [],
  now = T0 + MINUTE,
) {
  return decideAdmissions(runs, active, admissionPolicy(input), now);
}

const ids = (runs: { runId: string }[]) => runs.map((run) => run.runId);

describe('admission policy', () => {
  it('defaults to manual > schedule > sensor > backfill, 20 runs per workspace, unlimited pools, aging after 10 minutes', () => {
    expect(DEFAULT_ADMISSION_POLICY).toEqual({
      laneOrder: ['manual', 'schedule', 'sensor', 'backfill'],
      maxConcurrentRuns: 20,
      pools: {},
      defaultPoolSlots: null,
      laneRateLimits: {},
      tagLimits: [],
      agingSeconds: 600,
    });
    expect(admissionLookbackMs(DEFAULT_ADMISSION_POLICY)).toBe(3 * 600 * SECOND);
  });

  it('reports every problem of an invalid policy at once', () => {
    const invalid = () =>
      admissionPolicy({
        laneOrder: ['manual', 'manual', 'sensor', 'backfill'],
        pools: { warehouse: -1 },
        tagLimits: [{ key: 'team' }],
      });
    expect(invalid).toThrow(ServoError);
    expect(invalid).toThrow(/laneOrder: each lane must appear once.*pools\.warehouse.*tagLimits\.0/);
  });
});

describe('lanes and priority', () => {
  it('admits the manual lane first, then schedule, sensor and backfill, whatever the age', () => {
    const runs = [
      queued('b', 'backfill', { createdAt: T0 }),
      queued('se', 'sensor', { createdAt: T0 + 1 }),
      queued('sc', 'schedule', { createdAt: T0 + 2 }),
      queued('m', 'manual', { createdAt: T0 + 3 }),
    ];
    const decision = decide({ maxConcurrentRuns: 1 }, runs);
    expect(ids(decision.admit)).toEqual(['m']);
    expect(decision.waiting.map(({ runId, position }) => [runId, position])).toEqual([
      ['sc', 1],
      ['se', 2],
      ['b', 3],
    ]);
  });

  it('follows a configured lane order', () => {
    const runs = [queued('sc', 'schedule'), queued('b', 'backfill'), queued('se', 'sensor')];
    const decision = decide(
      { maxConcurrentRuns: 1, laneOrder: ['backfill', 'sensor', 'schedule', 'manual'] },
      runs,
    );
    expect(ids(decision.admit)).toEqual(['b']);
    expect(ids(decision.waiting)).toEqual(['se', 'sc']);
  });

  it('orders a lane by priority (highest first), then oldest first, then run id', () => {
    const runs = [
      queued('old-low', 'schedule', { priority: -5, createdAt: T0 }),
      queued('new-high', 'schedule', { priority: 10, createdAt: T0 + 50 }),
      queued('z-mid', 'schedule', { priority: 0, createdAt: T0 + 10 }),
      queued('a-mid', 'schedule', { priority: 0, createdAt: T0 + 10 }),
      queued('older-mid', 'schedule', { priority: 0, createdAt: T0 + 5 }),
    ];
    const decision = decide({ maxConcurrentRuns: 0 }, runs);
    expect(ids(decision.waiting)).toEqual(['new-high', 'older-mid', 'a-mid', 'z-mid', 'old-low']);
    expect(decision.waiting[0]?.reason).toBe('admission is paused (maxConcurrentRuns is 0)');
  });

  it('is deterministic: the same runs in any order give the same decision', () => {
    const runs = Array.from({ length: 40 }, (_, i) =>
      queued(`r${i}`, ['manual', 'schedule', 'sensor', 'backfill'][i % 4]!, {
        priority: i % 3,
        createdAt: T0 + (i % 7),
        pools: i % 2 === 0 ? ['warehouse'] : [],
      }),
    );
    const policy: AdmissionPolicyInput = { maxConcurrentRuns: 12, pools: { warehouse: 5 } };
    const expected = decide(policy, runs);
    expect(decide(policy, [...runs].reverse())).toEqual(expected);
    expect(decide(policy, [...runs.slice(17), ...runs.slice(0, 17)])).toEqual(expected);
  });
});

describe('workspace limit and pools', () => {
  it('counts active runs against the workspace limit and says so', () => {
    const active = [admitted('x', 'manual', T0), admitted('y', 'manual', T0)];
    const decision = decide({ maxConcurrentRuns: 3 }, [queued('a', 'sensor'), queued('b', 'sensor')], active);
    expect(ids(decision.admit)).toEqual(['a']);
    expect(decision.waiting[0]).toMatchObject({
      runId: 'b',
      position: 1,
      reason: 'workspace limit of 3 concurrent runs reached',
      cause: { kind: 'workspace', limit: 3 },
    });
  });

  it('never fills a pool beyond its slots, counting active runs and runs admitted in the same pass', () => {
    const active = [
      admitted('x', 'schedule', T0, { pools: ['warehouse'] }),
      admitted('done', 'schedule', T0, { pools: ['warehouse'], active: false }),
    ];
    const runs = [
      queued('w1', 'backfill', { pools: ['warehouse'], createdAt: T0 + 1 }),
      queued('w2', 'backfill', { pools: ['warehouse'], createdAt: T0 + 2 }),
      queued('w3', 'backfill', { pools: ['warehouse'], createdAt: T0 + 3 }),
      queued('free', 'backfill', { createdAt: T0 + 4 }),
    ];
    const decision = decide({ pools: { warehouse: 2 } }, runs, active);
    expect(decision.admit).toEqual([
      { runId: 'w1', pools: ['warehouse'] },
      { runId: 'free', pools: [] },
    ]);
    expect(decision.waiting.map(({ runId, reason }) => [runId, reason])).toEqual([
      ['w2', 'pool warehouse is full (2/2)'],
      ['w3', 'pool warehouse is full (2/2); 1 run ahead wait for it too'],
    ]);
  });

  it('needs a slot in every pool a run uses', () => {
    const active = [admitted('x', 'manual', T0, { pools: ['gpu'] })];
    const runs = [queued('both', 'manual', { pools: ['warehouse', 'gpu'] })];
    const decision = decide({ pools: { warehouse: 4, gpu: 1 } }, runs, active);
    expect(decision.admit).toEqual([]);
    expect(decision.waiting[0]?.reason).toBe('pool gpu is full (1/1)');
  });

  it('leaves unknown pools unlimited, or limits them to defaultPoolSlots', () => {
    const runs = ['a', 'b', 'c'].map((id) => queued(id, 'sensor', { pools: ['adhoc'] }));
    expect(decide({}, runs).admit).toHaveLength(3);
    const limited = decide({ defaultPoolSlots: 1 }, runs);
    expect(ids(limited.admit)).toEqual(['a']);
    expect(limited.waiting[0]?.reason).toBe('pool adhoc is full (1/1)');
  });

  it('holds the last free slot of a pool for a run ahead that waits for another of its pools', () => {
    const active = [admitted('g', 'manual', T0, { pools: ['gpu'] })];
    const runs = [
      queued('needs-both', 'schedule', { pools: ['gpu', 'warehouse'] }),
      queued('b1', 'backfill', { pools: ['warehouse'] }),
      queued('b2', 'backfill', { pools: ['warehouse'] }),
    ];
    const decision = decide({ pools: { gpu: 1, warehouse: 2 } }, runs, active);
    // b1 may take one of warehouse's two free slots, but not the last one.
    expect(ids(decision.admit)).toEqual(['b1']);
    expect(decision.waiting.map(({ runId, reason }) => [runId, reason])).toEqual([
      ['needs-both', 'pool gpu is full (1/1)'],
      ['b2', 'the last free slot of pool warehouse is held for run needs-both, which is ahead of it'],
    ]);
  });
});

describe('rate limits', () => {
  it('limits a lane to its rate over a sliding window of admission times and says when it opens', () => {
    const now = T0 + 10 * MINUTE;
    const recent = [
      admitted('old', 'backfill', now - 90 * SECOND, { active: false }),
      admitted('p1', 'backfill', now - 40 * SECOND, { active: false }),
    ];
    const runs = ['b1', 'b2', 'b3'].map((id) => queued(id, 'backfill'));
    const policy: AdmissionPolicyInput = { laneRateLimits: { backfill: { runs: 2, perSeconds: 60 } } };
    const decision = decide(policy, [...runs, queued('s', 'sensor')], recent, now);
    expect(ids(decision.admit)).toEqual(['s', 'b1']);
    expect(decision.waiting.map(({ runId, reason }) => [runId, reason])).toEqual([
      ['b2', 'lane backfill rate limit: 2 runs per 60 s reached'],
      ['b3', 'lane backfill rate limit: 2 runs per 60 s reached; 1 run ahead wait for it too'],
    ]);
    // p1 leaves the window 60 s after it was admitted; then one more may go.
    expect(decision.wakeAt).toBe(now + 20 * SECOND);
    expect(decision.waiting[0]?.cause).toEqual({
      kind: 'laneRate',
      lane: 'backfill',
      runs: 2,
      perSeconds: 60,
      nextAt: now + 20 * SECOND,
    });
  });

  it('limits the rate per tag value with perUniqueValue, and per key across values without it', () => {
    const tagged = (id: string, value: string) =>
      queued(id, 'sensor', { tags: { 'dagster/concurrency_key': value } });
    const runs = [tagged('a1', 'db'), tagged('a2', 'db'), tagged('b1', 'api'), tagged('b2', 'api')];
    const rate = { runs: 1, perSeconds: 30 };
    const perValue = decide(
      { tagLimits: [{ key: 'dagster/concurrency_key', perUniqueValue: true, rate }] },
      runs,
    );
    expect(ids(perValue.admit)).toEqual(['a1', 'b1']);
    expect(perValue.waiting[0]?.reason).toBe(
      'tag dagster/concurrency_key=db rate limit: 1 run per 30 s reached',
    );
    const shared = decide({ tagLimits: [{ key: 'dagster/concurrency_key', rate }] }, runs);
    expect(ids(shared.admit)).toEqual(['a1']);
    expect(shared.waiting.at(-1)?.reason).toBe(
      'tag dagster/concurrency_key rate limit: 1 run per 30 s reached; 2 runs ahead wait for it too',
    );
  });

  it('limits concurrent runs by tag, counting only runs that have not ended', () => {
    const tags = { team: 'ml' };
    const active = [
      admitted('x', 'sensor', T0, { tags }),
      admitted('ended', 'sensor', T0, { tags, active: false }),
    ];
    const runs = [queued('a', 'sensor', { tags }), queued('b', 'sensor', { tags }), queued('c', 'sensor')];
    const decision = decide(
      { tagLimits: [{ key: 'team', value: 'ml', maxConcurrentRuns: 2 }] },
      runs,
      active,
    );
    expect(ids(decision.admit)).toEqual(['a', 'c']);
    expect(decision.waiting[0]?.reason).toBe('tag team=ml limit of 2 concurrent runs reached (2/2)');
  });
});

describe('aging', () => {
  const busyWarehouse = (now: number) =>
    Array.from({ length: 2 }, (_, i) =>
      admitted(`s${i}`, 'schedule', now - 30 * SECOND, { pools: ['warehouse'] }),
    );
  const policy: AdmissionPolicyInput = { pools: { warehouse: 2 }, agingSeconds: 600 };

  it('treats the first run of a lane starved for k × agingSeconds as k lanes higher, ahead of that lane', () => {
    const now = T0 + 25 * MINUTE;
    const runs = [
      queued('bf1', 'backfill', { pools: ['warehouse'], createdAt: T0 }),
      queued('bf2', 'backfill', { pools: ['warehouse'], createdAt: T0 }),
      queued('sched', 'schedule', { pools: ['warehouse'], createdAt: now - MINUTE }),
    ];
    const decision = decide(policy, runs, busyWarehouse(now), now);
    // Starved 25 minutes: two lanes up (backfill → schedule), ahead of the schedule run; only
    // the first backfill run moves, so a backlog never overtakes as a whole.
    expect(decision.waiting.map(({ runId, effectiveLane }) => [runId, effectiveLane])).toEqual([
      ['bf1', 'schedule'],
      ['sched', 'schedule'],
      ['bf2', 'backfill'],
    ]);
  });

  it('does not promote a lane that keeps getting admissions, however long its backlog waits', () => {
    const now = T0 + 60 * MINUTE;
    const recent = [
      ...busyWarehouse(now),
      admitted('bf0', 'backfill', now - 2 * MINUTE, { pools: ['warehouse'], active: false }),
    ];
    const runs = [
      queued('bf1', 'backfill', { pools: ['warehouse'], createdAt: T0 }),
      queued('sched', 'schedule', { pools: ['warehouse'], createdAt: now - MINUTE }),
    ];
    const decision = decide(policy, runs, recent, now);
    expect(ids(decision.waiting)).toEqual(['sched', 'bf1']);
  });

  it('is off with agingSeconds null', () => {
    const now = T0 + 5 * 60 * MINUTE;
    const runs = [
      queued('bf1', 'backfill', { pools: ['warehouse'], createdAt: T0 }),
      queued('sched', 'schedule', { pools: ['warehouse'], createdAt: now }),
    ];
    const decision = decide({ ...policy, agingSeconds: null }, runs, busyWarehouse(now), now);
    expect(ids(decision.waiting)).toEqual(['sched', 'bf1']);
  });
});
