import { afterAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../server/health.js';
import { disposeAll, freePort, getJson, startCommand, tempDir, waitFor } from './testkit/processes.js';

afterAll(disposeAll);

/**
 * The README's quick start, as a new user runs it: `npm start`, then within a minute the example's
 * schedules have ticked, runs have finished and partitions are materialized — checked only through
 * the process's HTTP endpoints.
 */
describe('quick start: npm start', () => {
  it('shows ticks, successful runs and materialized partitions within 60 s, and serves GraphiQL', async () => {
    const port = await freePort();
    const started = Date.now();
    const servo = startCommand('npm', ['start'], {
      PORT: String(port),
      SERVO_DATA_DIR: await tempDir('quick-start'),
      SERVO_EXAMPLE_INBOX: await tempDir('quick-start-inbox'),
    });
    const base = `http://127.0.0.1:${port}`;
    const report = await waitFor(
      'ticks, a successful run and materialized partitions',
      async () => {
        const health = await getJson<HealthReport>(`${base}/healthz`);
        const automation = health.automation;
        if (automation === undefined) return undefined;
        return automation.ticks.success > 0 &&
          (automation.runs.SUCCESS ?? 0) > 0 &&
          automation.materializedPartitions > 0
          ? health
          : undefined;
      },
      60_000,
      servo.output,
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(report.automation?.codeLocations).toEqual([expect.stringMatching(/^sales@/)]);

    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/graphql/assets/yoga-graphiql.umd.js');
    const answer = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ version }' }),
    });
    expect(await answer.json()).toEqual({ data: { version: expect.any(String) } });
  }, 90_000);
});
