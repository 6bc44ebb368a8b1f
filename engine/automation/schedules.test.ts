import { describe, expect, it } from 'vitest';
import { type ScheduleDefinitionInput, setScheduleStatus, upsertSchedule } from '../commands/schedules.js';
import { draft } from '../model/catalog.js';
import { parseSchedule } from '../model/cron/index.js';
import { createMemoryObjectStore } from '../storage/memory-object-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import { scheduleTimers } from './schedules.js';

const HOUR = 3_600_000;
const start = Date.UTC(2026, 2, 7, 12, 0, 0); // the day before New York springs forward

async function harness(
  store: ObjectStore = createMemoryObjectStore(),
  at = start,
): Promise<AutomationHarness> {
  const h = await AutomationHarness.create({
    start: at,
    store,
    domains: () => [scheduleTimers],
    reactors: (workspace) => [createFastExecutor(workspace.projections)],
  });
  await h.automation.antiEntropy();
  return h;
}

async function defineAssets(h: AutomationHarness): Promise<void> {
  await h.automation.append(
    ['raw', 'daily_report'].map((assetKey) =>
      draft(
        'asset.definition-upserted.v1',
        { assetKey, codeLocation: 'etl', dependsOn: [], requestId: `asset-${assetKey}` },
        h.clock.now(),
      ),
    ),
  );
}

function schedule(
  name: string,
  cronSchedule: string,
  executionTimezone: string,
  extra: Partial<ScheduleDefinitionInput> = {},
): ScheduleDefinitionInput {
  return { codeLocation: 'etl', name, cronSchedule, executionTimezone, assetSelection: ['raw'], ...extra };
}

function ticksOf(h: AutomationHarness, scheduleId: string) {
  return [...h.tables.scheduleTicks.values()]
    .filter((tick) => tick.scheduleId === scheduleId)
    .sort((a, b) => a.scheduledFor - b.scheduledFor);
}

