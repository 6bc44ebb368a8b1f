import { describe, expect, it } from 'vitest';
import type { AssetDefinitionRow, RunKeyIndexRow } from '../projections/tables/index.js';
import { MAX_TASKS_PER_RUN, planRun, triggerRunDrafts } from './run-planner.js';

const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };

function asset(
  assetKey: string,
  dependsOn: string[] = [],
  partitions: AssetDefinitionRow['partitions'] = daily,
): AssetDefinitionRow {
  return {
    assetKey,
    codeLocation: 'etl',
    codeVersion: 'v1',
    partitions,
    dependsOn,
    description: null,
    groupName: null,
    pool: null,
    maxAttempts: null,
    retryBackoffSeconds: null,
    heartbeatTimeoutSeconds: null,
    freshnessSeconds: null,
    tags: null,
    updatedAt: 0,
    rowVersion: 'v',
  };
}

function request(
  assetSelection: string[],
  partitionKeys: string[] | null,
  singleRun = false,
): RunKeyIndexRow {
  return {
    runKey: 'k',
    runId: 'run_k',
    requestFingerprint: 'f',
    status: 'PENDING',
    source: { kind: 'manual', requestedBy: 'ops', requestId: 'r' },
    sourceKind: 'manual',
    lane: 'manual',
    priority: 0,
    assetSelection,
    partitionKeys,
    singleRun,
    tags: {},
    codeVersion: null,
    requestedAt: 0,
    triggeredAt: null,
    rowVersion: 'v',
  };
}

const graph = new Map([
  ['raw', asset('raw')],
  ['clean', asset('clean', ['raw'])],
  ['report', asset('report', ['clean'])],
  ['dim', asset('dim', [], null)],
  ['joined', asset('joined', ['raw', 'dim'])],
  [
    'hourly',
    asset('hourly', [], { kind: 'time', cadence: 'hourly', start: '2026-01-01-00:00', timezone: 'UTC' }),
  ],
  ['rollup', asset('rollup', ['hourly'])],
]);
const lookup = (key: string) => graph.get(key);

describe('run planner', () => {
  it('plans one task per asset × partition with same-partition dependencies', () => {
    const plan = planRun(request(['report', 'raw', 'clean'], ['2026-01-01', '2026-01-02']), lookup);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.tasks.map((task) => [task.taskKey, task.dependsOn])).toEqual([
      ['raw[2026-01-01]', []],
      ['raw[2026-01-02]', []],
      ['clean[2026-01-01]', ['raw[2026-01-01]']],
      ['clean[2026-01-02]', ['raw[2026-01-02]']],
      ['report[2026-01-01]', ['clean[2026-01-01]']],
      ['report[2026-01-02]', ['clean[2026-01-02]']],
    ]);
    expect(plan.tasks[0]).toMatchObject({
      maxAttempts: 3,
      retryBackoffSeconds: 30,
      heartbeatTimeoutSeconds: 300,
      codeVersion: 'v1',
    });
  });

  it('makes every task depend on an unpartitioned upstream, and on every task of a differently partitioned one', () => {
    const plan = planRun(request(['joined', 'raw', 'dim'], ['2026-01-01']), lookup);
    expect(plan.ok && plan.tasks.find((task) => task.assetKey === 'joined')?.dependsOn).toEqual([
      'raw[2026-01-01]',
      'dim',
    ]);
    const rollup = planRun(request(['rollup', 'hourly'], ['2026-01-01-00:00', '2026-01-01-01:00']), lookup);
    expect(
      rollup.ok &&
        rollup.tasks
          .filter((task) => task.assetKey === 'rollup')
          .every((task) => task.dependsOn.length === 2),
    ).toBe(true);
  });

  it('plans one task per asset in single-run mode', () => {
    const plan = planRun(request(['raw', 'clean'], ['2026-01-01', '2026-01-02', '2026-01-03'], true), lookup);
    expect(plan.ok && plan.tasks.map((task) => [task.taskKey, task.dependsOn])).toEqual([
      ['raw[2026-01-01..2026-01-03]', []],
      ['clean[2026-01-01..2026-01-03]', ['raw[2026-01-01..2026-01-03]']],
    ]);
  });

  it('fails with a reason for unknown assets, missing partitions, cycles and oversized runs', () => {
    expect(planRun(request(['ghost'], null), lookup)).toEqual({
      ok: false,
      reason: 'asset ghost is not defined by any code location',
    });
    expect(planRun(request(['raw'], null), lookup)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('names no partition'),
    });
    const cyclic = new Map([
      ['a', asset('a', ['b'], null)],
      ['b', asset('b', ['a'], null)],
    ]);
    expect(planRun(request(['a', 'b'], null), (key) => cyclic.get(key))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('cycle'),
    });
    const keys = Array.from({ length: MAX_TASKS_PER_RUN + 1 }, (_, index) => `p${index}`);
    expect(planRun(request(['raw'], keys), lookup)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('at most'),
    });
  });

  it('turns a request into RunTriggered + PlanCreated, or RunTriggered + PlanFailed', () => {
    const at = new Date(Date.UTC(2026, 0, 2));
    expect(triggerRunDrafts(request(['raw'], ['2026-01-01']), lookup, at).map((d) => d.type)).toEqual([
      'run.triggered.v1',
      'run.plan-created.v1',
    ]);
    expect(triggerRunDrafts(request(['ghost'], null), lookup, at).map((d) => d.type)).toEqual([
      'run.triggered.v1',
      'run.plan-failed.v1',
    ]);
  });
});
