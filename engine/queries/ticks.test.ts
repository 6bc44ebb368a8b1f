import { describe, expect, it } from 'vitest';
import { createProjectionState, type ProjectionTables, type RowBlock } from '../fold/state.js';
import { draft } from '../model/catalog.js';
import type { ChangeListener } from '../projections/projection-store.js';
import { columnsToRowBlock, rowsToColumns } from '../projections/row-codec.js';
import { type ScheduleTickRow, TABLES } from '../projections/tables/index.js';
import { AutomationHarness } from '../testing/automation-harness.js';
import { SortedBlocks } from './sorted-blocks.js';
import { TickHistory, type TickHistoryQuery, type TickStatus, tickIdOf } from './ticks.js';

const START = Date.UTC(2026, 10, 20);
const iso = (ms: number) => new Date(ms).toISOString();

function scheduleTick(scheduleId: string, dueAt: number, status: 'SUCCESS' | 'SKIPPED' | 'FAILURE') {
  return draft(
    'schedule.ticked.v1',
    {
      scheduleId,
      tickId: `${scheduleId}:${dueAt / 1000}`,
      scheduledFor: iso(dueAt),
      trigger: 'cron',
      status,
      runKeys: [],
      definitionVersion: 'v1',
      ...(status === 'SKIPPED' ? { skipReason: 'nothing to do' } : {}),
      ...(status === 'FAILURE' ? { error: { message: 'boom' } } : {}),
    },
    iso(dueAt),
  );
}

function pollEvaluation(sensorId: string, dueAt: number, status: 'SUCCESS' | 'SKIPPED') {
  return draft(
    'sensor.evaluated.v1',
    {
      sensorId,
      evalId: `${sensorId}:poll:${dueAt / 1000}`,
      trigger: { kind: 'poll', dueAt: iso(dueAt) },
      cursorBefore: null,
      cursorAfter: null,
      status,
      runKeys: [],
    },
    iso(dueAt),
  );
}

const STATUSES: ('SUCCESS' | 'SKIPPED' | 'FAILURE')[] = ['SUCCESS', 'SKIPPED', 'SUCCESS', 'FAILURE'];

/** Ticks of `sales:every` every 15 s (statuses cycling), of another schedule, and of a sensor. */
async function seeded(count: number) {
  const h = await AutomationHarness.create({ start: START });
  const drafts = [];
  for (let i = 0; i < count; i++) {
    drafts.push(scheduleTick('sales:every', START + i * 15_000, STATUSES[i % 4]!));
    drafts.push(scheduleTick('sales:other', START + i * 15_000 + 1000, 'SUCCESS'));
    drafts.push(pollEvaluation('sales:every', START + i * 30_000, 'SKIPPED'));
  }
  await h.automation.append(drafts);
  return h;
}

const query = (extra: Partial<TickHistoryQuery> = {}): TickHistoryQuery => ({
  instigationType: 'SCHEDULE',
  instigatorId: 'sales:every',
  limit: 100,
  ...extra,
});

const ids = (history: TickHistory, tables: ProjectionTables, q: TickHistoryQuery) =>
  history.page(tables, q).map(tickIdOf);

/** A published schedule tick `i` seconds after START, as the tables hold it. */
function tickRow(scheduleId: string, i: number, status: string): ScheduleTickRow {
  return {
    tickId: `${scheduleId}:${START / 1000 + i}`,
    scheduleId,
    scheduledFor: START + i * 1000,
    trigger: 'cron',
    status,
    skipReason: null,
    error: null,
    runKeys: [],
    runIds: [],
    definitionVersion: 'v1',
    droppedCount: null,
    droppedFirstDueFor: null,
    droppedLastDueFor: null,
    recordedAt: START + i * 1000,
    rowVersion: String(i),
  };
}

