import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeededServo, startSeededServo } from '../server/testing/seeded-servo.js';

/** What task attempts logged, read back through `capturedLogs`. */

let servo: SeededServo;

interface CapturedLogs {
  logKey: string[];
  stdout: string | null;
  stderr: string | null;
  cursor: string | null;
}

async function capturedLogs(logKey: string[], cursor?: string, limit?: number): Promise<CapturedLogs> {
  const result = await servo.graphql<{ capturedLogs: CapturedLogs }>(
    `query Logs($logKey: [String!]!, $cursor: String, $limit: Int) {
      capturedLogs(logKey: $logKey, cursor: $cursor, limit: $limit) { logKey stdout stderr cursor }
    }`,
    { logKey, cursor, limit },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.capturedLogs;
}

/** A run with a `cleaned_orders` step that failed once (a day divisible by 3) and then succeeded. */
async function retriedStep(): Promise<{ runId: string; stepKey: string }> {
  const result = await servo.graphql<{
    runsOrError: { results: { runId: string; stepStats: { stepKey: string; attempts: unknown[] }[] }[] };
  }>(
    '{ runsOrError(limit: 200) { ... on Runs { results { runId stepStats { stepKey attempts { startTime } } } } } }',
  );
  for (const run of result.data!.runsOrError.results) {
    for (const step of run.stepStats) {
      if (step.stepKey.startsWith('sales/cleaned_orders[') && step.attempts.length === 2) {
        return { runId: run.runId, stepKey: step.stepKey };
      }
    }
  }
  throw new Error('the seeded example has no cleaned_orders step that was retried');
}

beforeAll(async () => {
  servo = await startSeededServo();
}, 120_000);

afterAll(async () => {
  await servo?.stop();
});

describe('capturedLogs', () => {
  it("returns each attempt's lines: the latest by default, an earlier one by its number", async () => {
    const { runId, stepKey } = await retriedStep();
    const latest = await capturedLogs([runId, 'compute_logs', stepKey]);
    expect(latest).toMatchObject({ logKey: [runId, 'compute_logs', stepKey], stderr: null });
    expect(latest.stdout).toMatch(/INFO loading into the warehouse .*"attempt":2/);
    const first = await capturedLogs([runId, 'compute_logs', stepKey, '1']);
    expect(first.stdout).toMatch(/INFO loading into the warehouse .*"attempt":1/);
    expect(first.stdout).not.toContain('"attempt":2');
  });

  it('pages by lines with the cursor it returns', async () => {
    const { runId, stepKey } = await retriedStep();
    const whole = await capturedLogs([runId, 'compute_logs', stepKey]);
    const lines = whole.stdout!.trimEnd().split('\n');
    expect(whole.cursor).toBe(String(lines.length));
    const page = await capturedLogs([runId, 'compute_logs', stepKey], '0', 1);
    expect(page.stdout).toBe(`${lines[0]}\n`);
    expect(page.cursor).toBe('1');
    const rest = await capturedLogs([runId, 'compute_logs', stepKey], String(lines.length));
    expect(rest).toMatchObject({ stdout: '', cursor: String(lines.length) });
  });

  it('gives null for a run, step or attempt that does not exist, and refuses a bad cursor or limit', async () => {
    const { runId, stepKey } = await retriedStep();
    for (const logKey of [
      ['run_nosuchrun', 'compute_logs', stepKey],
      [runId, 'compute_logs', 'sales/no_such_asset[2026-01-01]'],
      [runId, 'compute_logs', stepKey, '3'],
      [runId, 'other', stepKey],
    ]) {
      expect(await capturedLogs(logKey)).toMatchObject({ stdout: null, cursor: null });
    }
    for (const [cursor, limit] of [
      ['-1', 10],
      ['abc', 10],
      ['0', 0],
      ['0', 100_000],
    ] as const) {
      const result = await servo.graphql(
        'query($cursor: String, $limit: Int) { capturedLogs(logKey: ["x", "compute_logs", "y"], cursor: $cursor, limit: $limit) { stdout } }',
        { cursor, limit },
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
