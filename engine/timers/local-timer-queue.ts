import type { Clock } from '../clock.js';
import type { Logger } from '../logging.js';
import type { Timer, TimerHandler, TimerQueue } from './timer-queue.js';

/**
 * The embedded timer queue: timers in memory, fired in due-time order (ties by id) when the clock
 * reaches them. With the system clock it sleeps until the next due time; with a manual clock it
 * fires only when `runDue()` is called (time-skipping). It keeps nothing on disk: after a restart
 * the anti-entropy pass re-derives every timer from the projections.
 */
export class LocalTimerQueue implements TimerQueue {
  private readonly timers = new Map<string, Timer>();
  /** Min-heap over `timers` by (fireAt, timerId); entries no longer in `timers` are skipped lazily. */
  private readonly heap: Timer[] = [];
  private readonly delivered = new Set<string>();
  private handler: TimerHandler | undefined;
  private sleeper: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private stopped = true;
  /** Bumped whenever a timer is added, delivered or rescheduled (`pendingVersion`). */
  private changes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** When true, `start()` arms a real-time sleeper; false for manual (virtual) clocks. */
    private readonly realTime: boolean,
  ) {}

  async schedule(timer: Timer): Promise<void> {
    if (this.timers.has(timer.timerId) || this.delivered.has(timer.timerId)) return;
    this.timers.set(timer.timerId, timer);
    heapPush(this.heap, timer);
    this.changes += 1;
    this.arm();
  }

  pending(): readonly Timer[] {
    return [...this.timers.values()].sort(compareTimers);
  }

  pendingVersion(): number {
    return this.changes;
  }

  /** The earliest pending due time, or undefined when nothing is scheduled. */
  nextDueAt(): number | undefined {
    return this.peek()?.fireAt;
  }

  private peek(): Timer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return undefined;
      if (this.timers.get(top.timerId) === top) return top;
      heapPop(this.heap);
    }
  }

  start(handler: TimerHandler): void {
    this.handler = handler;
    this.stopped = false;
    this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sleeper !== undefined) clearTimeout(this.sleeper);
    this.sleeper = undefined;
    await this.draining;
  }

  /**
   * Fires every timer due at or before the clock's current time, in due-time order, including
   * timers that handlers schedule for times already due. Returns how many fired.
   */
  async runDue(): Promise<number> {
    while (this.draining !== undefined) await this.draining;
    let fired = 0;
    const work = (async () => {
      for (;;) {
        const now = this.clock.now().getTime();
        const handler = this.handler;
        if (handler === undefined) return;
        // Everything due now, in due-time order, delivered in batches of one kind.
        const due: Timer[] = [];
        for (let next = this.peek(); next !== undefined && next.fireAt <= now; next = this.peek()) {
          heapPop(this.heap);
          this.timers.delete(next.timerId);
          this.delivered.add(next.timerId);
          this.changes += 1;
          due.push(next);
        }
        if (due.length === 0) return;
        if (this.delivered.size > 100_000) this.delivered.clear();
        fired += due.length;
        for (const batch of batchesByKind(due)) {
          try {
            await handler(batch);
          } catch (error) {
            // At-least-once: a failed batch is retried a little later.
            this.logger.error(
              { err: error, timers: batch.length, kind: batch[0]?.kind },
              'timer handler failed; retrying in 5 s',
            );
            for (const timer of batch) {
              this.delivered.delete(timer.timerId);
              const retry = { ...timer, fireAt: now + 5000 };
              this.timers.set(timer.timerId, retry);
              heapPush(this.heap, retry);
              this.changes += 1;
            }
          }
        }
      }
    })();
    this.draining = work;
    try {
      await work;
    } finally {
      this.draining = undefined;
    }
    this.arm();
    return fired;
  }

  private arm(): void {
    if (!this.realTime || this.stopped || this.handler === undefined) return;
    const next = this.nextDueAt();
    if (this.sleeper !== undefined) clearTimeout(this.sleeper);
    this.sleeper = undefined;
    if (next === undefined) return;
    const delay = Math.max(0, Math.min(next - this.clock.now().getTime(), 2 ** 31 - 1));
    this.sleeper = setTimeout(() => {
      this.sleeper = undefined;
      void this.runDue();
    }, delay);
    this.sleeper.unref();
  }
}

function compareTimers(a: Timer, b: Timer): number {
  return a.fireAt - b.fireAt || (a.timerId < b.timerId ? -1 : a.timerId > b.timerId ? 1 : 0);
}

function heapPush(heap: Timer[], timer: Timer): void {
  heap.push(timer);
  let index = heap.length - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (compareTimers(heap[index]!, heap[parent]!) >= 0) break;
    [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
    index = parent;
  }
}

function heapPop(heap: Timer[]): Timer | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  heap[0] = last;
  let index = 0;
  for (;;) {
    const left = index * 2 + 1;
    const right = left + 1;
    let smallest = index;
    if (left < heap.length && compareTimers(heap[left]!, heap[smallest]!) < 0) smallest = left;
    if (right < heap.length && compareTimers(heap[right]!, heap[smallest]!) < 0) smallest = right;
    if (smallest === index) return top;
    [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
    index = smallest;
  }
}

/** Consecutive runs of timers of the same kind, keeping due-time order. */
function batchesByKind(timers: Timer[]): Timer[][] {
  const batches: Timer[][] = [];
  for (const timer of timers) {
    const last = batches[batches.length - 1];
    if (last !== undefined && last[0]!.kind === timer.kind) last.push(timer);
    else batches.push([timer]);
  }
  return batches;
}