describe('tick history', () => {
  it("returns one instigator's ticks newest first, apart from other schedules and from sensors", async () => {
    const h = await seeded(6);
    const history = new TickHistory(h.workspace.projections);
    expect(ids(history, h.tables, query())).toEqual(
      [5, 4, 3, 2, 1, 0].map((i) => `sales:every:${(START + i * 15_000) / 1000}`),
    );
    const sensor = ids(history, h.tables, query({ instigationType: 'SENSOR' }));
    expect(sensor).toEqual([5, 4, 3, 2, 1, 0].map((i) => `sales:every:poll:${(START + i * 30_000) / 1000}`));
  });

  it('filters by status and by time, with both bounds exclusive', async () => {
    const h = await seeded(8);
    const history = new TickHistory(h.workspace.projections);
    const at = (i: number) => `sales:every:${(START + i * 15_000) / 1000}`;
    expect(ids(history, h.tables, query({ statuses: ['SUCCESS'] }))).toEqual([at(6), at(4), at(2), at(0)]);
    expect(ids(history, h.tables, query({ statuses: ['FAILURE', 'SKIPPED'] }))).toEqual([
      at(7),
      at(5),
      at(3),
      at(1),
    ]);
    expect(ids(history, h.tables, query({ statuses: ['STARTED'] }))).toEqual([]);
    expect(
      ids(history, h.tables, query({ beforeMs: START + 5 * 15_000, afterMs: START + 2 * 15_000 })),
    ).toEqual([at(4), at(3)]);
  });

  it('pages with the last tick id as cursor, without gaps or repeats, also under a status filter', async () => {
    const h = await seeded(20);
    const history = new TickHistory(h.workspace.projections);
    for (const statuses of [undefined, ['SUCCESS', 'FAILURE'] as TickStatus[]]) {
      const all = ids(history, h.tables, query({ ...(statuses ? { statuses } : {}) }));
      const paged: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = ids(
          history,
          h.tables,
          query({ limit: 3, ...(statuses ? { statuses } : {}), ...(cursor ? { cursor } : {}) }),
        );
        paged.push(...page);
        if (page.length < 3) break;
        cursor = page[page.length - 1];
      }
      expect(paged).toEqual(all);
    }
  });

  it('orders ticks the tables hold out of time order, and keeps them in order as ticks come and go', async () => {
    const h = await AutomationHarness.create({ start: START });
    const order = [4, 0, 3, 1, 2];
    await h.automation.append(order.map((i) => scheduleTick('sales:every', START + i * 15_000, 'SUCCESS')));
    await h.automation.append([pollEvaluation('sales:every', START + 30_000, 'SKIPPED')]);
    await h.automation.append([pollEvaluation('sales:every', START, 'SKIPPED')]);
    const history = new TickHistory(h.workspace.projections);
    const at = (i: number) => `sales:every:${(START + i * 15_000) / 1000}`;
    expect(ids(history, h.tables, query())).toEqual([4, 3, 2, 1, 0].map(at));
    expect(ids(history, h.tables, query({ instigationType: 'SENSOR' }))).toEqual([
      `sales:every:poll:${(START + 30_000) / 1000}`,
      `sales:every:poll:${START / 1000}`,
    ]);
    expect(history.size).toBe(7);
    await h.automation.append([scheduleTick('sales:every', START + 2 * 15_000 + 5000, 'FAILURE')]);
    expect(ids(history, h.tables, query({ cursor: at(3) }))).toEqual([
      `sales:every:${(START + 2 * 15_000 + 5000) / 1000}`,
      at(2),
      at(1),
      at(0),
    ]);
  });

  it('accepts the id of an expired tick as cursor by its time, and refuses an unreadable cursor', async () => {
    const h = await seeded(5);
    const history = new TickHistory(h.workspace.projections);
    const gone = `sales:every:${(START + 3 * 15_000) / 1000 + 1}`;
    expect(ids(history, h.tables, query({ cursor: gone }))).toEqual(
      [3, 2, 1, 0].map((i) => `sales:every:${(START + i * 15_000) / 1000}`),
    );
    expect(() => history.page(h.tables, query({ cursor: 'not a cursor' }))).toThrow(/unreadable tick cursor/);
    expect(() => history.page(h.tables, query({ limit: 0 }))).toThrow(/limit/);
  });

  it('takes in ticks folded after it was built, and drops ticks expired by retention', async () => {
    const h = await AutomationHarness.create({
      start: START,
      retention: {
        tickDays: 1,
        sensorEvalDays: 1,
        conflictDays: 1,
        idempotencyKeyDays: 1,
        terminalRunDays: 1,
        firedTimerDays: 1,
      },
    });
    const history = new TickHistory(h.workspace.projections);
    expect(history.page(h.tables, query())).toEqual([]);
    await h.automation.append([scheduleTick('sales:every', START, 'SUCCESS')]);
    await h.automation.append([scheduleTick('sales:every', START + 15_000, 'FAILURE')]);
    expect(ids(history, h.tables, query())).toEqual([
      `sales:every:${START / 1000 + 15}`,
      `sales:every:${START / 1000}`,
    ]);

    h.clock.set(START + 2 * 86_400_000);
    const later = START + 2 * 86_400_000;
    await h.automation.append([scheduleTick('sales:every', later, 'SUCCESS')]);
    expect(ids(history, h.tables, query())).toEqual([`sales:every:${later / 1000}`]);
    expect(history.size).toBe(1);
  });

  it('reads only the rows of the page it returns, out of a quarter of a million ticks', () => {
    const state = createProjectionState();
    const listeners: ChangeListener[] = [];
    const store = {
      state,
      subscribe: (listener: ChangeListener) => {
        listeners.push(listener);
        return () => undefined;
      },
    };
    const row = (scheduleId: string, i: number) =>
      tickRow(scheduleId, i, i % 10 === 0 ? 'FAILURE' : 'SUCCESS');
    state.tables.scheduleTicks.tracking = false;
    for (let i = 0; i < 250_000; i++) {
      const tick = row(i % 2 === 0 ? 'big:one' : 'big:two', i);
      state.tables.scheduleTicks.set(tick.tickId, tick);
    }
    const history = new TickHistory(store);
    let rowsRead = 0;
    const counted = new Proxy(state.tables, {
      get(target, table) {
        const value = Reflect.get(target, table);
        if (table !== 'scheduleTicks') return value;
        return {
          get: (key: string) => {
            rowsRead += 1;
            return target.scheduleTicks.get(key);
          },
        };
      },
    }) as ProjectionTables;

    const middle = `big:one:${START / 1000 + 125_000}`;
    const page = history.page(counted, {
      instigationType: 'SCHEDULE',
      instigatorId: 'big:one',
      statuses: ['FAILURE'],
      cursor: middle,
      limit: 25,
    });
    expect(page.map(tickIdOf)).toEqual(
      Array.from({ length: 25 }, (_, n) => `big:one:${START / 1000 + 124_990 - n * 10}`),
    );
    expect(rowsRead).toBe(25);

    // A new tick arrives through the change feed and is on the first page at once.
    const fresh = row('big:one', 500_000);
    state.tables.scheduleTicks.set(fresh.tickId, fresh);
    for (const listener of listeners)
      listener({ fromSeq: 1, toSeq: 1, tables: new Map([['scheduleTicks', new Set([fresh.tickId])]]) });
    expect(
      history
        .page(state.tables, { instigationType: 'SCHEDULE', instigatorId: 'big:one', limit: 1 })
        .map(tickIdOf),
    ).toEqual([fresh.tickId]);
  });
});

