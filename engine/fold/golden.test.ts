import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_CASES } from './__golden__/cases.js';
import { Folder } from './fold.js';
import { goldenRows, readGoldenLedger } from './golden.js';
import { createProjectionState } from './state.js';

const dir = join(new URL('.', import.meta.url).pathname, '__golden__');

describe('golden ledgers', () => {
  for (const testCase of GOLDEN_CASES) {
    it(`replays ${testCase.name}.ledger.jsonl to exactly its expected rows`, async () => {
      const events = await readGoldenLedger(join(dir, `${testCase.name}.ledger.jsonl`));
      const expected = JSON.parse(await readFile(join(dir, `${testCase.name}.expected.json`), 'utf8'));
      const state = createProjectionState();
      new Folder(testCase.config).foldAll(state, events);
      const actual = goldenRows(state);
      expect(Object.keys(actual)).toEqual(Object.keys(expected));
      for (const table of Object.keys(expected)) {
        expect({ table, rows: actual[table as keyof typeof actual] }).toEqual({
          table,
          rows: expected[table],
        });
      }
    });
  }
});

describe('golden ledgers guard persisted names', () => {
  it('a ledger whose event type was renamed no longer reads', async () => {
    const path = join(dir, 'daily-operations.ledger.jsonl');
    const renamed = (await readFile(path, 'utf8')).replace(
      '"schedule.ticked.v1"',
      '"schedule.tick-recorded.v1"',
    );
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const copy = join(await mkdtemp(join(tmpdir(), 'servo-golden-')), 'renamed.ledger.jsonl');
    await writeFile(copy, renamed);
    await expect(readGoldenLedger(copy)).rejects.toThrow(/unknown event type "schedule.tick-recorded.v1"/);
  });

  it('expected rows are keyed by the persisted column names', async () => {
    const expected = JSON.parse(await readFile(join(dir, 'daily-operations.expected.json'), 'utf8'));
    expect(Object.keys(expected.scheduleTicks[0])).toContain('scheduled_for');
    expect(Object.keys(expected.runs[0])).toContain('tasks_succeeded');
  });
});
