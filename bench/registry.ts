/**
 * Every benchmark, by id: the module (relative to this directory) whose default export is its
 * `Benchmark`. `npm run bench` runs them in this order; add new ones here.
 */
export const BENCHMARKS: Readonly<Record<string, string>> = {
  B1: './b1-fold.ts',
  B2: './b2-compaction.ts',
  B3: './b3-reads.ts',
  B4: './b4-backfill.ts',
  B5: './b5-schedules.ts',
  B6: './b6-latency.ts',
  B7: './b7-graphql.ts',
  B8: './b8-fan-out.ts',
  B9: './b9-cold-start.ts',
};