describe('tick history over ticks loaded in bulk', () => {
  const row = (scheduleId: string, i: number) => tickRow(scheduleId, i, STATUSES[i % 4]!);

  /** A block of decoded columns, as a published base loads, counting the rows it builds. */
  function columnBlock(rows: readonly ScheduleTickRow[]): {
    block: RowBlock<ScheduleTickRow>;
    built: () => number;
  } {
    const block = columnsToRowBlock(TABLES.scheduleTicks, rowsToColumns(TABLES.scheduleTicks, rows));
    const asked = new Set<number>();
    const counting: RowBlock<ScheduleTickRow> = {
      length: block.length,
      keyAt: (index) => block.keyAt(index),
      rowAt: (index) => {
        asked.add(index);
        return block.rowAt(index);
      },
      viewAt: (index) => block.viewAt(index),
    };
    return { block: counting, built: () => asked.size };
  }

  /** The same ticks in a table loaded in bulk (as `arrays` of rows, or as decoded `columns`) and in a keyed one. */
  function stores(loaded: 'arrays' | 'columns' = 'arrays') {
    const listeners: ChangeListener[] = [];
    const store = (state: ReturnType<typeof createProjectionState>) => ({
      state,
      subscribe: (listener: ChangeListener) => {
        listeners.push(listener);
        return () => undefined;
      },
    });
    const bulk = createProjectionState();
    const keyed = createProjectionState();
    // Out of time order in places, as a table folded out of order would be published.
    const rows = Array.from({ length: 20_000 }, (_, i) => row(i % 3 === 0 ? 'big:one' : 'big:two', i ^ 5));
    let built = (): number => 0;
    if (loaded === 'arrays') {
      bulk.tables.scheduleTicks.loadDistinct(
        rows.map((tick) => tick.tickId),
        rows.slice(),
      );
    } else {
      // In two parts, as a base of two files loads.
      const first = columnBlock(rows.slice(0, 7_000));
      const second = columnBlock(rows.slice(7_000));
      bulk.tables.scheduleTicks.loadBlock(first.block);
      bulk.tables.scheduleTicks.loadBlock(second.block);
      built = () => first.built() + second.built();
    }
    for (const tick of rows) keyed.tables.scheduleTicks.load(tick.tickId, tick);
    const notify = (key: string) => {
      for (const listener of listeners)
        listener({ fromSeq: 1, toSeq: 1, tables: new Map([['scheduleTicks', new Set([key])]]) });
    };
    return { bulk, keyed, bulkStore: store(bulk), keyedStore: store(keyed), notify, built };
  }

  const queries: TickHistoryQuery[] = [
    query({ instigatorId: 'big:one', limit: 25 }),
    query({ instigatorId: 'big:two', limit: 1000, statuses: ['FAILURE', 'SKIPPED'] }),
    query({ instigatorId: 'big:one', cursor: `big:one:${START / 1000 + 9001}`, limit: 30 }),
    query({ instigatorId: 'big:one', cursor: `big:two:${START / 1000 + 9000}`, limit: 30 }),
    query({ instigatorId: 'big:two', cursor: `big:two:${START / 1000 + 123_456}`, limit: 5 }),
    query({ instigatorId: 'big:two', beforeMs: START + 15_000_000, afterMs: START + 14_000_000 }),
  ];

  it('pages as over a table loaded row by row, without keying the table for a page', () => {
    const { bulk, keyed, bulkStore, keyedStore } = stores();
    const lazy = new TickHistory(bulkStore);
    const eager = new TickHistory(keyedStore);
    expect(lazy.size).toBe(eager.size);
    expect(lazy.page(bulk.tables, queries[0]!)).toEqual(eager.page(keyed.tables, queries[0]!));
    expect(bulk.tables.scheduleTicks.unkeyed).toBe(20_000);
    for (const q of queries) {
      const page = lazy.page(bulk.tables, q);
      expect(page.map(tickIdOf)).toEqual(eager.page(keyed.tables, q).map(tickIdOf));
      // The very rows the table holds.
      for (const tick of page) expect(tick.row).toBe(keyed.tables.scheduleTicks.get(tickIdOf(tick)));
    }
  });

  it('builds from decoded columns only the rows of the lists it pages, and pages as over a keyed table', () => {
    const { bulk, keyed, bulkStore, keyedStore, built } = stores('columns');
    const lazy = new TickHistory(bulkStore);
    const eager = new TickHistory(keyedStore);
    expect(lazy.size).toBe(eager.size);
    expect(built()).toBe(0);
    const first = lazy.page(bulk.tables, queries[0]!);
    expect(first.map((tick) => tick.row)).toEqual(
      eager.page(keyed.tables, queries[0]!).map((tick) => tick.row),
    );
    // The lists of big:one (a third of the ticks), and no row of big:two.
    expect(built()).toBe(Math.ceil(20_000 / 3));
    expect(bulk.tables.scheduleTicks.unkeyed).toBe(20_000);
    // A cursor that is a tick of the instigator is placed in its lists, with no key looked up.
    const cursorPage = query({
      instigatorId: 'big:one',
      cursor: `big:one:${START / 1000 + (3000 ^ 5)}`,
      limit: 30,
    });
    const paged = lazy.page(bulk.tables, cursorPage);
    expect(paged).toHaveLength(30);
    expect(paged.map((tick) => tick.row)).toEqual(
      eager.page(keyed.tables, cursorPage).map((tick) => tick.row),
    );
    expect(bulk.tables.scheduleTicks.unkeyed).toBe(20_000);
    const pages = queries.map((q) => lazy.page(bulk.tables, q));
    pages.forEach((page, index) => {
      expect(page.map((tick) => tick.row)).toEqual(
        eager.page(keyed.tables, queries[index]!).map((tick) => tick.row),
      );
    });
    // The very rows the table holds, once it has keyed them.
    for (const page of [first, ...pages])
      for (const tick of page) expect(tick.row).toBe(bulk.tables.scheduleTicks.get(tickIdOf(tick)));
    expect(built()).toBe(20_000);
  });

  for (const loaded of ['arrays', 'columns'] as const) {
    it(`takes in new and expired ticks from the change feed as over a table loaded row by row (${loaded})`, () => {
      const { bulk, keyed, bulkStore, keyedStore, notify } = stores(loaded);
      const lazy = new TickHistory(bulkStore);
      const eager = new TickHistory(keyedStore);
      const fresh = row('big:one', 30_000);
      const gone = `big:one:${START / 1000 + (3 ^ 5)}`;
      for (const state of [bulk, keyed]) {
        state.tables.scheduleTicks.set(fresh.tickId, fresh);
        state.tables.scheduleTicks.delete(gone);
      }
      notify(fresh.tickId);
      notify(gone);
      expect(lazy.size).toBe(eager.size);
      for (const q of [...queries, query({ instigatorId: 'big:one', limit: 100_000 })]) {
        expect(lazy.page(bulk.tables, q).map(tickIdOf)).toEqual(eager.page(keyed.tables, q).map(tickIdOf));
      }
      expect(lazy.page(bulk.tables, query({ instigatorId: 'big:one', limit: 1 })).map(tickIdOf)).toEqual([
        fresh.tickId,
      ]);
    });
  }
});

