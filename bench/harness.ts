/**
 * The benchmark harness: what a benchmark module exports, how its figures are judged against the
 * targets of SPEC §9, and how results are merged into `bench/results/latest.json`.
 *
 * A benchmark is a module whose default export is a `Benchmark`. `bench/run.ts` runs each one in a
 * child process of its own (so one benchmark's heap and JIT state never disturb another's timings),
 * with `--expose-gc` and `--max-old-space-size=8192`. The child sends its figures back to the parent,
 * which prints one table and merges the results into `latest.json`.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

/** The measured numbers of one run, by figure name. */
export type Figures = Record<string, number>;

/** One target: `figure op bound`, where the bound may depend on other figures of the same run. */
export interface Check {
  figure: string;
  op: '>=' | '<=';
  bound: number | ((figures: Figures) => number);
  /** How the bound reads in the results table, e.g. `≥ 300000` or `≤ 2 × microCompactionMs100k`. */
  text: string;
}

export interface BenchmarkOutcome {
  figures: Figures;
  /** Whether every target was met (`judge(checks, figures)`). */
  met: boolean;
}

export interface Benchmark {
  /** `B1`, `B2`, … as in SPEC §9. */
  id: string;
  title: string;
  /** The targets in words. */
  targets: string;
  /** Unit of each figure, in the order the table shows them. Figures not listed are shown last. */
  units: Record<string, string>;
  /** The targets as checks; a benchmark meets its targets when all of them pass. */
  checks: readonly Check[];
  run(): Promise<BenchmarkOutcome>;
}

/** One stored result in `latest.json`. */
export interface ResultRecord {
  figures: Figures;
  met: boolean;
  machine: string;
  ranAt: string;
}

export type ResultFile = Record<string, ResultRecord>;

/** One line of the printed table. */
export interface ReportRow {
  id: string;
  figure: string;
  value: number;
  unit: string;
  target: string;
  /** Undefined when the figure has no target. */
  met: boolean | undefined;
}

/** What a child process sends to the parent when its benchmark finishes. */
export interface ChildMessage {
  id: string;
  record: ResultRecord;
  rows: ReportRow[];
}

export function passes(check: Check, figures: Figures): boolean {
  const value = figures[check.figure];
  if (value === undefined || Number.isNaN(value)) return false;
  const bound = typeof check.bound === 'number' ? check.bound : check.bound(figures);
  return check.op === '>=' ? value >= bound : value <= bound;
}

/** True when every check passes. */
export function judge(checks: readonly Check[], figures: Figures): boolean {
  return checks.every((check) => passes(check, figures));
}

/** Table rows for one benchmark's figures: units from the benchmark, one target column per figure. */
export function reportRows(benchmark: Benchmark, figures: Figures): ReportRow[] {
  const listed = Object.keys(benchmark.units).filter((name) => name in figures);
  const others = Object.keys(figures).filter((name) => !(name in benchmark.units));
  return [...listed, ...others].map((figure) => {
    const checks = benchmark.checks.filter((check) => check.figure === figure);
    return {
      id: benchmark.id,
      figure,
      value: figures[figure]!,
      unit: benchmark.units[figure] ?? '',
      target: checks.map((check) => check.text).join('; '),
      met: checks.length === 0 ? undefined : checks.every((check) => passes(check, figures)),
    };
  });
}

/** CPU model, core count and Node version: enough to tell whether two results are comparable. */
export function machineInfo(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? 'unknown cpu';
  return `${model}, ${cores.length} cores, node ${process.version}`;
}

/**
 * Merges `records` into the JSON file at `path` (created if missing): results of benchmarks not run
 * this time are kept as they were. Written to a temporary file first and renamed, so an interrupted
 * run never leaves half a file.
 */
export async function mergeResults(path: string, records: ResultFile): Promise<ResultFile> {
  let existing: ResultFile = {};
  try {
    existing = JSON.parse(await readFile(path, 'utf8')) as ResultFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const merged: ResultFile = { ...existing, ...records };
  const sorted: ResultFile = {};
  for (const id of Object.keys(merged).sort(compareIds)) sorted[id] = merged[id]!;
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(sorted, null, 2)}\n`);
  await rename(temp, path);
  return sorted;
}

/** `B2` before `B10`. */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Progress goes to stderr, so it never mixes with the results table. */
export function log(id: string, message: string): void {
  process.stderr.write(`[${id} ${(process.uptime()).toFixed(1)}s] ${message}\n`);
}

/** Runs a full garbage collection when the process was started with `--expose-gc`. */
export function collectGarbage(): void {
  globalThis.gc?.();
}

/**
 * Milliseconds taken by `work`, after a full garbage collection so earlier garbage is not billed to
 * it. Not for short phases on a large heap: right after a forced collection, scavenges on a heap of
 * about 1 GB were seen to take 50-170 ms instead of 5-15 ms (B2).
 */
export async function timeMs(work: () => unknown): Promise<number> {
  collectGarbage();
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** The fastest of `repetitions` timings of `work`, in milliseconds. */
export async function bestOfMs(repetitions: number, work: () => unknown): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let index = 0; index < repetitions; index++) best = Math.min(best, await timeMs(work));
  return best;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Records garbage-collection pauses, so a benchmark can say how much of a timed phase was GC:
 * `pausedMs(start, end)` sums the pauses that began between two `performance.now()` readings.
 * Node delivers the reports on a later turn of the event loop; `pausedMs` waits for them (50 ms).
 */
export function monitorGc(): { pausedMs(start: number, end: number): Promise<number>; stop(): void } {
  const pauses: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ start: entry.startTime, duration: entry.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async pausedMs(start, end) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      let total = 0;
      for (const pause of pauses) if (pause.start >= start && pause.start < end) total += pause.duration;
      return total;
    },
    stop: () => observer.disconnect(),
  };
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Rounds for the results file and table: integers stay integers, others keep 3 significant decimals. */
export function round(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 1 ? 2 : 3;
  return Number(value.toFixed(digits));
}
