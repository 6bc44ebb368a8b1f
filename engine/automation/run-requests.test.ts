import { describe, expect, it } from 'vitest';
import { draft } from '../model/catalog.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { runRequest } from '../testing/payloads.js';

const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };

async function harness() {
  const h = await AutomationHarness.create({
    reactors: (workspace) => [createFastExecutor(workspace.projections)],
  });
  const at = h.clock.now();
  await h.automation.append([
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'raw', codeLocation: 'etl', partitions: daily, dependsOn: [], requestId: 'd' },
      at,
    ),
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'clean', codeLocation: 'etl', partitions: daily, dependsOn: ['raw'], requestId: 'd' },
      at,
    ),
  ]);
  return h;
}

describe('run-request reactor', () => {
  it('turns a run request into a planned run that runs to success', async () => {
    const h = await harness();
    const source = { kind: 'manual' as const, requestedBy: 'ops', requestId: 'r1' };
    await h.automation.append([
      draft(
        'run.requested.v1',
        runRequest('k1', source, { assetSelection: ['raw', 'clean'], partitionKeys: ['2026-01-01'] }),
        h.clock.now(),
      ),
    ]);
    await h.settle();
    const run = [...h.tables.runs.values()][0];
    expect(run?.runKey).toBe('k1');
    expect(run?.status).toBe('SUCCESS');
    expect(run?.tasksTotal).toBe(2);
    expect(h.tables.runKeyIndex.get('k1')?.status).toBe('TRIGGERED');
  });

  it('fails a run whose assets are not defined, with the reason', async () => {
    const h = await harness();
    const source = { kind: 'manual' as const, requestedBy: 'ops', requestId: 'r2' };
    await h.automation.append([
      draft('run.requested.v1', runRequest('k2', source, { assetSelection: ['ghost'] }), h.clock.now()),
    ]);
    await h.settle();
    const run = [...h.tables.runs.values()][0];
    expect(run).toMatchObject({
      status: 'FAILURE',
      failureReason: 'asset ghost is not defined by any code location',
    });
  });
});
