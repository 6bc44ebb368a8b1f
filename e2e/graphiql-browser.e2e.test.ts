import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  disposeAll,
  freePort,
  ROOT,
  startProcess,
  tempDir,
  waitFor,
  waitUntilHealthy,
} from './testkit/processes.js';

/** Debian's Chromium; the browser is never downloaded by a tool. */
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
  '--disable-component-update',
];
/** Where the screenshot goes (kept by CI as an artefact; ignored by git). */
const ARTEFACTS = join(ROOT, 'test-results');

const SCHEDULES_QUERY = `query Schedules {
  schedulesOrError(repositorySelector: { repositoryName: "__repository__", repositoryLocationName: "sales" }) {
    ... on Schedules {
      results { name cronSchedule executionTimezone }
    }
  }
}`;

// Without Chromium installed the test cannot run; CI installs it (`.ci/run`) and sets
// SERVO_REQUIRE_BROWSER so that a missing browser fails there instead of skipping.
const available = existsSync(CHROMIUM);
if (!available && process.env.SERVO_REQUIRE_BROWSER === '1') {
  throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
}
if (!available) console.warn(`skipping the GraphiQL browser test: ${CHROMIUM} is not installed`);

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await disposeAll();
});

describe.skipIf(!available)('GraphiQL in a real browser', () => {
  it('opens GraphiQL offline, runs a schedules query and shows the result', async () => {
    const port = await freePort();
    const servo = startProcess('workers/embedded.ts', [], {
      PORT: String(port),
      SERVO_DATA_DIR: await tempDir('browser'),
      SERVO_EXAMPLE_INBOX: await tempDir('browser-inbox'),
      SERVO_LOG_LEVEL: 'warn',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitUntilHealthy([base], servo.output);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // Every request the page makes must stay on this server: GraphiQL works with no internet.
    const outside: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(base) && !url.startsWith('blob:') && !url.startsWith('data:')) outside.push(url);
    });
    await page.goto(`${base}/graphql?query=${encodeURIComponent(SCHEDULES_QUERY)}`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 60_000 });

    // The run button acts once the editor has initialised: click until the result shows.
    const text = await waitFor(
      'the query result in GraphiQL',
      async () => {
        await page.click('.graphiql-execute-button');
        await page.waitForTimeout(500);
        const result = await page
          .locator('.result-window')
          .textContent()
          .catch(() => '');
        const normalised = (result ?? '').replace(/\u00a0/g, ' ');
        return normalised.includes('every_15_seconds') ? normalised : undefined;
      },
      30_000,
    );
    expect(text).toContain('"cronSchedule": "*/15 * * * * *"');
    expect(text).toContain('nightly_revenue');
    expect(outside).toEqual([]);

    await mkdir(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, 'graphiql-schedules.png') });
  }, 120_000);
});
