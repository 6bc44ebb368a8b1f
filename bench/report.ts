/**
 * `npm run bench:report`: writes the figures of `bench/results/latest.json` into the generated
 * section of `docs/performance.md` — one table per benchmark, every figure with its unit and target,
 * the machine and the time it ran — so the document shows what was measured, not what was hoped.
 * Benchmarks without a result are listed as not run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spliceGenerated } from '../engine/reference-docs.js';
import { type Benchmark, compareIds, type ResultFile, reportRows, round } from './harness.js';
import { BENCHMARKS } from './registry.js';

const RESULTS_PATH = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const DOCUMENT_PATH = fileURLToPath(new URL('../docs/performance.md', import.meta.url));

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function formatValue(value: number): string {
  return round(value).toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** The markdown of every benchmark's latest result. */
export async function renderResults(results: ResultFile): Promise<string> {
  const sections: string[] = [];
  for (const id of Object.keys(BENCHMARKS).sort(compareIds)) {
    const benchmark = ((await import(BENCHMARKS[id]!)) as { default: Benchmark }).default;
    const record = results[id];
    const lines = [`### ${id} — ${benchmark.title}`, '', `Target: ${benchmark.targets}`, ''];
    if (record === undefined) {
      lines.push('Not run yet.');
    } else {
      lines.push(
        `**${record.met ? 'Met' : 'Not met'}.** ${record.machine}, ${record.ranAt.slice(0, 16).replace('T', ' ')} UTC.`,
        '',
        '| figure | value | unit | target |',
        '|---|---:|---|---|',
      );
      for (const row of reportRows(benchmark, record.figures)) {
        const verdict = row.met === undefined ? '' : row.met ? ' ✓' : ' ✗';
        lines.push(
          `| \`${row.figure}\` | ${formatValue(row.value)} | ${cell(row.unit)} | ${cell(row.target)}${verdict} |`,
        );
      }
    }
    sections.push(lines.join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
}

async function main(): Promise<void> {
  let results: ResultFile = {};
  try {
    results = JSON.parse(await readFile(RESULTS_PATH, 'utf8')) as ResultFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const document = await readFile(DOCUMENT_PATH, 'utf8');
  await writeFile(DOCUMENT_PATH, spliceGenerated(document, await renderResults(results)));
  process.stdout.write(`updated ${DOCUMENT_PATH}\n`);
}

await main();
