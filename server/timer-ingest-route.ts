import type { Automation } from '../engine/automation/automation.js';
import {
  MAX_TIMER_INGEST_BYTES,
  parseTimerIngestBody,
  receiveTimer,
} from '../engine/cloud-tasks/timer-ingest.js';
import { ErrorCode, isServoError, ServoError } from '../engine/errors.js';
import type { Logger } from '../engine/logging.js';
import type { TimerQueue } from '../engine/timers/timer-queue.js';
import { type RouteHandler, readRawBody, sendJson } from './http-server.js';

/** Where Cloud Tasks delivers timer tasks (the path of `SERVO_TIMER_INGEST_URL`). */
export const TIMER_INGEST_PATH = '/internal/timers/fired';

export interface TimerIngestRouteOptions {
  /** The workspace's automation, once started (503 before). */
  automation: () => Automation | undefined;
  /** The Cloud Tasks timer queue, for relay hops of timers more than 29 days ahead. */
  timerQueue: TimerQueue;
  logger: Logger;
  /**
   * How long an answer waits for the reactors to settle after the handler (the work a timer
   * causes — runs triggered, tasks dispatched — then happens while the request holds the CPU, as
   * serverless platforms require). Default 30 s; the reactors go on after it in the background.
   */
  settleTimeoutMs?: number;
}

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.NotFound]: 404,
};

/**
 * `POST /internal/timers/fired`: a timer task from Cloud Tasks (body: docs/cloud-tasks.md). The
 * caller is verified before this route runs (`verifiedRoute`). A due timer goes to the automation's
 * handler, a relay hop is scheduled again; 200 means done, any other status has Cloud Tasks retry
 * (handlers are idempotent on the timer id, so a redelivery changes nothing).
 */
export function timerIngestRoute(options: TimerIngestRouteOptions): RouteHandler {
  const settleTimeoutMs = options.settleTimeoutMs ?? 30_000;
  return async (request, response) => {
    if ((request.url ?? '').split('?')[0] !== TIMER_INGEST_PATH) return false;
    if (request.method !== 'POST') {
      sendJson(response, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } });
      return true;
    }
    const automation = options.automation();
    if (automation === undefined) {
      sendJson(response, 503, { error: { code: ErrorCode.Unavailable, message: 'starting; retry shortly' } });
      return true;
    }
    const delivery = {
      task: request.headers['x-cloudtasks-taskname'],
      retry: request.headers['x-cloudtasks-taskretrycount'],
    };
    try {
      const body = await readRawBody(request, MAX_TIMER_INGEST_BYTES);
      if (body === undefined) {
        throw new ServoError(
          ErrorCode.PayloadTooLarge,
          `timer-ingest bodies are at most ${MAX_TIMER_INGEST_BYTES} bytes`,
        );
      }
      const timer = parseTimerIngestBody(body);
      const outcome = await receiveTimer(timer, {
        now: automation.clock.now().getTime(),
        timerQueue: options.timerQueue,
        handler: (timers) => automation.handleTimers(timers),
      });
      await settle(automation, settleTimeoutMs);
      options.logger.debug({ ...delivery, timerId: timer.timerId, outcome }, 'timer received');
      sendJson(response, 200, { timerId: timer.timerId, outcome });
    } catch (error) {
      if (!isServoError(error)) throw error;
      const status = STATUS[error.code] ?? (error.retryable ? 503 : 500);
      if (status >= 500) options.logger.error({ err: error, ...delivery }, 'timer handling failed');
      sendJson(response, status, {
        error: { code: error.code, message: error.message, details: error.details },
      });
    }
    return true;
  };
}

async function settle(automation: Automation, timeoutMs: number): Promise<void> {
  let timeout: NodeJS.Timeout | undefined;
  await Promise.race([
    automation.quiesce(),
    new Promise<void>((done) => {
      timeout = setTimeout(done, timeoutMs);
      timeout.unref();
    }),
  ]);
  clearTimeout(timeout);
}
