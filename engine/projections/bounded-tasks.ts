/**
 * Tasks started one after another with at most `limit` of them under way, for a publish that
 * encodes its next file while earlier files are still being encoded and written.
 *
 * Contract: `add` tracks a started task and resolves once fewer than `limit` are under way. After
 * a task fails, `add` and `finish` wait for every task still under way and then throw the first
 * failure, so nothing is left running and no rejection goes unobserved; `finish` otherwise waits
 * for every task.
 */
export class BoundedTasks {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
  }

  async add(task: Promise<unknown>): Promise<void> {
    const tracked: Promise<void> = task.then(
      () => {
        this.running.delete(tracked);
      },
      (error: unknown) => {
        this.running.delete(tracked);
        this.failure ??= { error };
      },
    );
    this.running.add(tracked);
    while (this.running.size >= this.limit && this.failure === undefined) await Promise.race(this.running);
    if (this.failure !== undefined) await this.finish();
  }

  async finish(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    if (this.failure !== undefined) throw this.failure.error;
  }
}
