import { describe, expect, it } from 'vitest';
import { createBackfillPlanner } from '../automation/backfills.js';
import type { AutomationLimits } from '../automation/limits.js';
import { ErrorCode } from '../errors.js';
import { draft, type PayloadOf } from '../model/catalog.js';
import type { PartitionsDefinition } from '../model/common.js';
import { backfillIdFor } from '../model/ids.js';
import type { TaskRow } from '../projections/tables/index.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { TEST_SCOPE } from '../testing/event-factory.js';
import { createFastExecutor } from '../testing/fast-executor.js';
import {
  cancelBackfill,
  launchBackfill,
  pauseBackfill,
  resumeBackfill,
  retryFailedBackfill,
} from './backfills.js';

const daily: PartitionsDefinition = { kind: 'time', cadence: 'daily', start: '2025-01-01', timezone: 'UTC' };
const regions = Array.from({ length: 1000 }, (_, i) => `r${String(i).padStart(3, '0')}`);
const dailyByRegion: PartitionsDefinition = {
  kind: 'multi',
  dimensions: [
    { name: 'date', partitions: { kind: 'time', cadence: 'daily', start: '2023-01-01', timezone: 'UTC' } },
    { name: 'region', partitions: { kind: 'static', keys: regions } },
  ],
};

interface Setup {
  limits?: Partial<AutomationLimits>;
  /** Run backfills: the planner and a fast executor failing the partitions in `failing`. */
  execute?: boolean;
  failing?: Set<string>;
}

async function harness({ limits, execute = false, failing = new Set() }: Setup = {}) {
  const fails = (task: TaskRow) => (task.partitionKeys ?? []).some((key) => failing.has(key));
  const h = await AutomationHarness.create({
    ...(limits === undefined ? {} : { limits }),
    reactors: (w) =>
      execute
        ? [
            createFastExecutor(w.projections, (task) => (fails(task) ? 'FAILED' : 'SUCCEEDED')),
            createBackfillPlanner(w.projections),
          ]
        : [],
  });
  const asset = (assetKey: string, partitions?: PartitionsDefinition, dependsOn: string[] = []) => {
    const definition = { assetKey, codeLocation: 'etl', dependsOn, requestId: 'd' };
    return draft(
      'asset.definition-upserted.v1',
      { ...definition, ...(partitions && { partitions }) },
      h.clock.now(),
    );
  };
  const tenants = {
    partitionsDefName: 'tenants',
    added: ['acme', 'globex'],
    deleted: [],
    requestId: 't',
    changedBy: 'ops',
  };
  await h.automation.append([
    asset('raw', daily),
    asset('clean', daily, ['raw']),
    asset('weekly', { kind: 'time', cadence: 'weekly', start: '2025-01-05', timezone: 'UTC' }),
    asset('plain'),
    asset('events', dailyByRegion),
    asset('tenants', { kind: 'dynamic', name: 'tenants' }),
    draft('partitions.dynamic-changed.v1', tenants, h.clock.now()),
  ]);
  await h.settle();
  return h;
}

type Harness = Awaited<ReturnType<typeof harness>>;

const headOf = (h: Harness) => h.workspace.projections.watermark.seq;

/** The call fails with `code` and a message matching `message`, and nothing is appended. */
async function expectRefused(h: Harness, call: Promise<unknown>, code: string, message: string | RegExp) {
  const head = headOf(h);
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ code });
  expect((error as Error).message).toMatch(message);
  await h.settle();
  expect(headOf(h)).toBe(head);
}

const range = (start: string, end: string) => ({ kind: 'range' as const, start, end });
const tenDays = { assetSelection: ['raw'], selector: range('2025-01-01', '2025-01-10') };

