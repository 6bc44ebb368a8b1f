import { isScheduleRunning } from '../engine/controllers/schedules.js';
import { isSensorRunning } from '../engine/controllers/sensors.js';
import type { TimerKind } from '../engine/model/events/timers.js';
import type { Timer } from '../engine/timers/timer-queue.js';
import type { ApiContext } from './context.js';

/**
 * Dagster's `Instance` and its daemon health. Servo has no daemons: schedules, sensors and
 * backfills are driven by timers and reactors of its automation runtime. Each of those parts is
 * reported as the daemon a Dagster UI expects (SCHEDULER, SENSOR, BACKFILL), from what Servo can
 * observe: whether it has work (`required`), whether its timers are being delivered on time
 * (`healthy`), and when it last recorded a decision (`lastHeartbeatTime`).
 */

/** A timer this late has not been delivered: the part that should handle it is not running. */
export const OVERDUE_AFTER_MS = 60_000;

export interface DaemonStatusModel {
  daemonType: string;
  required: boolean;
  /** Null when Servo cannot tell (a timer queue that does not list pending timers, an unknown type). */
  healthy: boolean | null;
  /** Epoch seconds. */
  lastHeartbeatTime: number | null;
}

interface Component {
  timerKinds: readonly TimerKind[];
  /** Whether there is work for it, and when it last recorded a decision (epoch ms). */
  observe(context: ApiContext): { required: boolean; lastDecisionAt: number | null };
}

const COMPONENTS: Record<string, Component> = {
  SCHEDULER: {
    timerKinds: ['schedule_tick'],
    observe: (context) =>
      context.reads.read((tables) => {
        let required = false;
        let last: number | null = null;
        for (const definition of tables.scheduleDefinitions.values()) {
          const state = tables.scheduleState.get(definition.scheduleId);
          required ||= isScheduleRunning(definition, state);
          const tick = state?.lastTickId == null ? undefined : tables.scheduleTicks.get(state.lastTickId);
          if (tick !== undefined && (last === null || tick.recordedAt > last)) last = tick.recordedAt;
        }
        return { required, lastDecisionAt: last };
      }),
  },
  SENSOR: {
    timerKinds: ['sensor_poll'],
    observe: (context) =>
      context.reads.read((tables) => {
        let required = false;
        let last: number | null = null;
        for (const definition of tables.sensorDefinitions.values()) {
          const state = tables.sensorState.get(definition.sensorId);
          required ||= isSensorRunning(definition, state);
          const at = state?.lastEvaluatedAt ?? null;
          if (at !== null && (last === null || at > last)) last = at;
        }
        return { required, lastDecisionAt: last };
      }),
  },
  BACKFILL: {
    timerKinds: ['backfill_reconcile'],
    observe: (context) =>
      context.reads.read((tables) => {
        let required = false;
        let last: number | null = null;
        for (const backfill of tables.backfills.values()) {
          required ||= backfill.endedAt === null;
          const at = backfill.endedAt ?? backfill.createdAt;
          if (last === null || at > last) last = at;
        }
        return { required, lastDecisionAt: last };
      }),
  },
};

/** The daemon types Servo reports, in the order the UI lists them. */
export const DAEMON_TYPES = Object.keys(COMPONENTS);

/** One part's status; a daemon type Servo does not have is reported as not required, health unknown. */
export function daemonStatus(
  context: ApiContext,
  daemonType: string,
  pending: readonly Timer[] | undefined = context.workspace.automation.timers.pending?.(),
): DaemonStatusModel {
  const component = COMPONENTS[daemonType];
  if (component === undefined) return { daemonType, required: false, healthy: null, lastHeartbeatTime: null };
  const { required, lastDecisionAt } = component.observe(context);
  const { answer } = context;
  const deadline = answer.nowMs - OVERDUE_AFTER_MS;
  let healthy: boolean | null = null;
  if (pending !== undefined) {
    if (context.workspace.automation.timers.pendingVersion === undefined)
      answer.volatile('the timer queue has no version');
    healthy = true;
    for (const timer of pending) {
      if (!component.timerKinds.includes(timer.kind)) continue;
      if (timer.fireAt < deadline) healthy = false;
      // Healthy until the first of its timers becomes overdue (the timer queue's version covers
      // timers being delivered or added).
      else answer.validUntil(timer.fireAt + OVERDUE_AFTER_MS + 1);
    }
  }
  return {
    daemonType,
    required,
    healthy,
    lastHeartbeatTime: lastDecisionAt === null ? null : lastDecisionAt / 1000,
  };
}

/** Every part's status, from one listing of the pending timers. */
export function allDaemonStatuses(context: ApiContext): DaemonStatusModel[] {
  const pending = context.workspace.automation.timers.pending?.();
  return DAEMON_TYPES.map((daemonType) => daemonStatus(context, daemonType, pending));
}

/** `Instance.id`: the workspace this request is scoped to. */
export function instanceId(context: ApiContext): string {
  return `${context.workspace.scope.tenantId}/${context.workspace.scope.workspaceId}`;
}

/** How runs are launched: Servo dispatches each run's tasks to its code location. */
export function runLauncherName(context: ApiContext): string {
  return context.services.mode === 'embedded' ? 'ServoEmbeddedDispatcher' : 'ServoCloudTasksDispatcher';
}
