import type { Logger } from '../logging.js';

export interface LedgerFollowerOptions {
  /**
   * Folds whatever other processes appended since the last call and resolves with the number of
   * segments folded (`Workspace.sync`, or `Automation.sync` where reactors should react too).
   */
  sync(): Promise<number>;
  /** Poll interval while segments keep arriving. Default 100 ms. */
  minIntervalMs?: number;
  /**
   * Longest poll interval: each poll that finds nothing doubles the interval up to this, and a poll
   * that folds something resets it to `minIntervalMs`. Default 1000 ms.
   */
  maxIntervalMs?: number;
  /**
   * A cheap "a segment may have been appended" signal, such as a file-system watch on the ledger's
   * folder: `wake` makes the follower poll at once instead of at the end of its interval. Returns a
   * function that stops watching. Polling goes on beside it, so a missed signal only costs latency.
   */
  watch?: (wake: () => void) => () => void;
  /** Called after a poll that folded segments, with how many. */
  onFolded?: (segments: number) => void;
  logger: Logger;
}

export interface FollowerStats {
  polls: number;
  segmentsFolded: number;
  /** The interval the next poll waits (ms). */
  intervalMs: number;
  lastPollAt: Date | undefined;
  lastError: Error | undefined;
}

/**
 * Keeps a process's projections in step with a ledger that other processes append to, so that its
 * change feed — and every subscription reading it — reports their changes as well as its own.
 * Reading the next segment is one object read that usually finds nothing, so the follower polls
 * often while segments arrive and backs off while the ledger is idle; a watch, where the store has
 * one, cuts the wait to the time the notification takes. One poll runs at a time; a failed poll is
 * logged and retried after the longest interval, never fatal.
 */
export class LedgerFollower {
  private readonly minIntervalMs: number;
  private readonly maxIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** A wake-up arrived during a poll: poll again straight after it. */
  private pollAgain = false;
  private stopped = true;
  private unwatch: (() => void) | undefined;
  private readonly current: FollowerStats;

  constructor(private readonly options: LedgerFollowerOptions) {
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.maxIntervalMs = Math.max(this.minIntervalMs, options.maxIntervalMs ?? 1000);
    this.current = {
      polls: 0,
      segmentsFolded: 0,
      intervalMs: this.minIntervalMs,
      lastPollAt: undefined,
      lastError: undefined,
    };
  }

  get stats(): Readonly<FollowerStats> {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.options.watch !== undefined) {
      try {
        this.unwatch = this.options.watch(() => this.wake());
      } catch (error) {
        this.options.logger.warn({ err: error }, 'cannot watch the ledger; following it by polling only');
      }
    }
    this.schedule(0);
  }

  /** Polls now (or straight after the poll under way). */
  wake(): void {
    if (this.stopped) return;
    // A poll under way that has not armed its successor yet arms it at once when asked to.
    if (this.running !== undefined && this.timer === undefined) {
      this.pollAgain = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops following and waits for a poll under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.poll().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    let folded = 0;
    this.pollAgain = false;
    try {
      folded = await this.options.sync();
      this.current.polls += 1;
      this.current.lastPollAt = new Date();
      if (this.current.lastError !== undefined) {
        this.options.logger.info({}, 'following the ledger again');
        this.current.lastError = undefined;
      }
      this.current.intervalMs =
        folded > 0 ? this.minIntervalMs : Math.min(this.current.intervalMs * 2, this.maxIntervalMs);
    } catch (error) {
      if (this.current.lastError === undefined) {
        this.options.logger.error({ err: error }, 'following the ledger failed; retrying');
      }
      this.current.lastError = error as Error;
      this.current.intervalMs = this.maxIntervalMs;
    }
    if (folded > 0) {
      this.current.segmentsFolded += folded;
      try {
        this.options.onFolded?.(folded);
      } catch (error) {
        this.options.logger.error({ err: error }, 'a ledger follower listener failed');
      }
    }
    if (this.stopped) return;
    this.schedule(this.pollAgain ? 0 : this.current.intervalMs);
  }
}
