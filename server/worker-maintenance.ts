import type { Automation } from '../engine/automation/automation.js';
import { deployCodeLocation } from '../engine/commands/deploy.js';
import type { Logger } from '../engine/logging.js';
import type { LoadedCodeLocation } from './code-locations.js';

/** Background upkeep of a worker process: deploying its code locations, recreating missing timers. */

/** Deploys the configured code locations, retrying (with backoff) those that cannot be reached yet. */
export function deployInBackground(
  automation: Automation,
  locations: readonly LoadedCodeLocation[],
  logger: Logger,
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const pending = new Set(locations);
  const attempt = async (delayMs: number): Promise<void> => {
    for (const location of [...pending]) {
      if (stopped) return;
      try {
        const result = await deployCodeLocation(automation, await location.describe(), 'servo:worker');
        pending.delete(location);
        logger.info(
          { codeLocation: result.codeLocation, codeVersion: result.codeVersion, changed: result.changed },
          result.changed ? 'deployed code location' : 'code location unchanged',
        );
      } catch (error) {
        logger.warn({ err: error, codeLocation: location.name }, 'deploying code location failed; retrying');
      }
    }
    if (pending.size > 0 && !stopped) {
      timer = setTimeout(() => void attempt(Math.min(delayMs * 2, 60_000)), delayMs);
      timer.unref();
    }
  };
  void attempt(1000);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Recreates every missing timer now and then every `intervalMs`. */
export function antiEntropyEvery(
  automation: Automation,
  intervalMs: number,
  logger: Logger,
): { stop(): void } {
  const run = () =>
    void automation
      .antiEntropy()
      .catch((error: unknown) => logger.error({ err: error }, 'anti-entropy failed'));
  run();
  const interval = setInterval(run, intervalMs);
  interval.unref();
  return { stop: () => clearInterval(interval) };
}
