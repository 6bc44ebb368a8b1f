import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateScenario } from '../../testing/scenario.js';
import { GOLDEN_CASES } from './cases.js';

/**
 * Writes the golden ledgers and their expected rows from the current code. Run it only for a
 * deliberate change of the fold or of persisted names (`npm run golden:update`), and review the
 * diff: a renamed event type or column shows up here, and old ledgers must still fold.
 */
const dir = new URL('.', import.meta.url).pathname;
for (const testCase of GOLDEN_CASES) {
  const events = generateScenario(testCase.scenario).flat();
  await writeFile(
    join(dir, `${testCase.name}.ledger.jsonl`),
    `${events.map((event) => JSON.stringify(event)).join('\n')}\n`,
  );
  const rows = await testCase.expectedRows(events);
  await writeFile(join(dir, `${testCase.name}.expected.json`), `${JSON.stringify(rows, null, 1)}\n`);
  process.stdout.write(`wrote ${testCase.name}: ${events.length} events\n`);
}
