import type { z } from 'zod';
import type { AutomationContext } from '../automation/context.js';
import {
  defaultRetryable,
  type TaskCallbackReply,
  type TaskCallbacks,
  TaskFinishedBody,
  TaskHeartbeatBody,
  TaskStartedBody,
} from '../code-location/task-protocol.js';
import { ErrorCode, illegalState, invalidInput, notFound, ServoError } from '../errors.js';
import { isTerminalTask } from '../fold/runs.js';
import { draft } from '../model/catalog.js';
import { compositeKey } from '../projections/table-def.js';
import { type TaskRow, TaskState } from '../projections/tables/index.js';
import type { TaskTokenClaims, TaskTokens } from './task-token.js';

/**
 * Servo's side of the task callbacks. Every call is checked twice before anything is appended:
 * the token must be valid, unexpired, for this workspace and for exactly the attempt the body names
 * (else UNAUTHORIZED, HTTP 401), and that attempt must be the task's current one and not finished
 * (else ILLEGAL_STATE, HTTP 409). Repeats are answered without appending again; the fold would drop
 * them anyway.
 */
export function createTaskCallbacks(ctx: AutomationContext, tokens: TaskTokens): TaskCallbacks {
  async function authorize(
    token: string,
    body: { runId: string; taskKey: string; attempt: number; attemptId: string },
  ): Promise<TaskTokenClaims> {
    const claims = await tokens.verify(token, ctx.clock.now());
    const scope = ctx.workspace.scope;
    if (claims.tenantId !== scope.tenantId || claims.workspaceId !== scope.workspaceId) {
      throw new ServoError(ErrorCode.Unauthorized, 'task token is for another workspace');
    }
    if (
      claims.runId !== body.runId ||
      claims.taskKey !== body.taskKey ||
      claims.attempt !== body.attempt ||
      claims.attemptId !== body.attemptId
    ) {
      throw new ServoError(
        ErrorCode.Unauthorized,
        'task token is for another task attempt than the one reported',
      );
    }
    return claims;
  }

  async function currentTask(body: {
    runId: string;
    taskKey: string;
    attempt: number;
    attemptId: string;
  }): Promise<TaskRow> {
    await ctx.sync();
    const task = ctx.tables().tasks.get(compositeKey(body.runId, body.taskKey));
    if (task === undefined) throw notFound(`task ${body.taskKey} of run ${body.runId} does not exist`);
    if (task.attempt !== body.attempt || task.attemptId !== body.attemptId) {
      throw illegalState(
        `attempt ${body.attempt} of task ${body.taskKey} is not the current one (current: ${task.attempt})`,
        {
          expectedAttempt: task.attempt,
          receivedAttempt: body.attempt,
        },
      );
    }
    return task;
  }

  function reply(runId: string): TaskCallbackReply {
    const run = ctx.tables().runs.get(runId);
    return {
      acknowledged: true,
      shouldCancel: run?.cancelRequested === true,
      serverTime: ctx.clock.now().toISOString(),
    };
  }

  function parse<T>(schema: z.ZodType<T>, value: unknown): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalidInput(`invalid callback body: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return parsed.data;
  }

  return {
    async started(token, input) {
      const body = parse(TaskStartedBody, input);
      await authorize(token, body);
      const task = await currentTask(body);
      if (isTerminalTask(task.state) || task.state === TaskState.RetryWait) {
        throw illegalState(`task ${body.taskKey} already finished attempt ${body.attempt} (${task.state})`, {
          state: task.state,
        });
      }
      const run = ctx.tables().runs.get(body.runId);
      if (run?.cancelRequested)
        throw illegalState(`run ${body.runId} is being terminated; do not start`, { state: 'CANCELED' });
      if (task.state === TaskState.Dispatched) {
        await ctx.append([draft('task.started.v1', body, ctx.clock.now())]);
      }
      return reply(body.runId);
    },

    async heartbeat(token, input) {
      const body = parse(TaskHeartbeatBody, input);
      await authorize(token, body);
      const task = await currentTask(body);
      if (isTerminalTask(task.state) || task.state === TaskState.RetryWait) {
        throw illegalState(`task ${body.taskKey} already finished attempt ${body.attempt} (${task.state})`, {
          state: task.state,
        });
      }
      if (
        task.state === TaskState.Running &&
        (task.heartbeatSequence === null || body.sequence > task.heartbeatSequence)
      ) {
        await ctx.append([draft('task.heartbeat.v1', body, ctx.clock.now())]);
      }
      return reply(body.runId);
    },

    async finished(token, input) {
      const body = parse(TaskFinishedBody, input);
      await authorize(token, body);
      const task = await currentTask(body);
      if (isTerminalTask(task.state) || task.state === TaskState.RetryWait) {
        // A repeat of the report that finished this attempt: acknowledged, nothing to do.
        return { acknowledged: true, serverTime: ctx.clock.now().toISOString() };
      }
      const error =
        body.error === undefined
          ? undefined
          : {
              message: body.error.message,
              ...(body.error.className === undefined ? {} : { className: body.error.className }),
              ...(body.error.stack === undefined ? {} : { stack: body.error.stack }),
              category: body.error.category,
              retryable: body.error.retryable ?? defaultRetryable(body.error.category),
            };
      // The log first: whoever sees the attempt finished can read what it logged.
      if (body.logs !== undefined && body.logs !== '') {
        await ctx.workspace.taskLogs.write(body.runId, body.taskKey, body.attempt, body.logs);
      }
      await ctx.append([
        draft(
          'task.finished.v1',
          {
            runId: body.runId,
            taskKey: body.taskKey,
            attempt: body.attempt,
            attemptId: body.attemptId,
            workerId: body.workerId,
            outcome: body.outcome,
            ...(error === undefined ? {} : { error }),
            ...(body.partitionOutcomes === undefined ? {} : { partitionOutcomes: body.partitionOutcomes }),
            ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
          },
          ctx.clock.now(),
        ),
      ]);
      return { acknowledged: true, serverTime: ctx.clock.now().toISOString() };
    },
  };
}
