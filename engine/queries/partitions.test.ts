import { describe, expect, it } from 'vitest';
import { requestRun } from '../commands/runs.js';
import { draft } from '../model/catalog.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { assetPartitionStatuses, PartitionStatusIndex, staleness } from './partitions.js';

const DAY = 86_400_000;
const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };

async function harness(failOn: (taskKey: string) => boolean = () => false) {
  const h = await AutomationHarness.create({
    start: Date.UTC(2026, 0, 11),
    reactors: (workspace) => [
      createFastExecutor(workspace.projections, (task) => (failOn(task.taskKey) ? 'FAILED' : 'SUCCEEDED')),
    ],
  });
  const index = new PartitionStatusIndex(h.workspace.projections);
  const asset = (assetKey: string, extra: object = {}) =>
    draft(
      'asset.definition-upserted.v1',
      {
        assetKey,
        codeLocation: 'etl',
        codeVersion: 'v1',
        dependsOn: [],
        requestId: `${assetKey}-1`,
        ...extra,
      },
      h.clock.now(),
    );
  await h.automation.append([
    asset('raw', { partitions: daily }),
    asset('clean', { partitions: daily, dependsOn: ['raw'], freshnessSeconds: 86_400 }),
    asset('regions', { partitions: { kind: 'static', keys: ['eu', 'us', 'apac'] } }),
    asset('summary', { dependsOn: ['raw'] }),
  ]);
  return { h, index };
}

const statusesOf = (h: AutomationHarness, index: PartitionStatusIndex, assetKey: string) =>
  assetPartitionStatuses(h.tables, index, h.tables.assetDefinitions.get(assetKey)!, h.clock.now().getTime());

describe('partition status', () => {
  it('returns time-window statuses as contiguous ranges of materialized and failed partitions', async () => {
    const { h, index } = await harness((taskKey) => taskKey === 'raw[2026-01-04]');
    const keys = ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-06'];
    await requestRun(h.automation, { assetSelection: ['raw'], partitionKeys: keys }, 'ops');
    await h.settle();
    const statuses = statusesOf(h, index, 'raw');
    expect(statuses).toMatchObject({
      kind: 'timeWindow',
      total: 10,
      ranges: [
        {
          startKey: '2026-01-01',
          endKey: '2026-01-03',
          status: 'MATERIALIZED',
          startTime: Date.UTC(2026, 0, 1),
          endTime: Date.UTC(2026, 0, 4),
        },
        { startKey: '2026-01-04', endKey: '2026-01-04', status: 'FAILED' },
        { startKey: '2026-01-06', endKey: '2026-01-06', status: 'MATERIALIZED' },
      ],
    });
  });

  it('shows MATERIALIZING while a run is in flight, and lists static keys by status', async () => {
    const h = await AutomationHarness.create({ start: Date.UTC(2026, 0, 11) });
    const index = new PartitionStatusIndex(h.workspace.projections);
    await h.automation.append([
      draft(
        'asset.definition-upserted.v1',
        {
          assetKey: 'regions',
          codeLocation: 'etl',
          partitions: { kind: 'static', keys: ['eu', 'us', 'apac'] },
          dependsOn: [],
          requestId: 'r',
        },
        h.clock.now(),
      ),
    ]);
    await requestRun(h.automation, { assetSelection: ['regions'], partitionKeys: ['us'] }, 'ops');
    await h.settle();
    expect(statusesOf(h, index, 'regions')).toEqual({
      kind: 'keys',
      materialized: [],
      failed: [],
      materializing: ['us'],
      unmaterialized: ['eu', 'apac'],
      total: 3,
    });
  });

  it('computes staleness at query time: never materialized, code changed, upstream newer, freshness passed', async () => {
    const { h, index } = await harness();
    const newest = (assetKey: string) => index.newestMaterialization(assetKey);
    const clean = () => h.tables.assetDefinitions.get('clean')!;
    const now = () => h.clock.now().getTime();
    expect(staleness(h.tables, clean(), '2026-01-05', now(), newest).reason).toBe('NEVER_MATERIALIZED');
    await requestRun(
      h.automation,
      { assetSelection: ['raw', 'clean'], partitionKeys: ['2026-01-05'] },
      'ops',
    );
    await h.settle();
    expect(staleness(h.tables, clean(), '2026-01-05', now(), newest)).toMatchObject({
      stale: false,
      reason: null,
    });
    // Upstream materialized again later.
    await h.advance(60_000);
    await requestRun(h.automation, { assetSelection: ['raw'], partitionKeys: ['2026-01-05'] }, 'ops');
    await h.settle();
    expect(staleness(h.tables, clean(), '2026-01-05', now(), newest)).toMatchObject({
      stale: true,
      reason: 'UPSTREAM_CHANGED',
      cause: 'raw[2026-01-05]',
    });
    await requestRun(h.automation, { assetSelection: ['clean'], partitionKeys: ['2026-01-05'] }, 'ops');
    await h.settle();
    expect(staleness(h.tables, clean(), '2026-01-05', now(), newest).stale).toBe(false);
    // Freshness deadline (one day) passes.
    await h.advance(DAY + 1000);
    expect(staleness(h.tables, clean(), '2026-01-05', now(), newest).reason).toBe('FRESHNESS_DEADLINE');
    // A new code version makes the materialization stale.
    await h.automation.append([
      draft(
        'asset.definition-upserted.v1',
        {
          assetKey: 'clean',
          codeLocation: 'etl',
          codeVersion: 'v2',
          partitions: daily,
          dependsOn: ['raw'],
          requestId: 'clean-2',
        },
        h.clock.now(),
      ),
    ]);
    expect(staleness(h.tables, clean(), '2026-01-05', now(), newest).reason).toBe('CODE_CHANGED');
  });

  it('treats an unpartitioned downstream as stale when its unpartitioned-to-partitioned upstream materialized later', async () => {
    const { h, index } = await harness();
    await requestRun(h.automation, { assetSelection: ['summary'] }, 'ops');
    await h.settle();
    expect(
      staleness(h.tables, h.tables.assetDefinitions.get('summary')!, '', h.clock.now().getTime(), (key) =>
        index.newestMaterialization(key),
      ).reason,
    ).toBe('UPSTREAM_NEVER_MATERIALIZED');
    await h.advance(1000);
    await requestRun(h.automation, { assetSelection: ['raw'], partitionKeys: ['2026-01-02'] }, 'ops');
    await h.settle();
    expect(
      staleness(h.tables, h.tables.assetDefinitions.get('summary')!, '', h.clock.now().getTime(), (key) =>
        index.newestMaterialization(key),
      ).reason,
    ).toBe('UPSTREAM_CHANGED');
    expect(statusesOf(h, index, 'summary')).toEqual({ kind: 'unpartitioned', status: 'MATERIALIZED' });
  });
});