describe('schedule ticks', () => {
  it('ticks at every due time while running and runs each tick once', async () => {
    const h = await harness();
    await defineAssets(h);
    await upsertSchedule(h.automation, schedule('hourly', '0 * * * *', 'America/New_York'), 'ops');
    await h.advance(5 * HOUR);
    const ticks = ticksOf(h, 'etl:hourly');
    expect(ticks.map((tick) => tick.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(ticks.every((tick) => tick.recordedAt === tick.scheduledFor)).toBe(true);
    expect([...h.tables.runs.values()].filter((run) => run.status === 'SUCCESS')).toHaveLength(5);
  });

  it('after downtime keeps the newest due times and records the dropped ones on one SKIPPED tick', async () => {
    const store = createMemoryObjectStore();
    let h = await harness(store);
    await defineAssets(h);
    await upsertSchedule(
      h.automation,
      schedule('hourly', '0 * * * *', 'UTC', { maxCatchupTicks: 3, catchupWindowSeconds: 6 * 3600 }),
      'ops',
    );
    await h.advance(HOUR);
    await h.stop();
    // Down for 10 hours: 10 due times missed; 6 are inside the window, the newest 3 of those run.
    h = await harness(store, start + 11 * HOUR + 5000);
    await h.settle();
    const ticks = ticksOf(h, 'etl:hourly');
    const skipped = ticks.filter((tick) => tick.trigger === 'catchup-skip');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({
      status: 'SKIPPED',
      droppedCount: 7,
      droppedFirstDueFor: start + 2 * HOUR,
      droppedLastDueFor: start + 8 * HOUR,
    });
    expect(skipped[0]?.skipReason).toContain('dropped 7 due times');
    expect(
      ticks.filter((tick) => tick.status === 'SUCCESS').map((tick) => (tick.scheduledFor - start) / HOUR),
    ).toEqual([1, 9, 10, 11]);
  });

  it('OLDEST_FIRST runs the oldest due times first and leaves the rest for the next evaluation', async () => {
    const store = createMemoryObjectStore();
    let h = await harness(store);
    await defineAssets(h);
    await upsertSchedule(
      h.automation,
      schedule('hourly', '0 * * * *', 'UTC', { maxCatchupTicks: 2, catchupOrder: 'OLDEST_FIRST' }),
      'ops',
    );
    await h.stop();
    h = await harness(store, start + 5 * HOUR + 1000);
    await h.settle();
    const success = ticksOf(h, 'etl:hourly').filter((tick) => tick.status === 'SUCCESS');
    expect(success.map((tick) => (tick.scheduledFor - start) / HOUR)).toEqual([1, 2, 3, 4, 5]);
  });

  it.each(['OLDEST_FIRST', 'NEWEST_FIRST'] as const)(
    'a definition recorded with maxCatchupTicks 0 (%s) still ticks, one due time per evaluation',
    async (catchupOrder) => {
      const store = createMemoryObjectStore();
      let h = await harness(store);
      await defineAssets(h);
      // Commands refuse 0; a ledger may hold a definition written before they did.
      await h.automation.append([
        draft(
          'schedule.definition-upserted.v1',
          {
            scheduleId: 'etl:hourly',
            codeLocation: 'etl',
            name: 'hourly',
            source: 'api',
            cronSchedule: '0 * * * *',
            executionTimezone: 'UTC',
            assetSelection: ['raw'],
            catchupWindowSeconds: 86_400,
            maxCatchupTicks: 0,
            catchupOrder,
            overlapPolicy: 'ALLOW',
            dstGapPolicy: 'SHIFT',
            dstOverlapPolicy: 'LATER',
            defaultStatus: 'RUNNING',
            changedBy: 'ops',
            requestId: 'legacy-zero',
          },
          h.clock.now(),
        ),
      ]);
      await h.automation.antiEntropy();
      await h.advance(2 * HOUR);
      await h.stop();
      h = await harness(store, start + 5 * HOUR + 1000);
      await h.settle();
      const hours = () =>
        ticksOf(h, 'etl:hourly')
          .filter((tick) => tick.status === 'SUCCESS')
          .map((tick) => (tick.scheduledFor - start) / HOUR);
      expect(hours()).toEqual(catchupOrder === 'OLDEST_FIRST' ? [1, 2, 3, 4, 5] : [1, 2, 5]);
      await h.advance(HOUR);
      expect(hours().at(-1)).toBe(6);
    },
  );

  it('skips a tick while the previous run still runs when the overlap policy is SKIP', async () => {
    const h = await AutomationHarness.create({ start, domains: () => [scheduleTimers] });
    await defineAssets(h);
    await upsertSchedule(
      h.automation,
      schedule('hourly', '0 * * * *', 'UTC', { overlapPolicy: 'SKIP' }),
      'ops',
    );
    await h.advance(2 * HOUR);
    const ticks = ticksOf(h, 'etl:hourly');
    expect(ticks.map((tick) => tick.status)).toEqual(['SUCCESS', 'SKIPPED']);
    expect(ticks[1]?.skipReason).toMatch(/overlap policy SKIP: run run_[a-z2-7]+ is still running/);
  });

  it('a definition that became invalid fails once per due time, not once per evaluation', async () => {
    const h = await harness();
    await defineAssets(h);
    await upsertSchedule(h.automation, schedule('hourly', '0 * * * *', 'UTC'), 'ops');
    await h.advance(HOUR);
    await h.automation.append([
      draft(
        'asset.definition-removed.v1',
        { assetKey: 'raw', codeLocation: 'etl', requestId: 'gone' },
        h.clock.now(),
      ),
    ]);
    await h.advance(3 * HOUR);
    // Evaluating again at the same time adds nothing.
    await h.automation.antiEntropy();
    await h.settle();
    const ticks = ticksOf(h, 'etl:hourly');
    expect(ticks.map((tick) => tick.status)).toEqual(['SUCCESS', 'FAILURE', 'FAILURE', 'FAILURE']);
    expect(ticks[1]?.error?.message).toBe('asset raw is not defined by any code location');
  });

  it('a stopped schedule makes no ticks, and starting it again does not replay the stopped period', async () => {
    const h = await harness();
    await defineAssets(h);
    await upsertSchedule(h.automation, schedule('hourly', '0 * * * *', 'UTC'), 'ops');
    await h.advance(HOUR);
    await setScheduleStatus(h.automation, 'etl:hourly', 'STOPPED', 'ops');
    await h.advance(5 * HOUR);
    expect(ticksOf(h, 'etl:hourly')).toHaveLength(1);
    await setScheduleStatus(h.automation, 'etl:hourly', 'RUNNING', 'ops');
    await h.advance(2 * HOUR);
    expect(ticksOf(h, 'etl:hourly').map((tick) => (tick.scheduledFor - start) / HOUR)).toEqual([1, 7, 8]);
  });

  it('anti-entropy recreates the timers of schedules a restarted process loaded from published projections', async () => {
    const store = createMemoryObjectStore();
    const first = await harness(store);
    await defineAssets(first);
    await upsertSchedule(first.automation, schedule('hourly', '0 * * * *', 'UTC'), 'ops');
    await first.workspace.compact();
    await first.stop();
    // A new process loads the published projections: it has no timers until anti-entropy runs.
    const h = await AutomationHarness.create({ start, store, domains: () => [scheduleTimers] });
    await h.advance(2 * HOUR);
    expect(ticksOf(h, 'etl:hourly')).toHaveLength(0);
    expect(await h.automation.antiEntropy()).toBe(1);
    await h.advance(HOUR);
    expect(ticksOf(h, 'etl:hourly').map((tick) => tick.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
  });

  it('gives a schedule recorded by a deploy its first timer without waiting for anti-entropy', async () => {
    const h = await AutomationHarness.create({ start, domains: () => [scheduleTimers] });
    await defineAssets(h);
    await h.automation.append([
      draft(
        'schedule.definition-upserted.v1',
        {
          scheduleId: 'etl:deployed',
          codeLocation: 'etl',
          name: 'deployed',
          source: 'code',
          cronSchedule: '0 * * * *',
          executionTimezone: 'UTC',
          assetSelection: ['raw'],
          catchupWindowSeconds: 86_400,
          maxCatchupTicks: 5,
          catchupOrder: 'NEWEST_FIRST',
          overlapPolicy: 'ALLOW',
          dstGapPolicy: 'SHIFT',
          dstOverlapPolicy: 'LATER',
          defaultStatus: 'RUNNING',
          changedBy: 'deploy',
          requestId: 'deploy-1',
        },
        h.clock.now(),
      ),
    ]);
    await h.advance(2 * HOUR);
    expect(ticksOf(h, 'etl:deployed').map((tick) => tick.status)).toEqual(['SUCCESS', 'SUCCESS']);
  });
});

describe('time skipping over 48 hours with downtime', () => {
  it('gives every due time inside the catch-up policy exactly one tick, records the dropped ones, and never requests a run key twice', async () => {
    const store = createMemoryObjectStore();
    const specs = [
      schedule('ny_hourly', '0 * * * *', 'America/New_York'),
      schedule('london_nightly', '30 1 * * *', 'Europe/London'),
      schedule('sydney_quarter', '*/15 * * * *', 'Australia/Sydney', {
        maxCatchupTicks: 4,
        catchupWindowSeconds: 3 * 3600,
      }),
      schedule('utc_ten_minutes', '0 */10 * * * *', 'UTC', {
        catchupOrder: 'OLDEST_FIRST',
        maxCatchupTicks: 10,
      }),
      schedule('santiago_midnight', '0 0 * * *', 'America/Santiago'),
    ];
    let h = await harness(store);
    await defineAssets(h);
    for (const spec of specs) await upsertSchedule(h.automation, spec, 'ops');
    const createdAt = h.clock.now().getTime();
    // Up 10 h, down 3 h, up 9 h, down 14 h (past every window but the 24 h ones), up to 48 h.
    const plan: [up: number, down: number][] = [
      [10, 3],
      [9, 14],
      [12, 0],
    ];
    const downtimes: [number, number][] = [];
    for (const [up, down] of plan) {
      await h.advance(up * HOUR);
      if (down === 0) break;
      await h.stop();
      const from = h.clock.now().getTime();
      downtimes.push([from, from + down * HOUR]);
      h = await harness(store, from + down * HOUR);
      await h.settle();
    }
    const end = h.clock.now().getTime();
    const summary: Record<string, { due: number; ticks: number; dropped: number }> = {};
    for (const spec of specs) {
      const scheduleId = `etl:${spec.name}`;
      const clock = parseSchedule({ cron: spec.cronSchedule, timezone: spec.executionTimezone });
      const expected = [...clock.dueTimesBetween(createdAt, end)];
      const ticks = ticksOf(h, scheduleId);
      const decided = new Map<number, number>();
      let droppedTotal = 0;
      for (const tick of ticks) {
        if (tick.trigger === 'catchup-skip') {
          droppedTotal += tick.droppedCount ?? 0;
          for (const due of clock.dueTimesBetween(
            (tick.droppedFirstDueFor ?? 0) - 1,
            tick.droppedLastDueFor ?? 0,
          )) {
            decided.set(due, (decided.get(due) ?? 0) + 1);
          }
        } else {
          decided.set(tick.scheduledFor, (decided.get(tick.scheduledFor) ?? 0) + 1);
        }
      }
      // Every due time is decided exactly once: a tick of its own, or counted on a skip tick.
      for (const due of expected)
        expect(decided.get(due), `${scheduleId} at ${new Date(due).toISOString()}`).toBe(1);
      expect(decided.size).toBe(expected.length);
      // Due times while Servo was up were ticked on time.
      const upTime = (due: number) => downtimes.every(([from, to]) => due <= from || due > to);
      for (const tick of ticks) {
        if (tick.trigger === 'cron' && upTime(tick.scheduledFor))
          expect(tick.recordedAt).toBe(tick.scheduledFor);
      }
      summary[scheduleId] = {
        due: expected.length,
        ticks: ticks.filter((tick) => tick.trigger !== 'catchup-skip').length,
        dropped: droppedTotal,
      };
    }
    // The plan exercised every policy: the 14-hour downtime dropped due times of the short-window
    // and NEWEST_FIRST schedules, and the 24-hour ones caught everything up.
    expect(summary['etl:sydney_quarter']?.dropped).toBeGreaterThan(50);
    expect(summary['etl:ny_hourly']?.dropped).toBeGreaterThan(0);
    expect(summary['etl:london_nightly']?.dropped).toBe(0);
    expect(summary['etl:santiago_midnight']?.dropped).toBe(0);
    // No run key was requested twice: one run per successful tick, and no conflicts.
    const successTicks = [...h.tables.scheduleTicks.values()].filter((tick) => tick.status === 'SUCCESS');
    expect(h.tables.runKeyConflicts.size).toBe(0);
    expect(new Set(successTicks.flatMap((tick) => tick.runKeys)).size).toBe(successTicks.length);
    expect(h.tables.runs.size).toBe(successTicks.length);
  }, 120_000);

  it('writes schedules due together in few segments, bounded in size, each decision whole', async () => {
    const h = await AutomationHarness.create({ start, domains: () => [scheduleTimers] });
    // Run requests of 4,000 long partition keys each: the segment's size bound splits the batch.
    const keys = Array.from(
      { length: 4000 },
      (_, i) => `region-${String(i).padStart(5, '0')}-${'x'.repeat(28)}`,
    );
    await h.automation.append([
      draft(
        'asset.definition-upserted.v1',
        {
          assetKey: 'regions',
          codeLocation: 'etl',
          partitions: { kind: 'static', keys },
          dependsOn: [],
          requestId: 'asset-regions',
        },
        h.clock.now(),
      ),
    ]);
    const names = Array.from({ length: 40 }, (_, i) => `all_regions_${i}`);
    for (const name of names) {
      await upsertSchedule(
        h.automation,
        schedule(name, '0 * * * *', 'UTC', {
          assetSelection: ['regions'],
          partitionSelection: { kind: 'selector', selector: { kind: 'all' } },
        }),
        'ops',
      );
    }
    await h.automation.antiEntropy();
    const before = h.workspace.projections.watermark.seq;
    await h.advance(HOUR);
    const segments: Set<string>[] = [];
    for await (const segment of h.workspace.ledger.readAfter(before)) {
      const scheduleIds = new Set<string>();
      for (const event of segment.events) {
        if (event.type === 'schedule.ticked.v1') scheduleIds.add(event.payload.scheduleId);
        if (event.type === 'run.requested.v1' && event.payload.source.kind === 'schedule')
          expect(scheduleIds.has(event.payload.source.scheduleId)).toBe(true);
      }
      if (scheduleIds.size > 0) segments.push(scheduleIds);
    }
    // 40 decisions of ~500 KB: several segments, each with several whole decisions.
    expect(segments.length).toBeGreaterThan(1);
    expect(segments.length).toBeLessThan(names.length);
    expect(segments.reduce((total, ids) => total + ids.size, 0)).toBe(names.length);
    expect(h.tables.runKeyIndex.size).toBe(names.length);
  }, 120_000);
});
