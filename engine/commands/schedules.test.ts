import { describe, expect, it } from 'vitest';
import { scheduleTimers } from '../automation/schedules.js';
import { ErrorCode } from '../errors.js';
import { draft } from '../model/catalog.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import {
  deleteSchedule,
  futureTicks,
  type ScheduleDefinitionInput,
  scheduleDryRun,
  setScheduleStatus,
  triggerSchedule,
  upsertSchedule,
} from './schedules.js';

const HOUR = 3_600_000;
const daily = { kind: 'time' as const, cadence: 'daily' as const, start: '2026-01-01', timezone: 'UTC' };

async function harness(start = Date.UTC(2026, 2, 7, 12)) {
  const h = await AutomationHarness.create({
    start,
    domains: () => [scheduleTimers],
    reactors: (workspace) => [createFastExecutor(workspace.projections)],
  });
  await h.automation.append([
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'raw', codeLocation: 'etl', dependsOn: [], requestId: 'a' },
      h.clock.now(),
    ),
    draft(
      'asset.definition-upserted.v1',
      { assetKey: 'daily_sales', codeLocation: 'etl', partitions: daily, dependsOn: [], requestId: 'b' },
      h.clock.now(),
    ),
  ]);
  return h;
}

const input = (extra: Partial<ScheduleDefinitionInput> = {}): ScheduleDefinitionInput => ({
  codeLocation: 'etl',
  name: 'nightly',
  cronSchedule: '30 2 * * *',
  executionTimezone: 'America/New_York',
  assetSelection: ['raw'],
  ...extra,
});

async function segments(h: AutomationHarness): Promise<number> {
  return (await h.workspace.ledger.discoverHead()).seq;
}

describe('schedule commands', () => {
  it('CA-89: rejects a bad definition with a specific typed error and appends nothing', async () => {
    const h = await harness();
    const before = await segments(h);
    const cases: [Partial<ScheduleDefinitionInput>, RegExp][] = [
      [{ cronSchedule: '* * * *' }, /field/],
      [{ cronSchedule: '61 * * * *' }, /minute field: 61 is out of range/],
      [{ executionTimezone: 'Mars/Olympus' }, /Mars\/Olympus/],
      [{ assetSelection: ['ghost'] }, /asset ghost is not defined/],
      [{ assetSelection: [] }, /select at least one asset/],
      [{ name: 'has space' }, /name/],
      [{ catchupWindowSeconds: 0 }, /catchupWindowSeconds/],
      [{ maxCatchupTicks: 0 }, /maxCatchupTicks/],
      [
        {
          assetSelection: ['daily_sales'],
          partitionSelection: {
            kind: 'selector',
            selector: { kind: 'range', start: '2026-01-01', end: '2999-01-01' },
          },
        },
        /2999-01-01/,
      ],
    ];
    for (const [extra, message] of cases) {
      await expect(upsertSchedule(h.automation, input(extra), 'ops')).rejects.toMatchObject({
        code: ErrorCode.InvalidInput,
        message: expect.stringMatching(message),
      });
    }
    expect(await segments(h)).toBe(before);
  });

  it('refuses to change or delete a schedule defined by a code location', async () => {
    const h = await harness();
    const created = await upsertSchedule(h.automation, input(), 'ops');
    await h.automation.append([
      draft(
        'schedule.definition-upserted.v1',
        {
          ...created,
          source: 'code',
          description: undefined,
          partitionSelection: undefined,
          codeVersion: undefined,
          lane: undefined,
          tags: undefined,
          changedBy: 'deploy',
          requestId: 'deploy',
        } as never,
        h.clock.now(),
      ),
    ]);
    await expect(upsertSchedule(h.automation, input(), 'ops')).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
    });
    await expect(deleteSchedule(h.automation, 'etl:nightly', 'ops')).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
    });
    await expect(setScheduleStatus(h.automation, 'etl:missing', 'STOPPED', 'ops')).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
  });

  it('ticks a missing local time at the end of the gap on the spring-forward day (02:30 → 03:00 EDT)', async () => {
    const h = await harness();
    await upsertSchedule(h.automation, input(), 'ops');
    await h.advance(48 * HOUR);
    const ticks = [...h.tables.scheduleTicks.values()]
      .map((tick) => new Date(tick.scheduledFor).toISOString())
      .sort();
    expect(ticks).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('triggers a tick now, outside the cadence, with its own run', async () => {
    const h = await harness();
    await upsertSchedule(h.automation, input(), 'ops');
    const tickId = await triggerSchedule(h.automation, 'etl:nightly', 'alice', 'manual-1');
    await h.settle();
    const tick = h.tables.scheduleTicks.get(tickId);
    expect(tick).toMatchObject({
      trigger: 'manual',
      status: 'SUCCESS',
      runKeys: ['sched:etl:nightly:manual:manual-1'],
    });
    const run = [...h.tables.runs.values()].find(
      (candidate) => candidate.runKey === 'sched:etl:nightly:manual:manual-1',
    );
    expect(run).toMatchObject({
      status: 'SUCCESS',
      tags: expect.objectContaining({ 'servo/triggered_by': 'alice' }),
    });
    // The same request id triggers nothing more.
    expect(await triggerSchedule(h.automation, 'etl:nightly', 'alice', 'manual-1')).toBe(tickId);
    expect(h.tables.scheduleTicks.size).toBe(1);
  });

  it('previews future ticks, and dry-runs a tick without appending anything', async () => {
    const h = await harness();
    await upsertSchedule(h.automation, input({ assetSelection: ['daily_sales'] }), 'ops');
    const times = futureTicks(h.automation, 'etl:nightly', 3);
    expect(times.map((time) => new Date(time).toISOString())).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
      '2026-03-10T06:30:00.000Z',
    ]);
    const before = await segments(h);
    const dry = await scheduleDryRun(h.automation, 'etl:nightly', Date.UTC(2026, 2, 9, 7));
    expect(dry.ticks.map((tick) => tick.type === 'schedule.ticked.v1' && tick.payload.status)).toEqual([
      'SUCCESS',
    ]);
    const request = dry.runRequests[0];
    expect(request?.type === 'run.requested.v1' && request.payload.partitionKeys).toEqual(['2026-03-08']);
    expect(await segments(h)).toBe(before);
  });

  it('stopping a stopped schedule changes nothing', async () => {
    const h = await harness();
    await upsertSchedule(h.automation, input(), 'ops');
    await setScheduleStatus(h.automation, 'etl:nightly', 'STOPPED', 'ops');
    const before = await segments(h);
    await setScheduleStatus(h.automation, 'etl:nightly', 'STOPPED', 'ops');
    expect(await segments(h)).toBe(before);
  });
});
