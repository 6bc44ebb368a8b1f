import type { Logger } from '../logging.js';
import type { Workspace } from './workspace.js';

export interface CompactionLoopOptions {
  /** Time between compactions when nothing asks for one sooner. Default 1000 ms. */
  intervalMs?: number;
  logger: Logger;
}

/**
 * Keeps a workspace's published projections close to its ledger: every interval (or sooner when
 * `trigger()` is called after an append) it folds new segments and publishes a delta, merging the
 * deltas into a new base when they pass the limits. One compaction runs at a time; a failure is
 * logged and retried on the next turn, never fatal.
 */
export class CompactionLoop {
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (epoch ms). */
  private timerDueAt = 0;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly intervalMs: number;
  lastError: Error | undefined;
  lastCompactedAt: Date | undefined;

  constructor(
    private readonly workspace: Workspace,
    private readonly options: CompactionLoopOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  /**
   * Asks for a compaction within `delayMs` (coalesced with any already due). A trigger only ever
   * brings the next compaction forward: a steady stream of appends cannot postpone it forever.
   */
  trigger(delayMs = 50): void {
    if (this.stopped) return;
    if (this.timer !== undefined && this.timerDueAt <= Date.now() + delayMs) return;
    this.schedule(delayMs);
  }

  /** Runs one compaction now and waits for it. */
  async compactNow(): Promise<void> {
    while (this.running !== undefined) await this.running;
    this.running = this.compactOnce().finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  /** Stops the loop after publishing what has been folded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.compactNow();
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDueAt = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.compactNow().finally(() => {
        if (!this.stopped && this.timer === undefined) this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async compactOnce(): Promise<void> {
    try {
      const result = await this.workspace.compact();
      this.lastCompactedAt = new Date();
      this.lastError = undefined;
      if (result.kind !== 'none') {
        this.options.logger.debug(
          { manifestId: result.manifestId, kind: result.kind, seq: result.watermark.seq },
          'published projections',
        );
      }
    } catch (error) {
      this.lastError = error as Error;
      this.options.logger.error({ err: error }, 'compaction failed; retrying on the next turn');
    }
  }
}
