import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { draft } from '../model/catalog.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { deployCodeLocation } from './deploy.js';

const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };

function definitions(overrides: { cron?: string; assets?: string[]; codeVersion?: string } = {}) {
  const assets = overrides.assets ?? ['raw', 'clean'];
  return {
    codeLocation: 'etl',
    codeVersion: overrides.codeVersion ?? 'v1',
    assets: assets.map((key, index) => ({
      key,
      partitions: daily,
      dependsOn: index === 0 ? [] : [assets[0]!],
    })),
    schedules: [{ name: 'daily', cronSchedule: overrides.cron ?? '0 1 * * *', assetSelection: [assets[0]!] }],
    sensors: [{ name: 'files', kind: 'poll' as const, targetAssets: [assets[0]!] }],
  };
}

async function ledgerLength(h: AutomationHarness): Promise<number> {
  return (await h.workspace.ledger.discoverHead()).seq;
}

describe('deploying a code location', () => {
  it('records the deploy and every definition, with defaults filled in', async () => {
    const h = await AutomationHarness.create();
    const result = await deployCodeLocation(h.automation, definitions(), 'ci');
    expect(result).toMatchObject({
      changed: true,
      assets: { upserted: ['raw', 'clean'] },
      schedules: { upserted: ['etl:daily'] },
    });
    expect(h.tables.codeLocations.get('etl')?.codeVersion).toBe('v1');
    expect(h.tables.scheduleDefinitions.get('etl:daily')).toMatchObject({
      source: 'code',
      executionTimezone: 'UTC',
      catchupWindowSeconds: 86_400,
      maxCatchupTicks: 5,
      catchupOrder: 'NEWEST_FIRST',
      defaultStatus: 'RUNNING',
    });
    expect(h.tables.sensorDefinitions.get('etl:files')?.minimumIntervalSeconds).toBe(30);
  });

  it('appends nothing when the same definitions are deployed again', async () => {
    const h = await AutomationHarness.create();
    await deployCodeLocation(h.automation, definitions(), 'ci');
    const before = await ledgerLength(h);
    expect((await deployCodeLocation(h.automation, definitions(), 'ci')).changed).toBe(false);
    expect(await ledgerLength(h)).toBe(before);
  });

  it('records only what changed, removes what is gone, and keeps an operator stop across the redeploy', async () => {
    const h = await AutomationHarness.create();
    await deployCodeLocation(h.automation, definitions(), 'ci');
    await h.automation.append([
      draft(
        'schedule.status-changed.v1',
        { scheduleId: 'etl:daily', status: 'STOPPED', changedBy: 'ops', requestId: 'stop-1' },
        h.clock.now(),
      ),
    ]);
    const result = await deployCodeLocation(
      h.automation,
      definitions({ cron: '0 2 * * *', assets: ['raw'], codeVersion: 'v2' }),
      'ci',
    );
    expect(result.schedules.upserted).toEqual(['etl:daily']);
    expect(result.assets).toEqual({ upserted: ['raw'], removed: ['clean'] });
    expect(h.tables.scheduleDefinitions.get('etl:daily')?.cronSchedule).toBe('0 2 * * *');
    expect(h.tables.scheduleState.get('etl:daily')?.status).toBe('STOPPED');
    expect(h.tables.assetDefinitions.has('clean')).toBe(false);
  });

  it('rejects unresolved references and duplicates with a specific error, appending nothing', async () => {
    const h = await AutomationHarness.create();
    const bad = [
      {
        ...definitions(),
        schedules: [{ name: 'daily', cronSchedule: '0 1 * * *', assetSelection: ['ghost'] }],
      },
      { ...definitions(), assets: [{ key: 'raw', dependsOn: ['nowhere'] }] },
      { ...definitions(), assets: [...definitions().assets, { key: 'raw', dependsOn: [] }] },
      { ...definitions(), codeLocation: 'bad name!' },
    ];
    for (const input of bad) {
      await expect(deployCodeLocation(h.automation, input, 'ci')).rejects.toMatchObject({
        code: ErrorCode.InvalidInput,
      });
    }
    expect(await ledgerLength(h)).toBe(0);
  });
});
