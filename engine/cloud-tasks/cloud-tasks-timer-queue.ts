/**
 * The `TimerQueue` of distributed mode: one Cloud Tasks HTTP task per timer, POSTed at `fireAt` to
 * the timer-ingest endpoint with the body of `timer-ingest.ts`. The task is named
 * `queueTaskName('t', timerId)`, so scheduling a timer again — from another process, after a lost
 * response, or by anti-entropy — is answered `ALREADY_EXISTS` and is a no-op.
 *
 * Cloud Tasks refuses schedule times more than 30 days ahead. A timer further out (the next tick of
 * a monthly or yearly schedule) is scheduled as a chain of relay tasks at fixed offsets before
 * `fireAt` (see `planTimerTask`); the timer-ingest worker schedules each relay's timer again
 * (`receiveTimer`), which creates the next hop, until the timer's own task is within reach.
 *
 * There is no `pending()`: the queue's state lives in Cloud Tasks, and anti-entropy re-derives the
 * timers Servo needs from the projections.
 */
import { type Clock, systemClock } from '../clock.js';
import { queueTaskName } from '../model/ids.js';
import type { Timer, TimerQueue } from '../timers/timer-queue.js';
import {
  assertDispatchDeadline,
  assertQueuePath,
  assertTargetUrl,
  checkTaskHeaders,
  createHttpTask,
  type OidcTokenOptions,
  type TaskCreator,
} from './http-task.js';
import { timerIngestBody } from './timer-ingest.js';

export interface CloudTasksTimerQueueOptions {
  /** A configured `CloudTasksClient` (anything with its `createTask`). */
  client: TaskCreator;
  /** `projects/{project}/locations/{location}/queues/{queue}`. */
  queuePath: string;
  /** The timer-ingest endpoint, e.g. `https://timer-ingest-….run.app/internal/timers/fired`. */
  targetUrl: string;
  /** Have Cloud Tasks attach an OIDC ID token (recommended with Cloud Run's IAM check). Default: none. */
  oidc?: OidcTokenOptions;
  /** Extra headers on every delivery, e.g. a shared secret. Default: none. */
  headers?: Record<string, string>;
  /** How long Cloud Tasks waits for the endpoint's answer, 15–1800 s. Default: Cloud Tasks' (600 s). */
  dispatchDeadlineSeconds?: number;
  /** Decides which timers need relay hops. Default: the system clock. */
  clock?: Clock;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Distance between relay hops, and so the furthest a relay is ever created ahead of time (plus the slack). */
export const RELAY_HOP_MS = 28 * DAY_MS;
/** Leeway against clock skew and delivery delay; a timer up to hop + slack (29 days) ahead gets its own task at once. */
export const RELAY_SLACK_MS = DAY_MS;

export interface TimerTaskPlan {
  /** The task id: `queueTaskName('t', timerId)` for the timer itself, a distinct id for each relay hop. */
  taskId: string;
  /** When Cloud Tasks should deliver it, epoch milliseconds. */
  scheduleTimeMs: number;
  /** 0 for the timer's own task; n ≥ 1 for the relay hop delivered n × 28 days before `fireAt`. */
  hop: number;
}

/**
 * Where and when the next task of `timer` goes. Hop n is always scheduled at `fireAt − n × 28 days`,
 * whoever computes it and whenever, so two processes (or a redelivered relay) asking for the same
 * hop create the same task name and dedupe, and chains started at different times merge.
 */
export function planTimerTask(timer: Timer, nowMs: number): TimerTaskPlan {
  const ahead = timer.fireAt - nowMs;
  const hop =
    ahead <= RELAY_HOP_MS + RELAY_SLACK_MS ? 0 : Math.ceil((ahead - RELAY_SLACK_MS) / RELAY_HOP_MS) - 1;
  if (hop === 0) {
    return { taskId: queueTaskName('t', timer.timerId), scheduleTimeMs: timer.fireAt, hop };
  }
  return {
    taskId: queueTaskName('t', `${timer.timerId}#relay:${hop}`),
    scheduleTimeMs: timer.fireAt - hop * RELAY_HOP_MS,
    hop,
  };
}

/** A `TimerQueue` over one Cloud Tasks queue. Options are checked here: a bad one is a CONFIG error. */
export function createCloudTasksTimerQueue(options: CloudTasksTimerQueueOptions): TimerQueue {
  const { client, queuePath, targetUrl, oidc, dispatchDeadlineSeconds, clock = systemClock } = options;
  assertQueuePath(queuePath);
  assertTargetUrl(targetUrl, 'the timer-ingest URL');
  if (dispatchDeadlineSeconds !== undefined) assertDispatchDeadline(dispatchDeadlineSeconds);
  const headers = checkTaskHeaders(options.headers, oidc);

  return {
    async schedule(timer) {
      const plan = planTimerTask(timer, clock.now().getTime());
      await createHttpTask(client, {
        queuePath,
        taskId: plan.taskId,
        url: targetUrl,
        headers,
        body: Buffer.from(JSON.stringify(timerIngestBody(timer))),
        scheduleTimeMs: plan.scheduleTimeMs,
        oidc,
        dispatchDeadlineSeconds,
      });
    },
  };
}
