import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../clock.js';
import { segmentKey } from '../ledger/ledger.js';
import { silentLogger } from '../logging.js';
import { draft } from '../model/catalog.js';
import { createHyparquetCodec } from '../projections/parquet/hyparquet-codec.js';
import type { ChangeSet } from '../projections/projection-store.js';
import { createStaticTenantSecrets } from '../secrets.js';
import { keyPaths } from '../storage/local-disk-layout.js';
import { createLocalDiskObjectStore } from '../storage/local-disk-object-store.js';
import { watchLocalDiskPrefix } from '../storage/local-disk-watch.js';
import { LedgerFollower } from './ledger-follower.js';
import { Workspace } from './workspace.js';

const SCOPE = { tenantId: 'acme', workspaceId: 'prod' };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two processes' views of one workspace: two `Workspace` instances over one local-disk store. */
async function twoProcesses(): Promise<{ root: string; writer: Workspace; reader: Workspace }> {
  const root = await mkdtemp(join(tmpdir(), 'servo-follower-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const open = (publisher: boolean) =>
    Workspace.open(SCOPE, {
      store: createLocalDiskObjectStore(root, { fsync: false }),
      codec: createHyparquetCodec(),
      clock: systemClock,
      secrets: createStaticTenantSecrets({ acme: Buffer.from('follower-test-secret').toString('base64') }),
      publisher,
    });
  return { root, writer: await open(true), reader: await open(false) };
}

function timerFired(timerId: string) {
  const now = new Date();
  return draft(
    'timer.fired.v1',
    { timerId, kind: 'schedule_tick', subjectId: 'sales:every_15_seconds', fireAt: now.toISOString() },
    now,
  );
}

/** Resolves with the first change set the listener hears that touches `timerId`. */
function nextChangeOf(workspace: Workspace, timerId: string): Promise<ChangeSet> {
  return new Promise((resolve) => {
    const unsubscribe = workspace.projections.subscribe((changes) => {
      if (changes.tables.get('timers')?.has(timerId) !== true) return;
      unsubscribe();
      resolve(changes);
    });
  });
}

function follow(
  workspace: Workspace,
  options: Partial<ConstructorParameters<typeof LedgerFollower>[0]> = {},
) {
  const follower = new LedgerFollower({ sync: () => workspace.sync(), logger: silentLogger, ...options });
  cleanups.push(() => follower.stop());
  follower.start();
  return follower;
}

describe('LedgerFollower', () => {
  it("delivers another process's append to this process's change-feed listeners", async () => {
    const { writer, reader } = await twoProcesses();
    follow(reader);
    const heard = nextChangeOf(reader, 'timer:one');
    const segment = await writer.append([timerFired('timer:one')]);
    const changes = await heard;
    expect(changes.toSeq).toBe(segment.seq);
    expect(reader.projections.state.tables.timers.get('timer:one')?.state).toBe('FIRED');
    expect(reader.projections.watermark.seq).toBe(writer.projections.watermark.seq);
  });

  it('reports several appends in ledger order, each exactly once', async () => {
    const { writer, reader } = await twoProcesses();
    const heard: string[] = [];
    reader.projections.subscribe((changes) => {
      for (const key of changes.tables.get('timers') ?? []) heard.push(key);
    });
    follow(reader);
    for (const id of ['timer:a', 'timer:b', 'timer:c']) await writer.append([timerFired(id)]);
    await vi.waitFor(() => expect(heard).toEqual(['timer:a', 'timer:b', 'timer:c']), { timeout: 10_000 });
  });

  it('polls at once when the watch on the ledger folder signals, however long its interval', async () => {
    const { root, writer, reader } = await twoProcesses();
    // A poll interval far longer than the test: only the watch can bring the change in time.
    const follower = follow(reader, {
      minIntervalMs: 600_000,
      maxIntervalMs: 600_000,
      watch: (wake) => watchLocalDiskPrefix(root, `${keyPaths('', segmentKey(SCOPE, 1)).dir}/`, wake),
    });
    await vi.waitFor(() => expect(follower.stats.polls).toBe(1), { timeout: 10_000 });
    const heard = nextChangeOf(reader, 'timer:watched');
    await writer.append([timerFired('timer:watched')]);
    await heard;
    await vi.waitFor(() => expect(follower.stats.segmentsFolded).toBe(1));
  });

  it('backs off while the ledger is idle and polls at the shortest interval again after a fold', async () => {
    vi.useFakeTimers();
    let pending = 0;
    const calls: number[] = [];
    const follower = new LedgerFollower({
      sync: async () => {
        calls.push(Date.now());
        const folded = pending;
        pending = 0;
        return folded;
      },
      minIntervalMs: 100,
      maxIntervalMs: 800,
      logger: silentLogger,
    });
    follower.start();
    await vi.advanceTimersByTimeAsync(0);
    // Idle: 200, 400, 800, 800 ms between polls.
    await vi.advanceTimersByTimeAsync(200 + 400 + 800 + 800);
    const idleGaps = calls.slice(1).map((at, index) => at - calls[index]!);
    expect(idleGaps).toEqual([200, 400, 800, 800]);
    pending = 2;
    await vi.advanceTimersByTimeAsync(800);
    expect(follower.stats.segmentsFolded).toBe(2);
    expect(follower.stats.intervalMs).toBe(100);
    await follower.stop();
  });

  it('keeps following after a failed poll', async () => {
    vi.useFakeTimers();
    let failures = 1;
    const folded: number[] = [];
    const follower = new LedgerFollower({
      sync: async () => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('storage unavailable');
        }
        return 1;
      },
      minIntervalMs: 100,
      maxIntervalMs: 1000,
      onFolded: (segments) => folded.push(segments),
      logger: silentLogger,
    });
    follower.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(follower.stats.lastError?.message).toBe('storage unavailable');
    await vi.advanceTimersByTimeAsync(1000);
    expect(follower.stats.lastError).toBeUndefined();
    expect(folded.length).toBeGreaterThan(0);
    expect(folded.every((segments) => segments === 1)).toBe(true);
    await follower.stop();
  });
});
