import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertSchedule } from '../engine/commands/schedules.js';
import { inProcessGraphql } from '../server/testing/in-process-graphql.js';
import { type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';

/**
 * A page that lists schedules reads the projections a constant number of times, however many
 * schedules it lists: their states, runs and run counts are each loaded in one batch.
 */

let servo: SeededServo;

const OVERVIEW = new URL(
  '../server/__fixtures__/dagster-ui/ops/overview/OverviewSchedulesQuery.graphql',
  import.meta.url,
);

/** The overview page's query, with each schedule's latest run and run counts as well. */
const OVERVIEW_WITH_RUNS = `{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        locationOrLoadError {
          ... on RepositoryLocation {
            repositories {
              schedules {
                name
                scheduleState { id status runsCount runningCount runs(limit: 1) { runId status tags { key value } } }
              }
            }
          }
        }
      }
    }
  }
}`;

interface Overview {
  workspaceOrError: {
    locationEntries: {
      locationOrLoadError: {
        repositories: {
          schedules: {
            name: string;
            scheduleState: { runsCount: number; runningCount: number; runs: { runId: string }[] };
          }[];
        }[];
      };
    }[];
  };
}

async function addSchedules(from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) {
    await upsertSchedule(
      servo.servo.automation,
      {
        codeLocation: 'sales',
        name: `bulk_${String(n).padStart(4, '0')}`,
        cronSchedule: '0 3 * * *',
        executionTimezone: 'UTC',
        assetSelection: ['sales/raw_orders'],
        defaultStatus: 'STOPPED',
      },
      'test',
    );
  }
}

beforeAll(async () => {
  servo = await startSeededServo();
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('schedule overview reads', () => {
  it('reads the projections as often for 1,000 schedules as for 10', async () => {
    const run = inProcessGraphql(servo.servo.automation, 'viewer');
    const overview = await readFile(OVERVIEW, 'utf8');
    const measure = async () => {
      const plain = await run(overview);
      const withRuns = await run<Overview>(OVERVIEW_WITH_RUNS);
      expect(plain.errors).toBeUndefined();
      expect(withRuns.errors).toBeUndefined();
      const schedules = withRuns.data!.workspaceOrError.locationEntries.flatMap((entry) =>
        entry.locationOrLoadError.repositories.flatMap((repository) => repository.schedules),
      );
      return { plain: plain.reads, withRuns: withRuns.reads, schedules };
    };

    await addSchedules(0, 8);
    const few = await measure();
    expect(few.schedules).toHaveLength(10);
    const ticking = few.schedules.find((schedule) => schedule.name === 'every_15_seconds')!.scheduleState;
    expect(ticking.runsCount).toBeGreaterThanOrEqual(4);
    expect(ticking.runningCount).toBe(1);
    expect(ticking.runs).toHaveLength(1);
    expect(
      few.schedules.find((schedule) => schedule.name === 'nightly_revenue')?.scheduleState,
    ).toMatchObject({
      runsCount: 0,
      runningCount: 0,
      runs: [],
    });

    await addSchedules(8, 998);
    const many = await measure();
    expect(many.schedules).toHaveLength(1000);
    expect(many.plain).toBe(few.plain);
    expect(many.withRuns).toBe(few.withRuns);
  }, 120_000);
});
