import type { Automation } from '../engine/automation/automation.js';
import type { ManualClock } from '../engine/clock.js';
import { invalidInput } from '../engine/errors.js';
import type { LocalTimerQueue } from '../engine/timers/local-timer-queue.js';
import type { ClockControl } from '../resolvers/context.js';

/** The longest single `advanceClock` step: a year. Longer spans can be taken in several calls. */
export const MAX_ADVANCE_SECONDS = 366 * 24 * 3600;

export interface VirtualClockDeps {
  clock: ManualClock;
  /** The timer queue(s) of the workspace(s) the clock drives. */
  timers: Pick<LocalTimerQueue, 'nextDueAt' | 'runDue'>;
  automation: Pick<Automation, 'quiesce'>;
  /**
   * Waits for every task attempt handed to in-process code locations to finish. Resolves true
   * when there was any to wait for.
   */
  drainTasks(): Promise<boolean>;
}

/**
 * Time-skipping for embedded mode: the clock jumps from one due timer to the next, each is run
 * and everything it causes settles (reactors, dispatched tasks, their callbacks) before the next,
 * so the outcome is what Servo would have done had it been up. Calls are serialised.
 */
export function virtualClockControl(deps: VirtualClockDeps): ClockControl {
  const { clock, timers, automation } = deps;
  let queue: Promise<unknown> = Promise.resolve();

  async function settle(): Promise<void> {
    // Reactors dispatch tasks, finished tasks make more work ready, timers may fall due at this
    // very time: go round until a whole pass finds nothing to do.
    for (;;) {
      await automation.quiesce();
      const waited = await deps.drainTasks();
      const fired = await timers.runDue();
      if (!waited && fired === 0) return;
    }
  }

  async function advance(seconds: number): Promise<Date> {
    const target = clock.now().getTime() + seconds * 1000;
    await settle();
    for (;;) {
      const next = timers.nextDueAt();
      if (next === undefined || next > target) break;
      if (next > clock.now().getTime()) clock.set(next);
      await timers.runDue();
      await settle();
    }
    clock.set(target);
    await timers.runDue();
    await settle();
    return clock.now();
  }

  return {
    advance(seconds) {
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_ADVANCE_SECONDS) {
        return Promise.reject(
          invalidInput(`seconds must be a whole number from 0 to ${MAX_ADVANCE_SECONDS}`, { seconds }),
        );
      }
      const result = queue.then(() => advance(seconds));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
