/**
 * `npm run bench -- [ids…]`: runs the named benchmarks (all of `registry.ts` when none are named),
 * each in a child process of its own, prints a table of their figures against the targets and
 * merges the results into `bench/results/latest.json`.
 *
 * The same file is the child's entry point (`run.ts --child <id>`): it imports the benchmark, runs
 * it, adds the process's peak RSS, and sends the result to the parent over the IPC channel.
 *
 * Exit status: 1 for an unknown id or a benchmark that crashed; a benchmark that ran but missed a
 * target is a result (met: false), not an error.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type Benchmark,
  type ChildMessage,
  compareIds,
  machineInfo,
  mergeResults,
  peakRssMb,
  type ReportRow,
  type ResultFile,
  reportRows,
  round,
} from './harness.js';
import { BENCHMARKS } from './registry.js';

const RESULTS_PATH = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const CHILD_FLAG = '--child';
/** Node flags of every benchmark process. */
const CHILD_EXEC_ARGV = ['--import', 'tsx', '--expose-gc', '--max-old-space-size=8192'];

async function main(args: string[]): Promise<number> {
  if (args[0] === CHILD_FLAG) return runChild(args[1] ?? '');

  const known = Object.keys(BENCHMARKS).sort(compareIds);
  const requested = args.length === 0 ? known : [...new Set(args.map((arg) => arg.toUpperCase()))];
  const unknown = requested.filter((id) => BENCHMARKS[id] === undefined);
  if (unknown.length > 0) {
    console.error(`unknown benchmark id${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    console.error(`known ids: ${known.join(', ')}`);
    return 1;
  }

  const records: ResultFile = {};
  const rows: ReportRow[] = [];
  const failed: string[] = [];
  for (const id of requested) {
    const message = await runInChild(id);
    if (message === undefined) {
      failed.push(id);
      continue;
    }
    records[id] = message.record;
    rows.push(...message.rows);
  }

  if (rows.length > 0) console.log(`\n${formatTable(rows)}\n`);
  for (const [id, record] of Object.entries(records)) {
    console.log(`${id}: targets ${record.met ? 'met' : 'NOT met'} (${record.machine})`);
  }
  if (Object.keys(records).length > 0) {
    await mergeResults(RESULTS_PATH, records);
    console.log(`results merged into ${RESULTS_PATH}`);
  }
  if (failed.length > 0) {
    console.error(`benchmark${failed.length > 1 ? 's' : ''} that did not finish: ${failed.join(', ')}`);
    return 1;
  }
  return 0;
}

/** Runs one benchmark in a fresh Node process; undefined when it crashed or sent nothing. */
function runInChild(id: string): Promise<ChildMessage | undefined> {
  return new Promise((resolve) => {
    let message: ChildMessage | undefined;
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, id], {
      execArgv: CHILD_EXEC_ARGV,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (received) => {
      message = received as ChildMessage;
    });
    child.on('error', (error) => {
      console.error(`${id}: could not start: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      if (message === undefined) {
        console.error(`${id}: benchmark process ended (${signal ?? `exit code ${code}`}) without a result`);
      }
      resolve(message);
    });
  });
}

async function runChild(id: string): Promise<number> {
  const path = BENCHMARKS[id];
  if (path === undefined || process.send === undefined) {
    console.error(`${CHILD_FLAG} needs a known benchmark id and an IPC channel (run through npm run bench)`);
    return 1;
  }
  const benchmark = (await import(new URL(path, import.meta.url).href)).default as Benchmark;
  const ranAt = new Date().toISOString();
  const outcome = await benchmark.run();
  const figures = { ...outcome.figures, peakRssMB: peakRssMb() };
  const rows = reportRows(benchmark, figures).map((row) => ({ ...row, value: round(row.value) }));
  const rounded = Object.fromEntries(Object.entries(figures).map(([name, value]) => [name, round(value)]));
  const message: ChildMessage = {
    id,
    record: { figures: rounded, met: outcome.met, machine: machineInfo(), ranAt },
    rows,
  };
  await new Promise<void>((resolve, reject) =>
    process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
  return 0;
}

function formatTable(rows: readonly ReportRow[]): string {
  const header = ['id', 'figure', 'value', 'unit', 'target', 'met'];
  const cells = rows.map((row) => [
    row.id,
    row.figure,
    String(row.value),
    row.unit,
    row.target,
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column]!.length)),
  );
  const format = (line: readonly string[]) =>
    line
      .map((cell, column) => (column === 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [format(header), format(widths.map((width) => '-'.repeat(width))), ...cells.map(format)].join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
