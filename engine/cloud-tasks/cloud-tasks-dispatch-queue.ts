/**
 * The `DispatchQueue` of distributed mode: one Cloud Tasks HTTP task per task attempt, POSTed to the
 * code location's `/tasks/execute` with the dispatch envelope as its JSON body. The task is named
 * `queueTaskName('d', dispatchId)`; the dispatch id names one attempt, so enqueueing the same attempt
 * again (a retry after a lost response, a second dispatcher) dedupes to the task already there, and
 * the next attempt of the same task is a new task.
 *
 * Delivery is at-least-once: Cloud Tasks retries a non-2xx answer or a timeout per the queue's retry
 * configuration, and the code location dedupes by dispatch id.
 */
import type { DispatchEnvelope } from '../code-location/task-protocol.js';
import type { DispatchQueue } from '../dispatch/dispatch-queue.js';
import { ErrorCode, ServoError } from '../errors.js';
import { queueTaskName } from '../model/ids.js';
import {
  assertDispatchDeadline,
  assertQueuePath,
  assertTargetUrl,
  checkTaskHeaders,
  createHttpTask,
  type OidcTokenOptions,
  type TaskCreator,
} from './http-task.js';

interface CommonOptions {
  /** A configured `CloudTasksClient` (anything with its `createTask`). */
  client: TaskCreator;
  /**
   * The code location's task endpoint, e.g. `https://etl-….run.app/tasks/execute`; undefined for a
   * code location that cannot take tasks (the enqueue then fails UNAVAILABLE).
   */
  targetUrlFor: (codeLocation: string) => string | undefined;
  /**
   * Extra headers per code location, typically `Authorization: Bearer <code server secret>` (not
   * allowed together with `oidc`, whose token Cloud Tasks sends as `Authorization`). Default: none.
   */
  headersFor?: (codeLocation: string) => Record<string, string> | undefined;
  /** Have Cloud Tasks attach an OIDC ID token to every delivery. Default: none. */
  oidc?: OidcTokenOptions;
  /**
   * How long Cloud Tasks waits for `/tasks/execute` to answer before counting the attempt as failed
   * and retrying, 15–1800 s. Default 1800 (Cloud Tasks' maximum).
   */
  dispatchDeadlineSeconds?: number;
}

export type CloudTasksDispatchQueueOptions = CommonOptions &
  (
    | {
        /** One queue for every code location: `projects/{project}/locations/{location}/queues/{queue}`. */
        queuePath: string;
        queuePathFor?: never;
      }
    | {
        /** A queue per code location (separate rate limits and retry settings). */
        queuePathFor: (codeLocation: string) => string;
        queuePath?: never;
      }
  );

export const DEFAULT_DISPATCH_DEADLINE_SECONDS = 1800;

/** A `DispatchQueue` over Cloud Tasks. Static options are checked here; per-location ones at enqueue. */
export function createCloudTasksDispatchQueue(options: CloudTasksDispatchQueueOptions): DispatchQueue {
  const { client, targetUrlFor, headersFor, oidc } = options;
  const dispatchDeadlineSeconds = options.dispatchDeadlineSeconds ?? DEFAULT_DISPATCH_DEADLINE_SECONDS;
  assertDispatchDeadline(dispatchDeadlineSeconds);
  const fixedQueue = options.queuePath;
  if (fixedQueue !== undefined) assertQueuePath(fixedQueue);
  const queuePathFor = options.queuePathFor ?? (() => fixedQueue ?? '');

  return {
    async enqueue(envelope: DispatchEnvelope) {
      const { codeLocation } = envelope;
      const url = targetUrlFor(codeLocation);
      if (url === undefined) {
        throw new ServoError(ErrorCode.Unavailable, `code location ${codeLocation} has no task endpoint`, {
          details: { codeLocation },
        });
      }
      assertTargetUrl(url, `the task endpoint of code location ${codeLocation}`);
      const queuePath = queuePathFor(codeLocation);
      assertQueuePath(queuePath);
      const { name } = await createHttpTask(client, {
        queuePath,
        taskId: queueTaskName('d', envelope.dispatchId),
        url,
        headers: checkTaskHeaders(headersFor?.(codeLocation), oidc),
        body: Buffer.from(JSON.stringify(envelope)),
        oidc,
        dispatchDeadlineSeconds,
      });
      return { externalId: name };
    },
  };
}