describe('launchBackfill', () => {
  it('stores the selector and the partition count, never the key list, with the platform defaults', async () => {
    const h = await harness();
    const id = await launchBackfill(
      h.automation,
      { assetSelection: ['raw', 'clean'], selector: range('2025-01-01', '2025-03-31'), requestId: 'r1' },
      'ops',
    );
    expect(id).toBe(backfillIdFor(TEST_SCOPE.tenantId, TEST_SCOPE.workspaceId, 'r1'));
    const segment = await h.workspace.ledger.read(headOf(h));
    expect(segment?.events.map((e) => e.type)).toEqual(['backfill.created.v1']);
    expect(segment?.events[0]?.payload).toEqual({
      backfillId: id,
      requestId: 'r1',
      assetSelection: ['raw', 'clean'],
      selector: range('2025-01-01', '2025-03-31'),
      totalPartitions: 90,
      chunkSize: 25,
      maxConcurrentRuns: 10,
      singleRun: false,
      tags: {},
      requestedBy: 'ops',
    } satisfies PayloadOf<'backfill.created.v1'>);
    expect(h.tables.backfills.get(id)).toMatchObject({ state: 'REQUESTED', totalChunks: 4 });
  });

  it('returns the existing backfill for a request id already used, appending nothing', async () => {
    const h = await harness();
    const input = { assetSelection: ['raw'], selector: range('2025-01-01', '2025-01-31'), requestId: 'same' };
    const id = await launchBackfill(h.automation, input, 'ops');
    const head = headOf(h);
    expect(await launchBackfill(h.automation, { ...input, chunkSize: 5 }, 'someone-else')).toBe(id);
    expect(headOf(h)).toBe(head);
    await expectRefused(
      h,
      launchBackfill(h.automation, { ...input, selector: range('2025-02-01', '2025-02-02') }, 'ops'),
      ErrorCode.IllegalState,
      `request id same was already used for backfill ${id}, which selects other partitions`,
    );
  });

  const INVALID = ErrorCode.InvalidInput;
  const assets = (...assetSelection: string[]) => ({ assetSelection });
  const selector = (value: unknown) => ({ selector: value });
  const invalid: Record<string, [Record<string, unknown>, string, string | RegExp]> = {
    'an unknown asset': [assets('raw', 'ghost'), ErrorCode.NotFound, /^asset ghost is not defined by any/],
    'an unpartitioned asset': [assets('plain'), INVALID, /^asset plain is not partitioned/],
    'assets partitioned differently': [
      assets('raw', 'weekly'),
      INVALID,
      /weekly is partitioned differently from raw$/,
    ],
    'an asset selected twice': [assets('raw', 'raw'), INVALID, 'asset raw is selected twice'],
    'no asset': [assets(), INVALID, /assetSelection: select at least one asset/],
    'a range starting before the definition': [
      selector(range('2024-12-31', '2025-01-02')),
      INVALID,
      /2024-12-31/,
    ],
    'a range ending in the future': [
      selector(range('2025-12-01', '2026-02-01')),
      INVALID,
      /'2026-02-01' .* yet/,
    ],
    'a malformed key': [selector(range('2025/01/01', '2025-01-02')), INVALID, /2025\/01\/01/],
    'a range whose start is after its end': [
      selector(range('2025-02-01', '2025-01-01')),
      INVALID,
      "range start '2025-02-01' is after its end '2025-01-01'",
    ],
    'a filter on a one-dimensional space': [
      selector({ kind: 'filter', dimensions: { region: { values: ['r001'] } } }),
      INVALID,
      /^a filter selects dimension values of multi partitions/,
    ],
    'an explicit key listed twice': [
      selector({ kind: 'explicit', keys: ['2025-01-01', '2025-01-01'] }),
      INVALID,
      "the explicit selector lists '2025-01-01' twice",
    ],
    'a dynamic key that does not exist': [
      { ...assets('tenants'), ...selector({ kind: 'explicit', keys: ['initech'] }) },
      INVALID,
      /'initech' is not a partition of asset tenants/,
    ],
    'a chunk that makes too large a run': [
      { ...assets('raw', 'clean'), chunkSize: 2001 },
      INVALID,
      /^a chunk of 2001 partitions × 2 assets would be a run of 4002 tasks; at most 4000/,
    ],
    'a single run of more than 100,000 partitions': [
      { ...assets('events'), ...selector({ kind: 'all' }), singleRun: true },
      INVALID,
      'a single-run backfill covers at most 100000 partitions; the selector selects 1096000',
    ],
    'a chunk size for a single run': [{ singleRun: true, chunkSize: 5 }, INVALID, /leave chunkSize out$/],
    'a zero chunk size': [{ chunkSize: 0 }, INVALID, /^invalid backfill: chunkSize: /],
    'an unknown field': [{ chunkSz: 5 }, INVALID, /chunkSz/],
    'a malformed selector': [selector({ kind: 'range', start: '2025-01-01' }), INVALID, /selector\.end/],
  };
  it.each(Object.entries(invalid))(
    'refuses %s with a specific error and appends nothing',
    async (_, [override, code, message]) => {
      const h = await harness();
      const input = { assetSelection: ['raw'], selector: range('2025-01-01', '2025-01-10'), ...override };
      await expectRefused(h, launchBackfill(h.automation, input, 'ops'), code, message);
    },
  );

  it('refuses more partitions than the platform limit', async () => {
    const h = await harness({ limits: { maxBackfillPartitions: 31 } });
    const input = { assetSelection: ['raw'], selector: range('2025-01-01', '2025-02-01') };
    const message = 'the selector selects 32 partitions; a backfill may cover at most 31';
    await expectRefused(h, launchBackfill(h.automation, input, 'ops'), INVALID, message);
  });
});

