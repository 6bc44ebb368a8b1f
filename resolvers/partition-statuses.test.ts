import { describe, expect, it } from 'vitest';
import { requestRun } from '../engine/commands/runs.js';
import { draft } from '../engine/model/catalog.js';
import type { PartitionsDefinition } from '../engine/model/common.js';
import { PartitionStatusIndex } from '../engine/queries/partitions.js';
import { AutomationHarness } from '../engine/testing/automation-harness.js';
import { createFastExecutor } from '../engine/testing/fast-executor.js';
import { statusSnapshot } from './partition-statuses.js';
import { partitionDefinitionOf } from './partitions.js';

/** Statuses of two-dimensional partitions in Dagster's shape, against an in-memory engine. */

const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };
const regions = { kind: 'static' as const, keys: ['eu', 'us'] };
const tiers = { kind: 'static' as const, keys: ['gold', 'silver'] };

async function materialize(partitionKeys: string[], failing: string[] = []) {
  const h = await AutomationHarness.create({
    start: Date.UTC(2026, 0, 11),
    reactors: (workspace) => [
      createFastExecutor(workspace.projections, (task) =>
        failing.some((key) => task.taskKey.includes(`[${key}]`)) ? 'FAILED' : 'SUCCEEDED',
      ),
    ],
  });
  const index = new PartitionStatusIndex(h.workspace.projections);
  const upsert = (assetKey: string, partitions: PartitionsDefinition) =>
    draft(
      'asset.definition-upserted.v1',
      { assetKey, codeLocation: 'etl', codeVersion: 'v1', dependsOn: [], requestId: assetKey, partitions },
      h.clock.now(),
    );
  await h.automation.append([
    upsert('by_region', {
      kind: 'multi',
      dimensions: [
        { name: 'region', partitions: regions },
        { name: 'date', partitions: daily },
      ],
    }),
    upsert('by_tier', {
      kind: 'multi',
      dimensions: [
        { name: 'tier', partitions: tiers },
        { name: 'region', partitions: regions },
      ],
    }),
  ]);
  for (const [assetKey, keys] of [
    ['by_region', partitionKeys.filter((key) => key.startsWith('2026'))],
    ['by_tier', partitionKeys.filter((key) => !key.startsWith('2026'))],
  ] as const) {
    if (keys.length > 0)
      await requestRun(h.automation, { assetSelection: [assetKey], partitionKeys: [...keys] }, 'ops');
  }
  await h.settle();
  const snapshot = (assetKey: string) =>
    statusSnapshot(h.tables, index, h.tables.assetDefinitions.get(assetKey)!, h.clock.now().getTime());
  return { h, snapshot };
}

describe('multi-partition statuses', () => {
  it('group the time dimension into ranges over which the other dimension looks the same', async () => {
    const { snapshot } = await materialize(
      ['2026-01-01|eu', '2026-01-01|us', '2026-01-02|eu', '2026-01-02|us', '2026-01-03|eu', '2026-01-05|us'],
      ['2026-01-03|eu'],
    );
    const { statuses, stats } = snapshot('by_region');
    expect(stats).toEqual({ numMaterialized: 5, numPartitions: 20, numFailed: 1, numMaterializing: 0 });
    expect(statuses).toEqual({
      __typename: 'MultiPartitionStatuses',
      primaryDimensionName: 'date',
      ranges: [
        {
          primaryDimStartKey: '2026-01-01',
          primaryDimEndKey: '2026-01-02',
          primaryDimStartTime: Date.UTC(2026, 0, 1) / 1000,
          primaryDimEndTime: Date.UTC(2026, 0, 3) / 1000,
          secondaryDim: {
            __typename: 'DefaultPartitionStatuses',
            materializedPartitions: ['eu', 'us'],
            failedPartitions: [],
            unmaterializedPartitions: [],
            materializingPartitions: [],
          },
        },
        {
          primaryDimStartKey: '2026-01-03',
          primaryDimEndKey: '2026-01-03',
          primaryDimStartTime: Date.UTC(2026, 0, 3) / 1000,
          primaryDimEndTime: Date.UTC(2026, 0, 4) / 1000,
          secondaryDim: {
            __typename: 'DefaultPartitionStatuses',
            materializedPartitions: [],
            failedPartitions: ['eu'],
            unmaterializedPartitions: ['us'],
            materializingPartitions: [],
          },
        },
        {
          primaryDimStartKey: '2026-01-05',
          primaryDimEndKey: '2026-01-05',
          primaryDimStartTime: Date.UTC(2026, 0, 5) / 1000,
          primaryDimEndTime: Date.UTC(2026, 0, 6) / 1000,
          secondaryDim: {
            __typename: 'DefaultPartitionStatuses',
            materializedPartitions: ['us'],
            failedPartitions: [],
            unmaterializedPartitions: ['eu'],
            materializingPartitions: [],
          },
        },
      ],
    });
  });

  it('without a time dimension, take the first dimension by name as primary', async () => {
    const { snapshot } = await materialize(['eu|gold', 'us|gold']);
    const { statuses } = snapshot('by_tier');
    expect(statuses).toMatchObject({
      __typename: 'MultiPartitionStatuses',
      primaryDimensionName: 'region',
      ranges: [
        {
          primaryDimStartKey: 'eu',
          primaryDimEndKey: 'us',
          primaryDimStartTime: null,
          secondaryDim: { materializedPartitions: ['gold'], unmaterializedPartitions: ['silver'] },
        },
      ],
    });
  });

  it('describe the definition with its dimensions sorted by name, the time one primary', () => {
    const definition = partitionDefinitionOf({
      kind: 'multi',
      dimensions: [
        { name: 'region', partitions: regions },
        { name: 'date', partitions: daily },
      ],
    });
    expect(definition).toEqual({
      description:
        'multi partitions (date: daily partitions from 2026-01-01 (UTC) × region: static partitions (2 keys))',
      type: 'MULTIPARTITIONED',
      name: null,
      fmt: null,
      dimensionTypes: [
        {
          name: 'date',
          description: 'daily partitions from 2026-01-01 (UTC)',
          type: 'TIME_WINDOW',
          isPrimaryDimension: true,
          dynamicPartitionsDefinitionName: null,
        },
        {
          name: 'region',
          description: 'static partitions (2 keys)',
          type: 'STATIC',
          isPrimaryDimension: false,
          dynamicPartitionsDefinitionName: null,
        },
      ],
    });
  });
});
