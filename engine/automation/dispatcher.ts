import type { DispatchEnvelope } from '../code-location/task-protocol.js';
import type { DispatchQueue } from '../dispatch/dispatch-queue.js';
import type { TaskTokens } from '../dispatch/task-token.js';
import { draft, type EventDraft } from '../model/catalog.js';
import { attemptIdFor, dispatchIdFor, timerIdFor } from '../model/ids.js';
import type { ProjectionStore } from '../projections/projection-store.js';
import { compositeKey } from '../projections/table-def.js';
import { type DispatchOutboxRow, RunStatus, type TaskRow, TaskState } from '../projections/tables/index.js';
import type { Reactor } from './automation.js';
import type { AutomationContext } from './context.js';
import { RowIndex } from './row-index.js';

export interface DispatcherOptions {
  queue: DispatchQueue;
  tokens: TaskTokens;
  /** Where code locations send task callbacks: `{callbackBaseUrl}/tasks/started` etc. */
  callbackBaseUrl: string;
  /** Events per segment when many tasks are dispatched together. Default 2000. */
  maxEventsPerSegment?: number;
}

const MAX_DELIVERY_BACKOFF_MS = 60_000;

/**
 * Sends ready work to code locations, in two steps that each survive a crash: first the decision
 * (`DispatchRequested`: the attempt number and id, in the outbox), then the delivery (the envelope
 * to the dispatch queue, then `DispatchEnqueued`). Only tasks of admitted runs that are not being
 * terminated are dispatched; a task waiting to retry is dispatched once its retry time has come. A
 * delivery that fails is tried again with backoff; the outbox row stays until the attempt starts.
 */
export function createDispatcher(projections: ProjectionStore, options: DispatcherOptions): Reactor {
  const ready = new RowIndex(
    projections,
    'tasks',
    (task) => task.state === TaskState.Ready || task.state === TaskState.RetryWait,
  );
  const outbox = new RowIndex(projections, 'dispatchOutbox', (row) => row.status === 'PENDING');
  const backoff = new Map<string, { failures: number; notBefore: number }>();
  const maxEvents = options.maxEventsPerSegment ?? 2000;

  async function requestDispatches(ctx: AutomationContext): Promise<boolean> {
    const tables = ctx.tables();
    const now = ctx.clock.now();
    const drafts: EventDraft[] = [];
    let did = false;
    for (const task of ready.rows()) {
      const run = tables.runs.get(task.runId);
      if (run === undefined || run.cancelRequested) continue;
      if (run.status !== RunStatus.Starting && run.status !== RunStatus.Started) continue;
      if (task.state === TaskState.RetryWait && (task.retryNotBefore ?? 0) > now.getTime()) continue;
      const attempt = task.attempt + 1;
      const dispatchId = dispatchIdFor(task.runId, task.taskKey, attempt);
      drafts.push(
        draft(
          'task.dispatch-requested.v1',
          {
            runId: task.runId,
            taskKey: task.taskKey,
            attempt,
            attemptId: attemptIdFor(dispatchId),
            dispatchId,
            queue: 'default',
          },
          now,
        ),
      );
      if (drafts.length >= maxEvents) {
        await ctx.append(drafts.splice(0));
        did = true;
      }
    }
    if (drafts.length > 0) {
      await ctx.append(drafts);
      did = true;
    }
    return did;
  }

  async function envelopeFor(
    ctx: AutomationContext,
    row: DispatchOutboxRow,
    task: TaskRow,
  ): Promise<DispatchEnvelope | string> {
    const tables = ctx.tables();
    const asset = tables.assetDefinitions.get(task.assetKey);
    if (asset === undefined) return `asset ${task.assetKey} is no longer defined by any code location`;
    const run = tables.runs.get(row.runId);
    const scope = ctx.workspace.scope;
    const { token, expiresAt } = await options.tokens.sign(
      {
        tenantId: scope.tenantId,
        workspaceId: scope.workspaceId,
        runId: row.runId,
        taskKey: row.taskKey,
        attempt: row.attempt,
        attemptId: row.attemptId,
      },
      ctx.clock.now(),
    );
    return {
      protocolVersion: 1,
      tenantId: scope.tenantId,
      workspaceId: scope.workspaceId,
      codeLocation: asset.codeLocation,
      runId: row.runId,
      runKey: run?.runKey ?? row.runId,
      taskKey: row.taskKey,
      assetKey: task.assetKey,
      ...(task.partitionKeys === null ? {} : { partitionKeys: task.partitionKeys }),
      attempt: row.attempt,
      attemptId: row.attemptId,
      dispatchId: row.dispatchId,
      heartbeatTimeoutSeconds: task.heartbeatTimeoutSeconds,
      ...(task.codeVersion === null ? {} : { codeVersion: task.codeVersion }),
      tags: run?.tags ?? {},
      callbackBaseUrl: options.callbackBaseUrl,
      taskToken: token,
      tokenExpiresAt: expiresAt.toISOString(),
    };
  }

  async function deliver(ctx: AutomationContext): Promise<boolean> {
    const now = ctx.clock.now().getTime();
    const acknowledged: EventDraft[] = [];
    const retries: number[] = [];
    for (const row of outbox.rows()) {
      const wait = backoff.get(row.dispatchId);
      if (wait !== undefined && wait.notBefore > now) continue;
      const task = ctx.tables().tasks.get(compositeKey(row.runId, row.taskKey));
      if (task === undefined || task.state !== TaskState.Dispatched || task.attempt !== row.attempt) continue;
      const envelope = await envelopeFor(ctx, row, task);
      if (typeof envelope === 'string') {
        acknowledged.push(
          draft(
            'task.finished.v1',
            {
              runId: row.runId,
              taskKey: row.taskKey,
              attempt: row.attempt,
              attemptId: row.attemptId,
              workerId: 'servo:dispatcher',
              outcome: 'FAILED',
              error: { message: envelope, category: 'INFRASTRUCTURE', retryable: false },
            },
            new Date(now),
          ),
        );
        continue;
      }
      try {
        const { externalId } = await options.queue.enqueue(envelope);
        backoff.delete(row.dispatchId);
        acknowledged.push(
          draft(
            'task.dispatch-enqueued.v1',
            {
              runId: row.runId,
              taskKey: row.taskKey,
              attempt: row.attempt,
              attemptId: row.attemptId,
              dispatchId: row.dispatchId,
              externalId,
            },
            new Date(now),
          ),
        );
      } catch (error) {
        const failures = (wait?.failures ?? 0) + 1;
        const delay = Math.min(1000 * 2 ** (failures - 1), MAX_DELIVERY_BACKOFF_MS);
        backoff.set(row.dispatchId, { failures, notBefore: now + delay });
        retries.push(now + delay);
        ctx.logger.warn(
          { err: error, dispatchId: row.dispatchId, failures, retryInMs: delay },
          'task delivery failed; will retry',
        );
      }
      if (acknowledged.length >= maxEvents) await ctx.append(acknowledged.splice(0));
    }
    if (acknowledged.length > 0) await ctx.append(acknowledged);
    if (retries.length > 0) {
      const fireAt = Math.min(...retries);
      await ctx.schedule([
        {
          timerId: timerIdFor('dispatch_retry', 'outbox', fireAt),
          kind: 'dispatch_retry',
          subjectId: 'outbox',
          fireAt,
        },
      ]);
    }
    return acknowledged.length > 0;
  }

  return {
    name: 'dispatcher',
    async react(ctx) {
      await ctx.sync();
      const requested = await requestDispatches(ctx);
      const delivered = await deliver(ctx);
      return requested || delivered;
    },
  };
}