describe('operator transitions', () => {
  it('CA-18: pause, resume and cancel each add one state version, keyed by version and state', async () => {
    const h = await harness();
    const id = await launchBackfill(h.automation, tenDays, 'ops');
    expect(await pauseBackfill(h.automation, id, 'ops')).toMatchObject({ state: 'PAUSED', stateVersion: 2 });
    expect(await resumeBackfill(h.automation, id, 'ops')).toMatchObject({
      state: 'REQUESTED',
      stateVersion: 3,
    });
    // Nothing is in flight, so CANCELING settles to CANCELED in the same fold.
    expect(await cancelBackfill(h.automation, id, {}, 'ops')).toMatchObject({
      state: 'CANCELED',
      stateVersion: 5,
    });
    for (const key of [`${id}:2:PAUSED`, `${id}:3:REQUESTED`, `${id}:4:CANCELING`]) {
      expect(h.tables.idempotencyKeys.has(`backfill_state:${key}`)).toBe(true);
    }
  });

  it('asking for the state a backfill is already in returns it and appends nothing', async () => {
    const h = await harness();
    const id = await launchBackfill(h.automation, tenDays, 'ops');
    let head = headOf(h);
    expect(await resumeBackfill(h.automation, id, 'ops')).toMatchObject({
      state: 'REQUESTED',
      stateVersion: 1,
    });
    expect(headOf(h)).toBe(head);
    await pauseBackfill(h.automation, id, 'ops');
    head = headOf(h);
    expect(await pauseBackfill(h.automation, id, 'ops')).toMatchObject({ state: 'PAUSED', stateVersion: 2 });
    await cancelBackfill(h.automation, id, { terminateRuns: true }, 'ops');
    expect(headOf(h)).toBe(head + 1);
    expect(await cancelBackfill(h.automation, id, {}, 'ops')).toMatchObject({ state: 'CANCELED' });
    expect(headOf(h)).toBe(head + 1);
  });

  it('refuses transitions from the wrong state, naming the current and the wanted state, and appends nothing', async () => {
    const h = await harness({ execute: true });
    const id = await launchBackfill(
      h.automation,
      { assetSelection: ['raw'], selector: range('2025-01-01', '2025-01-03') },
      'ops',
    );
    await h.settle();
    expect(h.tables.backfills.get(id)?.state).toBe('COMPLETED_SUCCESS');
    const refused = (verb: string, from: string) =>
      `backfill ${id} is COMPLETED_SUCCESS; only ${from} backfill can be ${verb}`;
    await expectRefused(
      h,
      pauseBackfill(h.automation, id, 'ops'),
      ErrorCode.IllegalState,
      refused('paused', 'a REQUESTED'),
    );
    await expectRefused(
      h,
      resumeBackfill(h.automation, id, 'ops'),
      ErrorCode.IllegalState,
      refused('resumed', 'a PAUSED or FAILED'),
    );
    await expectRefused(
      h,
      cancelBackfill(h.automation, id, { terminateRuns: true }, 'ops'),
      ErrorCode.IllegalState,
      refused('canceled', 'a REQUESTED, PAUSED or FAILED'),
    );
    await expectRefused(
      h,
      pauseBackfill(h.automation, 'bf_nope', 'ops'),
      ErrorCode.NotFound,
      'backfill bf_nope does not exist',
    );
    await expectRefused(
      h,
      pauseBackfill(h.automation, 'bf nope', 'ops'),
      ErrorCode.InvalidInput,
      /invalid backfill id/,
    );
    await expectRefused(
      h,
      cancelBackfill(h.automation, id, { terminate: true }, 'ops'),
      ErrorCode.InvalidInput,
      /terminate/,
    );
  });
});

