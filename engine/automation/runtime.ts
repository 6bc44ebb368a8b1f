import type { Clock } from '../clock.js';
import type { CodeLocationRegistry } from '../code-location/code-location.js';
import type { TaskCallbacks } from '../code-location/task-protocol.js';
import type { AdmissionPolicyInput } from '../controllers/admission.js';
import { createTaskCallbacks } from '../dispatch/callbacks.js';
import type { DispatchQueue } from '../dispatch/dispatch-queue.js';
import { TaskTokens } from '../dispatch/task-token.js';
import type { Logger } from '../logging.js';
import type { Workspace } from '../runtime/workspace.js';
import type { TimerQueue } from '../timers/timer-queue.js';
import { createAdmissionReactor } from './admission.js';
import { Automation } from './automation.js';
import { BackfillSelections, createBackfillPlanner, createBackfillReconcileDomain } from './backfills.js';
import { createDispatcher } from './dispatcher.js';
import type { AutomationLimits } from './limits.js';
import { createRunRequestReactor } from './run-requests.js';
import { scheduleTimers } from './schedules.js';
import { createSensorPollDomain } from './sensors.js';
import { createTaskTimers } from './tasks.js';

export interface AutomationRuntimeOptions {
  workspace: Workspace;
  clock: Clock;
  timers: TimerQueue;
  codeLocations: CodeLocationRegistry;
  /** Where task attempts go (direct to code locations, or Cloud Tasks). */
  dispatchQueue: DispatchQueue;
  /** Base URL of this deployment's task callbacks, as code locations reach it. */
  callbackBaseUrl: string;
  logger: Logger;
  limits?: Partial<AutomationLimits>;
  admission?: AdmissionPolicyInput;
  /** Lifetime of task tokens (default 24 h). */
  taskTokenTtlSeconds?: number;
  /**
   * Whether this process runs the reactors (run requests, backfill planning, admission, dispatch,
   * task timers). Default true. A process that only serves the API and records operators' commands
   * leaves them to the workers, which see its appends by following the ledger.
   */
  reactors?: boolean;
}

export interface AutomationRuntime {
  automation: Automation;
  /** Servo's side of the worker callbacks (the HTTP endpoints and in-process code locations call it). */
  callbacks: TaskCallbacks;
  close(): Promise<void>;
}

/**
 * Everything that decides, wired together for one workspace: schedules, sensors, backfills, run
 * requests, admission, dispatch and task timers. Reactors run in this order after every change:
 * run requests become runs, backfills plan chunks into free slots, admission lets runs start,
 * the dispatcher sends their ready tasks, and task timers watch retries and heartbeats.
 */
export function createAutomationRuntime(options: AutomationRuntimeOptions): AutomationRuntime {
  const projections = options.workspace.projections;
  const tokens = new TaskTokens(options.workspace.tenantSecret, options.taskTokenTtlSeconds);
  const runRequests = createRunRequestReactor(projections);
  const taskTimers = createTaskTimers(projections, runRequests);
  const selections = new BackfillSelections(projections);
  const planner = createBackfillPlanner(projections, selections);
  const admission = createAdmissionReactor(projections, options.admission);
  const dispatcher = createDispatcher(projections, {
    queue: options.dispatchQueue,
    tokens,
    callbackBaseUrl: options.callbackBaseUrl,
  });
  const automation = new Automation({
    workspace: options.workspace,
    clock: options.clock,
    timers: options.timers,
    codeLocations: options.codeLocations,
    logger: options.logger,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    admission: admission.policy,
    domains: [
      scheduleTimers,
      createSensorPollDomain(),
      createBackfillReconcileDomain(selections),
      taskTimers.domain,
      admission.domain,
    ],
    reactors:
      options.reactors === false ? [] : [runRequests, planner, admission, dispatcher, taskTimers.reactor],
  });
  const callbacks = createTaskCallbacks(automation, tokens);
  return {
    automation,
    callbacks,
    async close() {
      await automation.stop();
      planner.close();
      admission.close();
    },
  };
}
