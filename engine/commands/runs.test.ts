import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { draft } from '../model/catalog.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { changeDynamicPartitions, deleteRun, requestRun, terminateRuns } from './runs.js';

const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };

async function harness(executor = true) {
  const h = await AutomationHarness.create({
    start: Date.UTC(2026, 1, 1),
    reactors: (workspace) => (executor ? [createFastExecutor(workspace.projections)] : []),
  });
  await h.automation.append([
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'raw', codeLocation: 'etl', partitions: daily, dependsOn: [], requestId: 'a' },
      h.clock.now(),
    ),
    draft(
      'asset.definition-upserted.v1',
      {
        assetKey: 'customers',
        codeLocation: 'etl',
        partitions: { kind: 'dynamic', name: 'customers' },
        dependsOn: [],
        requestId: 'b',
      },
      h.clock.now(),
    ),
  ]);
  return h;
}

describe('run commands', () => {
  it('requests a run whose id is known at once and runs it', async () => {
    const h = await harness();
    const { runId, runKey } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-05'], runKey: 'adhoc-1' },
      'alice',
    );
    await h.settle();
    expect(runKey).toBe('adhoc-1');
    const again = { assetSelection: ['raw'], partitionKeys: ['2026-01-05'], runKey: 'adhoc-1' };
    expect(await requestRun(h.automation, again, 'bob')).toEqual({ runId, runKey, conflicting: false });
    const other = { ...again, partitionKeys: ['2026-01-06'] };
    expect(await requestRun(h.automation, other, 'bob')).toEqual({ runId, runKey, conflicting: true });
    expect(h.tables.runKeyConflicts.size).toBe(1);
    expect(h.tables.runs.get(runId)).toMatchObject({
      status: 'SUCCESS',
      lane: 'manual',
      tags: expect.objectContaining({ 'servo/requested_by': 'alice' }),
    });
  });

  it('rejects unknown assets, missing partitions and partitions outside the definition, appending nothing', async () => {
    const h = await harness();
    const before = (await h.workspace.ledger.discoverHead()).seq;
    await expect(requestRun(h.automation, { assetSelection: ['ghost'] }, 'a')).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    await expect(requestRun(h.automation, { assetSelection: ['raw'] }, 'a')).rejects.toMatchObject({
      code: ErrorCode.InvalidInput,
    });
    await expect(
      requestRun(h.automation, { assetSelection: ['raw'], partitionKeys: ['2025-12-31'] }, 'a'),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(
      requestRun(h.automation, { assetSelection: ['raw'], partitionKeys: ['not-a-date'] }, 'a'),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    expect((await h.workspace.ledger.discoverHead()).seq).toBe(before);
  });

  it('requests a run over a partition range, checked like the keys it stands for', async () => {
    const h = await harness();
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionRange: { start: '2026-01-05', end: '2026-01-07' } },
      'alice',
    );
    await h.settle();
    expect(h.tables.runs.get(runId)).toMatchObject({
      status: 'SUCCESS',
      partitionKeys: ['2026-01-05', '2026-01-06', '2026-01-07'],
    });
    const range = (start: string, end: string) =>
      requestRun(h.automation, { assetSelection: ['raw'], partitionRange: { start, end } }, 'a');
    await expect(range('2026-01-07', '2026-01-05')).rejects.toThrow(/is empty/);
    await expect(range('2025-12-01', '2026-01-05')).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(
      requestRun(
        h.automation,
        {
          assetSelection: ['raw'],
          partitionKeys: ['2026-01-05'],
          partitionRange: { start: '2026-01-05', end: '2026-01-05' },
        },
        'a',
      ),
    ).rejects.toThrow(/not both/);
  });

  it('terminates queued runs, skips finished ones, and deletes only finished runs', async () => {
    const h = await harness(false);
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['raw'], partitionKeys: ['2026-01-05'] },
      'a',
    );
    await h.settle();
    await expect(deleteRun(h.automation, runId, 'a')).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    expect(await terminateRuns(h.automation, [runId, 'run_missing'], { force: false }, 'a')).toEqual([
      { runId, outcome: 'terminating' },
      { runId: 'run_missing', outcome: 'not-found' },
    ]);
    expect(h.tables.runs.get(runId)?.status).toBe('CANCELED');
    expect(await terminateRuns(h.automation, [runId], { force: true }, 'a')).toEqual([
      { runId, outcome: 'already-finished' },
    ]);
    await deleteRun(h.automation, runId, 'a');
    expect(h.tables.runs.has(runId)).toBe(false);
  });

  it('adds and deletes dynamic partitions of a definition an asset uses', async () => {
    const h = await harness();
    await changeDynamicPartitions(
      h.automation,
      { partitionsDefName: 'customers', added: ['acme', 'globex'] },
      'ops',
    );
    const { runId } = await requestRun(
      h.automation,
      { assetSelection: ['customers'], partitionKeys: ['acme'] },
      'a',
    );
    await h.settle();
    expect(h.tables.runs.get(runId)?.status).toBe('SUCCESS');
    await changeDynamicPartitions(h.automation, { partitionsDefName: 'customers', deleted: ['acme'] }, 'ops');
    await expect(
      requestRun(h.automation, { assetSelection: ['customers'], partitionKeys: ['acme'] }, 'a'),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await expect(
      changeDynamicPartitions(h.automation, { partitionsDefName: 'nobody', added: ['x'] }, 'ops'),
    ).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});