describe('sorted blocks', () => {
  it('is filled in one go from items in order, and takes inserts and deletes afterwards', () => {
    const blocks = new SortedBlocks<number>((a, b) => a - b, 4);
    const items = Array.from({ length: 50 }, (_, index) => index * 2);
    blocks.assign(items);
    expect(blocks.size).toBe(50);
    expect([...blocks.descendingBefore()]).toEqual([...items].reverse());
    expect([...blocks.descendingBefore(7)]).toEqual([6, 4, 2, 0]);
    blocks.insert(7);
    expect(blocks.delete(40)).toBe(true);
    expect([...blocks.descendingBefore(9)]).toEqual([8, 7, 6, 4, 2, 0]);
    expect(blocks.size).toBe(50);
    expect(() => blocks.assign([1, 3, 2])).toThrow(/ascending/);
    expect(() => blocks.assign([1, 1])).toThrow(/ascending/);
    blocks.assign([]);
    expect([...blocks.descendingBefore()]).toEqual([]);
  });

  it('keeps items in order through random inserts and deletes, like a sorted array', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const blocks = new SortedBlocks<number>((a, b) => a - b, 4);
    const reference: number[] = [];
    for (let step = 0; step < 5000; step++) {
      const value = Math.floor(random() * 1000);
      if (random() < 0.6) {
        if (!reference.includes(value)) {
          blocks.insert(value);
          reference.push(value);
        }
      } else {
        const index = reference.indexOf(value);
        expect(blocks.delete(value)).toBe(index >= 0);
        if (index >= 0) reference.splice(index, 1);
      }
    }
    reference.sort((a, b) => a - b);
    expect(blocks.size).toBe(reference.length);
    expect([...blocks.descendingBefore()]).toEqual([...reference].reverse());
    const bound = reference[Math.floor(reference.length / 2)]!;
    expect([...blocks.descendingBefore(bound)]).toEqual(reference.filter((v) => v < bound).reverse());
    expect([...blocks.descendingBefore(bound + 0.5)]).toEqual(reference.filter((v) => v <= bound).reverse());
    expect([...blocks.descendingBefore(-1)]).toEqual([]);
    expect([...blocks.descendingBefore(10_000)]).toEqual([...reference].reverse());
  });
});
