import type { CodeLocation } from '../engine/code-location/code-location.js';
import { createHttpCodeLocation } from '../engine/code-location/http/http-code-location.js';
import {
  createInProcessCodeLocation,
  type InProcessCodeLocation,
  type TaskCallbacksSource,
} from '../engine/code-location/in-process/in-process-code-location.js';
import type { TaskCallbacks, TaskExecutor } from '../engine/code-location/task-protocol.js';
import type { CodeLocationConfig } from '../engine/config/env.js';
import type { Logger } from '../engine/logging.js';
import { loadDefinitions } from './code-server.js';

export type LoadedCodeLocation = CodeLocation & TaskExecutor;

/**
 * The configured code locations (`SERVO_CODE_LOCATIONS`): a module loaded in this process, whose
 * tasks run here and report through `callbacks` (one set, or one per dispatch), or a `servo code-server` reached over HTTP.
 */
export async function loadCodeLocations(
  configs: readonly CodeLocationConfig[],
  callbacks: TaskCallbacksSource,
  logger: Logger,
): Promise<LoadedCodeLocation[]> {
  const locations: LoadedCodeLocation[] = [];
  for (const config of configs) {
    if ('module' in config) {
      const definitions = await loadDefinitions(config.module);
      locations.push(
        createInProcessCodeLocation(definitions, callbacks, {
          logger: logger.child({ codeLocation: definitions.codeLocation }),
        }),
      );
    } else {
      locations.push(
        createHttpCodeLocation({
          name: config.name,
          baseUrl: config.url,
          ...(config.secret === undefined ? {} : { secret: config.secret }),
        }),
      );
    }
  }
  return locations;
}

/**
 * Task callbacks that forward to `current()` once it exists: in-process code locations are created
 * before the automation whose callbacks they report to.
 */
export function lateCallbacks(current: () => TaskCallbacks | undefined): TaskCallbacks {
  const callbacks = (): TaskCallbacks => {
    const value = current();
    if (value === undefined) throw new Error('task callbacks are not ready yet');
    return value;
  };
  return {
    started: (token, body) => callbacks().started(token, body),
    heartbeat: (token, body) => callbacks().heartbeat(token, body),
    finished: (token, body) => callbacks().finished(token, body),
  };
}

/** Waits for in-process code locations' running task attempts; true when there were any. */
export async function drainInProcessTasks(locations: readonly LoadedCodeLocation[]): Promise<boolean> {
  let waited = false;
  for (const location of locations) {
    if (!isInProcess(location) || location.runningTasks() === 0) continue;
    waited = true;
    await location.drain();
  }
  return waited;
}

export function isInProcess(location: LoadedCodeLocation): location is InProcessCodeLocation {
  return 'drain' in location && 'runningTasks' in location;
}