describe('retryFailedBackfill', () => {
  it('CA-19: creates a child of exactly the failed partitions in partition order, idempotent by request id', async () => {
    const failing = new Set(['2025-01-09', '2025-01-01', '2025-01-07']);
    const h = await harness({ execute: true, failing });
    const keys = ['2025-01-09', '2025-01-02', '2025-01-05', '2025-01-01', '2025-01-07'];
    const parent = await launchBackfill(
      h.automation,
      {
        assetSelection: ['raw'],
        selector: { kind: 'explicit', keys },
        chunkSize: 2,
        maxConcurrentRuns: 3,
        tags: { team: 'data' },
      },
      'ops',
    );
    await h.settle();
    expect(h.tables.backfills.get(parent)).toMatchObject({ state: 'COMPLETED_FAILED', partitionsFailed: 3 });
    failing.clear();
    const child = await retryFailedBackfill(h.automation, parent, { requestId: 'again' }, 'ops');
    expect(child).toBe(backfillIdFor(TEST_SCOPE.tenantId, TEST_SCOPE.workspaceId, `retry:${parent}:again`));
    expect(h.tables.backfills.get(child)).toMatchObject({
      parentBackfillId: parent,
      selector: { kind: 'explicit', keys: ['2025-01-01', '2025-01-07', '2025-01-09'] },
      totalPartitions: 3,
      chunkSize: 2,
      maxConcurrentRuns: 3,
      tags: { team: 'data' },
    });
    await h.settle();
    expect(h.tables.backfills.get(child)?.state).toBe('COMPLETED_SUCCESS');
    const head = headOf(h);
    expect(await retryFailedBackfill(h.automation, parent, { requestId: 'again' }, 'ops')).toBe(child);
    expect(headOf(h)).toBe(head);
  });

  it('refuses a parent that has not ended, has no failed partitions, or does not exist, appending nothing', async () => {
    const h = await harness({ execute: true });
    const done = await launchBackfill(h.automation, tenDays, 'ops');
    await h.settle();
    await expectRefused(
      h,
      retryFailedBackfill(h.automation, done, {}, 'ops'),
      ErrorCode.IllegalState,
      `backfill ${done} is COMPLETED_SUCCESS; only a COMPLETED_FAILED, CANCELED or FAILED backfill can be retried`,
    );
    const idle = await harness();
    const canceled = await launchBackfill(idle.automation, tenDays, 'ops');
    await pauseBackfill(idle.automation, canceled, 'ops');
    await expectRefused(
      idle,
      retryFailedBackfill(idle.automation, canceled, {}, 'ops'),
      ErrorCode.IllegalState,
      /is PAUSED/,
    );
    await cancelBackfill(idle.automation, canceled, {}, 'ops');
    await expectRefused(
      idle,
      retryFailedBackfill(idle.automation, canceled, {}, 'ops'),
      ErrorCode.IllegalState,
      `backfill ${canceled} has no failed partitions to retry`,
    );
    await expectRefused(
      h,
      retryFailedBackfill(h.automation, 'bf_nope', {}, 'ops'),
      ErrorCode.NotFound,
      'backfill bf_nope does not exist',
    );
  });
});

describe('retry-failed of a 1,000,000-partition backfill (daily × 1,000 regions over 1,000 days)', () => {
  it('CA-19: the parent ends COMPLETED_FAILED, the child holds exactly its failed partitions and succeeds', {
    timeout: 300_000,
  }, async () => {
    const failing = new Set<string>();
    const days = Array.from({ length: 1000 }, (_, day) =>
      new Date(Date.UTC(2023, 0, 1 + day)).toISOString().slice(0, 10),
    );
    for (const day of days) failing.add(`${day}|r042`);
    const h = await harness({ execute: true, failing });
    const million = {
      assetSelection: ['events'],
      selector: range('2023-01-01', '2025-09-26'),
      chunkSize: 1000,
    };
    const parent = await launchBackfill(h.automation, million, 'ops');
    await h.settle();
    expect(h.tables.backfills.get(parent)).toMatchObject({
      state: 'COMPLETED_FAILED',
      totalPartitions: 1_000_000,
      chunksFailed: 1000,
      partitionsFailed: 1000,
      partitionsSucceeded: 999_000,
    });
    failing.clear();
    const child = await retryFailedBackfill(h.automation, parent, { requestId: 'r042' }, 'ops');
    expect(h.tables.backfills.get(child)).toMatchObject({
      parentBackfillId: parent,
      selector: { kind: 'explicit', keys: days.map((day) => `${day}|r042`) },
      totalPartitions: 1000,
    });
    await h.settle();
    expect(h.tables.backfills.get(child)).toMatchObject({
      state: 'COMPLETED_SUCCESS',
      partitionsSucceeded: 1000,
    });
    expect(await retryFailedBackfill(h.automation, parent, { requestId: 'r042' }, 'ops')).toBe(child);
    await h.stop();
  });
});
