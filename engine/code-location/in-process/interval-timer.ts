/**
 * Repeats a callback at a fixed interval: the automatic heartbeats of a running task. A port so
 * tests fire ticks by hand instead of waiting.
 */
export interface IntervalTimer {
  /** Calls `tick` every `intervalMs` until the returned function is called. */
  repeat(intervalMs: number, tick: () => void): () => void;
}

/** Real time; the interval does not keep the process alive. */
export const realIntervalTimer: IntervalTimer = {
  repeat(intervalMs, tick) {
    const handle = setInterval(tick, intervalMs);
    handle.unref();
    return () => clearInterval(handle);
  },
};

/** A timer that ticks only when told to, for tests. */
export class ManualIntervalTimer implements IntervalTimer {
  private readonly active = new Map<number, { intervalMs: number; tick: () => void }>();
  private next = 0;

  repeat(intervalMs: number, tick: () => void): () => void {
    const id = this.next++;
    this.active.set(id, { intervalMs, tick });
    return () => this.active.delete(id);
  }

  /** The intervals of the repeats still active. */
  intervals(): number[] {
    return [...this.active.values()].map((entry) => entry.intervalMs);
  }

  /** Fires every active repeat once. */
  fire(): void {
    for (const entry of [...this.active.values()]) entry.tick();
  }
}
