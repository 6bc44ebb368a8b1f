/**
 * The store of B3: a local data directory whose ledger holds `schedules × ticksPerSchedule`
 * schedule ticks (one every minute per schedule, ending a minute before the set-up ran), published
 * as projections — what an api process of that data directory loads when it starts.
 *
 * Written through the engine as a worker would: `Workspace.open` on the data directory's store and
 * tenant secrets (so the api process derives the same run ids), `ledger.appendEvents` of each
 * segment, `projections.accept` of the segment appended, and one `publish({ merge: true })` (a base)
 * at the end. A segment holds ten minutes of ticks of every schedule: how the ticks were grouped
 * into segments does not change the projections, and fewer, larger segments make the set-up faster.
 *
 * Every tick stays inside the default retention window (90 days of ledger time): the newest is a
 * minute old, the oldest `ticksPerSchedule` minutes older.
 *
 * `reuseTickStore` keeps one store across runs (`BENCH_B3_STORE`), for iterating on the api's start
 * without writing a million ticks each time.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../engine/clock.js';
import type { LedgerEvent } from '../engine/model/catalog.js';
import { instigatorId, scheduleRunKey, scheduleTickId } from '../engine/model/ids.js';
import { createHyparquetCodec } from '../engine/projections/parquet/hyparquet-codec.js';
import { Workspace } from '../engine/runtime/workspace.js';
import { createLocalTenantSecrets } from '../engine/secrets.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { EventFactory, TEST_SCOPE } from '../engine/testing/event-factory.js';
import { scheduleDefinition } from '../engine/testing/payloads.js';

const MINUTE_MS = 60_000;
/** Due times of every schedule per segment. */
const MINUTES_PER_SEGMENT = 10;
/** The code location of the schedules. */
export const TICK_STORE_LOCATION = 'ticks';

export interface TickStoreShape {
  schedules: number;
  ticksPerSchedule: number;
}

export interface TickStore {
  /** `SERVO_TENANT` and `SERVO_WORKSPACE` of the store. */
  scope: { tenantId: string; workspaceId: string };
  /** Schedule names, `every_minute_0001`…. */
  scheduleNames: string[];
  /** Due time of each schedule's oldest tick (epoch ms); tick `k` is due `k` minutes later. */
  firstDueMs: number;
  ticks: number;
  segments: number;
}

export function scheduleName(index: number): string {
  return `every_minute_${String(index + 1).padStart(4, '0')}`;
}

/**
 * What a tick recorded: most ticks requested a run, every 7th was skipped, every 50th failed, so a
 * page merges ticks of three statuses.
 */
function tickOutcome(tick: number): { status: 'SUCCESS' | 'SKIPPED' | 'FAILURE'; skipped: boolean } {
  if (tick % 50 === 49) return { status: 'FAILURE', skipped: false };
  if (tick % 7 === 6) return { status: 'SKIPPED', skipped: true };
  return { status: 'SUCCESS', skipped: false };
}

