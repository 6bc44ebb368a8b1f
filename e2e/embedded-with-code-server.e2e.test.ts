import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../server/health.js';
import { disposeAll, freePort, getJson, startProcess, tempDir, waitFor } from './testkit/processes.js';

afterAll(disposeAll);

describe('embedded Servo with a separate code server, over HTTP', () => {
  it('runs a schedule tick to a successful run and advances a sensor over files dropped in a folder', async () => {
    const dataDir = await tempDir('data');
    const inbox = await tempDir('inbox');
    const secret = 'e2e-code-server-secret-0123456789';
    const codePort = await freePort();
    const codeServer = startProcess('workers/code-server.ts', ['examples/sales/definitions.ts'], {
      PORT: String(codePort),
      SERVO_CODE_SERVER_SECRET: secret,
      SERVO_EXAMPLE_INBOX: inbox,
    });
    await waitFor(
      'the code server',
      async () =>
        (
          await fetch(`http://127.0.0.1:${codePort}/healthz`, {
            headers: { authorization: `Bearer ${secret}` },
          })
        ).ok
          ? true
          : undefined,
      30_000,
      codeServer.output,
    );
    const port = await freePort();
    const servo = startProcess('workers/embedded.ts', [], {
      PORT: String(port),
      SERVO_DATA_DIR: dataDir,
      SERVO_CODE_LOCATIONS: JSON.stringify([{ name: 'sales', url: `http://127.0.0.1:${codePort}`, secret }]),
    });
    const health = () => getJson<HealthReport>(`http://127.0.0.1:${port}/healthz`);
    const diagnostics = () => `${servo.output()}\n--- code server ---\n${codeServer.output()}`;

    // The 15-second schedule ticks, and its run (three assets, dispatched to the code server over
    // HTTP, reported back through the task callbacks) succeeds.
    const ran = await waitFor(
      'a successful scheduled run',
      async () => {
        const report = await health();
        return (report.automation?.ticks.success ?? 0) > 0 && (report.automation?.runs.SUCCESS ?? 0) > 0
          ? report
          : undefined;
      },
      60_000,
      diagnostics,
    );
    expect(ran.automation?.materializedPartitions).toBeGreaterThanOrEqual(3);

    // A file dropped in the folder moves the poll sensor's cursor on the next evaluation.
    const before = (await health()).automation?.sensors.cursors['sales:inbox_files'] ?? null;
    await writeFile(join(inbox, 'orders-0001.csv'), 'id,amount\n1,10\n');
    const cursor = await waitFor(
      'the inbox sensor cursor to move past the new file',
      async () => {
        const value = (await health()).automation?.sensors.cursors['sales:inbox_files'] ?? null;
        return value !== null && value !== before && value.endsWith(':orders-0001.csv') ? value : undefined;
      },
      75_000,
      diagnostics,
    );
    expect(cursor).toMatch(/^\d{15}:orders-0001\.csv$/);
  }, 180_000);
});
