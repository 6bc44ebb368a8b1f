import { type Clock, systemClock } from '../../clock.js';
import { ErrorCode, isServoError } from '../../errors.js';
import { type Logger, silentLogger } from '../../logging.js';
import type { Definitions } from '../sdk/definitions.js';
import type {
  DispatchEnvelope,
  TaskCallbackReply,
  TaskCallbacks,
  TaskFinishedBody,
  TaskStartedBody,
} from '../task-protocol.js';
import { type IntervalTimer, realIntervalTimer } from './interval-timer.js';
import { TaskAttempt } from './task-attempt.js';
import { nonRetryableError, type TaskError, userCodeError } from './task-error.js';

export interface RunTaskOptions {
  /** Names this worker in every callback (`workerId`). */
  workerId: string;
  /** Heartbeat sequences and log timestamps. @default systemClock */
  clock?: Clock;
  /** Drives the automatic heartbeats. @default realIntervalTimer */
  timers?: IntervalTimer;
  /** Where the attempt's own log lines and the user's log lines also go. @default silentLogger */
  logger?: Logger;
}

export type TaskOutcome = TaskFinishedBody['outcome'];

/** What became of one dispatch. */
export type TaskRunReport =
  /** Servo refused `started`: the attempt was superseded or its task already finished. Nothing ran. */
  | { status: 'skipped'; reason: string }
  /** `started` could not be delivered; nothing ran and Servo will dispatch again. */
  | { status: 'not-started'; error: unknown }
  /** The attempt ran (or was canceled before it ran); `delivered` says whether Servo took `finished`. */
  | { status: 'finished'; outcome: TaskOutcome; delivered: boolean };

/** Automatic heartbeats: five per timeout, at least every second and at most every minute. */
export function heartbeatIntervalMs(heartbeatTimeoutSeconds: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor((heartbeatTimeoutSeconds * 1000) / 5)));
}

/**
 * Runs one dispatched task attempt against the definitions, reporting through `callbacks`:
 *
 * 1. `started`; an ILLEGAL_STATE or UNAUTHORIZED answer means the attempt is no longer current
 *    (a redelivered dispatch of work that moved on), so nothing runs — that is success;
 * 2. `materialize`, with automatic heartbeats every `heartbeatIntervalMs`; a `shouldCancel` answer
 *    aborts the context's signal (cooperative termination);
 * 3. `finished`: SUCCEEDED with metadata and logs; FAILED with the error (USER_CODE, retryable unless
 *    `NonRetryableError`); CANCELED when it was asked to stop and rejected with the abort.
 *
 * Transport-free: the HTTP code server and embedded mode call it with their own `TaskCallbacks`.
 * Never rejects; the report says what happened.
 */
export async function runTask(
  definitions: Definitions,
  envelope: DispatchEnvelope,
  callbacks: TaskCallbacks,
  options: RunTaskOptions,
): Promise<TaskRunReport> {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? silentLogger).child({
    runId: envelope.runId,
    taskKey: envelope.taskKey,
    attempt: envelope.attempt,
    dispatchId: envelope.dispatchId,
  });
  const ref: TaskStartedBody = {
    runId: envelope.runId,
    taskKey: envelope.taskKey,
    attempt: envelope.attempt,
    attemptId: envelope.attemptId,
    workerId: options.workerId,
  };

  let reply: TaskCallbackReply;
  try {
    reply = await callbacks.started(envelope.taskToken, ref);
  } catch (error) {
    if (isServoError(error, ErrorCode.IllegalState) || isServoError(error, ErrorCode.Unauthorized)) {
      logger.info({ reason: error.message }, 'attempt not run: it was superseded or its task finished');
      return { status: 'skipped', reason: error.message };
    }
    logger.error({ err: error }, 'attempt not run: its start could not be reported');
    return { status: 'not-started', error };
  }

  const attempt = new TaskAttempt(envelope, ref, callbacks, clock, logger);
  const finish = (outcome: TaskOutcome, error?: TaskError) =>
    reportFinished(attempt, callbacks, envelope.taskToken, outcome, error, logger);

  const asset = definitions.asset(envelope.assetKey);
  if (asset === undefined) {
    return finish(
      'FAILED',
      nonRetryableError(
        `code location ${definitions.codeLocation} (code version ${definitions.codeVersion}) defines no asset ${envelope.assetKey}`,
      ),
    );
  }
  if (asset.spec.partitions !== undefined && (envelope.partitionKeys ?? []).length === 0) {
    return finish(
      'FAILED',
      nonRetryableError(`asset ${asset.key} is partitioned but the dispatch names no partition`),
    );
  }
  if (envelope.codeVersion !== undefined && envelope.codeVersion !== definitions.codeVersion) {
    attempt.log.warn('running a different code version than the one dispatched', {
      dispatched: envelope.codeVersion,
      running: definitions.codeVersion,
    });
  }
  if (reply.shouldCancel) {
    attempt.cancel('the run is being terminated');
    return finish('CANCELED', canceledError(attempt));
  }

  const stopHeartbeats = (options.timers ?? realIntervalTimer).repeat(
    heartbeatIntervalMs(envelope.heartbeatTimeoutSeconds),
    () => attempt.autoHeartbeat(),
  );
  try {
    await asset.materialize(attempt.context());
  } catch (error) {
    if (attempt.isOwnAbort(error)) return finish('CANCELED', canceledError(attempt));
    const failure = userCodeError(error);
    attempt.log.error(`materialize failed: ${failure.message}`, { className: failure.className });
    return finish('FAILED', failure);
  } finally {
    stopHeartbeats();
    attempt.end();
  }
  return finish('SUCCEEDED');
}

function canceledError(attempt: TaskAttempt): TaskError {
  const reason = attempt.signal.reason;
  return {
    message: reason instanceof Error ? reason.message : 'canceled',
    category: 'CANCELED',
    retryable: false,
  };
}

async function reportFinished(
  attempt: TaskAttempt,
  callbacks: TaskCallbacks,
  token: string,
  outcome: TaskOutcome,
  error: TaskError | undefined,
  logger: Logger,
): Promise<TaskRunReport> {
  attempt.end();
  const metadata = attempt.metadata;
  const logs = attempt.log.text();
  const partitionOutcomes = attempt.outcomesDifferingFrom(outcome);
  const body: TaskFinishedBody = {
    ...attempt.ref,
    outcome,
    ...(error === undefined ? {} : { error }),
    ...(partitionOutcomes === undefined ? {} : { partitionOutcomes }),
    ...(outcome === 'SUCCEEDED' && Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(logs === undefined ? {} : { logs }),
  };
  try {
    await callbacks.finished(token, body);
    logger.info({ outcome }, 'attempt finished');
    return { status: 'finished', outcome, delivered: true };
  } catch (failure) {
    if (isServoError(failure, ErrorCode.IllegalState) || isServoError(failure, ErrorCode.Unauthorized)) {
      logger.info(
        { outcome, reason: failure.message },
        'result not recorded: the attempt is no longer current',
      );
    } else {
      logger.error({ err: failure, outcome }, 'result not delivered; Servo will time the attempt out');
    }
    return { status: 'finished', outcome, delivered: false };
  }
}