/** Builds the store under `dataDir` (untimed set-up); `progress` hears every 100,000 ticks. */
export async function buildTickStore(
  dataDir: string,
  shape: TickStoreShape,
  progress: (ticks: number) => void = () => {},
): Promise<TickStore> {
  const workspace = await Workspace.open(TEST_SCOPE, {
    store: createLocalDiskObjectStore(join(dataDir, 'store'), { fsync: false }),
    codec: createHyparquetCodec(),
    clock: systemClock,
    secrets: createLocalTenantSecrets(join(dataDir, 'secrets')),
  });
  const scheduleNames = Array.from({ length: shape.schedules }, (_, index) => scheduleName(index));
  const ids = scheduleNames.map((name) => instigatorId(TICK_STORE_LOCATION, name));
  const lastDueMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const firstDueMs = lastDueMs - (shape.ticksPerSchedule - 1) * MINUTE_MS;
  const f = new EventFactory(firstDueMs - MINUTE_MS, 3);
  let segments = 0;
  const append = async (events: readonly LedgerEvent[]) => {
    await workspace.projections.accept(await workspace.ledger.appendEvents(events));
    segments += 1;
  };

  const deploy: LedgerEvent[] = [
    f.make('codelocation.deployed.v1', {
      codeLocation: TICK_STORE_LOCATION,
      codeVersion: 'v1',
      assets: ['bench/minutely'],
      schedules: scheduleNames,
      sensors: [],
      deployedBy: 'deploy',
    }),
    f.make('asset.definition-upserted.v1', {
      assetKey: 'bench/minutely',
      codeLocation: TICK_STORE_LOCATION,
      codeVersion: 'v1',
      dependsOn: [],
      requestId: 'deploy-v1',
    }),
  ];
  const definitionVersions = scheduleNames.map((name, index) => {
    const event = f.make(
      'schedule.definition-upserted.v1',
      scheduleDefinition({
        scheduleId: ids[index]!,
        codeLocation: TICK_STORE_LOCATION,
        name,
        source: 'code',
        cronSchedule: '* * * * *',
        assetSelection: ['bench/minutely'],
        requestId: 'deploy-v1',
      }),
    );
    deploy.push(event);
    return event.eventId;
  });
  await append(deploy);

  let ticks = 0;
  for (let first = 0; first < shape.ticksPerSchedule; first += MINUTES_PER_SEGMENT) {
    const events: LedgerEvent[] = [];
    for (let tick = first; tick < Math.min(first + MINUTES_PER_SEGMENT, shape.ticksPerSchedule); tick++) {
      const dueMs = firstDueMs + tick * MINUTE_MS;
      if (f.now < dueMs) f.now = dueMs;
      for (let index = 0; index < ids.length; index++) {
        const scheduleId = ids[index]!;
        const outcome = tickOutcome(tick + index);
        events.push(
          f.advance(1).make('schedule.ticked.v1', {
            scheduleId,
            tickId: scheduleTickId(scheduleId, dueMs),
            scheduledFor: new Date(dueMs).toISOString(),
            trigger: 'cron',
            status: outcome.status,
            runKeys: outcome.status === 'SUCCESS' ? [scheduleRunKey(scheduleId, dueMs)] : [],
            ...(outcome.skipped ? { skipReason: 'the previous run is still in progress' } : {}),
            ...(outcome.status === 'FAILURE'
              ? { error: { message: 'the code location did not answer' } }
              : {}),
            definitionVersion: definitionVersions[index]!,
          }),
        );
        ticks += 1;
        if (ticks % 100_000 === 0) progress(ticks);
      }
    }
    await append(events);
  }
  await workspace.projections.publish({ merge: true });
  return { scope: TEST_SCOPE, scheduleNames, firstDueMs, ticks, segments };
}

/** What `reuseTickStore` keeps beside a finished store, to find its ticks again. */
const DESCRIPTION_FILE = 'tick-store.json';

/**
 * The store described in `dataDir` when it was built with the same shape; otherwise builds it there
 * (the directory may be new) and describes it, so that a later run reuses it. Retention counts in
 * ledger time, so a reused store holds every tick however old it is.
 */
export async function reuseTickStore(
  dataDir: string,
  shape: TickStoreShape,
  progress?: (ticks: number) => void,
): Promise<{ store: TickStore; reused: boolean }> {
  const description = join(dataDir, DESCRIPTION_FILE);
  const kept = await readFile(description, 'utf8').then(
    (text) => JSON.parse(text) as { shape: TickStoreShape; store: TickStore },
    () => undefined,
  );
  if (
    kept !== undefined &&
    kept.shape.schedules === shape.schedules &&
    kept.shape.ticksPerSchedule === shape.ticksPerSchedule
  ) {
    return { store: kept.store, reused: true };
  }
  if (kept !== undefined) {
    throw new Error(
      `${dataDir} holds a tick store of ${kept.shape.schedules} × ${kept.shape.ticksPerSchedule} ticks, not ${shape.schedules} × ${shape.ticksPerSchedule}: remove it or point elsewhere`,
    );
  }
  await mkdir(dataDir, { recursive: true });
  const store = await buildTickStore(dataDir, shape, progress);
  await writeFile(description, JSON.stringify({ shape, store }, null, 1));
  return { store, reused: false };
}
