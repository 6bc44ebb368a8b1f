import type { LedgerEvent } from '../../model/catalog.js';
import { testFoldConfig } from '../../testing/event-factory.js';
import type { ScenarioOptions } from '../../testing/scenario.js';
import type { FoldConfig } from '../context.js';
import { Folder } from '../fold.js';
import { type GoldenRows, goldenRows } from '../golden.js';
import { createProjectionState } from '../state.js';

export interface GoldenCase {
  name: string;
  /** How the ledger was generated (only used to regenerate it). */
  scenario: ScenarioOptions;
  config: FoldConfig;
  expectedRows(events: LedgerEvent[]): GoldenRows;
}

function foldRows(config: FoldConfig, events: LedgerEvent[]): GoldenRows {
  const state = createProjectionState();
  new Folder(config).foldAll(state, events);
  return goldenRows(state);
}

/** The golden ledgers replayed in CI. */
export const GOLDEN_CASES: GoldenCase[] = [
  {
    name: 'daily-operations',
    scenario: { days: 2, schedules: 2, seed: 11 },
    config: testFoldConfig(),
    expectedRows(events) {
      return foldRows(this.config, events);
    },
  },
  {
    name: 'retention',
    scenario: { days: 40, schedules: 1, seed: 12 },
    config: testFoldConfig({
      retention: {
        tickDays: 20,
        sensorEvalDays: 10,
        conflictDays: 15,
        idempotencyKeyDays: 7,
        terminalRunDays: 25,
        firedTimerDays: 3,
      },
    }),
    expectedRows(events) {
      return foldRows(this.config, events);
    },
  },
];
