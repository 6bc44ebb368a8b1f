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
    this.arm();
  }

  pending(): readonly Timer[] {
    return [...this.timers.values()].sort(compareTimers);
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
        const due = this.peek();
        if (due === undefined || due.fireAt > now || this.handler === undefined) return;
        heapPop(this.heap);
        this.timers.delete(due.timerId);
        this.delivered.add(due.timerId);
        if (this.delivered.size > 100_000) this.delivered.clear();
        fired += 1;
        try {
          await this.handler(due);
        } catch (error) {
          // At-least-once: a failed handler is retried a little later.
          this.logger.error({ err: error, timerId: due.timerId }, 'timer handler failed; retrying in 5 s');
          this.delivered.delete(due.timerId);
          const retry = { ...due, fireAt: now + 5000 };
          this.timers.set(due.timerId, retry);
          heapPush(this.heap, retry);
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
