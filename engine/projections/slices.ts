/** Milliseconds of background work per turn of the event loop (see `runInSlices`). */
export const SLICE_MS = 3;

/**
 * Milliseconds background work waits before its first slice (see `runInSlices`): a process that
 * has just loaded its projections finishes starting (and answers its first requests) first.
 */
export const START_DELAY_MS = 500;

/**
 * Runs `step` between other work until it returns false: after `START_DELAY_MS`, then once per turn
 * of the event loop, each call given a deadline (a `performance.now()` time) about `SLICE_MS` away,
 * which it should stop at. A request arriving meanwhile waits for at most about one slice. The work
 * does not keep the process alive.
 */
export function runInSlices(step: (deadline: number) => boolean): void {
  const run = (): void => {
    if (step(performance.now() + SLICE_MS)) setImmediate(run).unref();
  };
  setTimeout(run, START_DELAY_MS).unref();
}
