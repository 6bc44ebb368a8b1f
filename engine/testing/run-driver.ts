import type { Folder } from '../fold/fold.js';
import type { ProjectionState } from '../fold/state.js';
import type { LedgerEvent, PayloadOf } from '../model/catalog.js';
import type { RunSource } from '../model/common.js';
import type { TaskDefinition } from '../model/events/runs.js';
import type { EventFactory } from './event-factory.js';
import { runRequest, taskAttempt, testRunId } from './payloads.js';

/** Drives runs through the fold the way the controllers and workers would, for fold tests. */
export class RunDriver {
  constructor(
    private readonly f: EventFactory,
    private readonly folder: Folder,
    readonly state: ProjectionState,
  ) {}

  fold(event: LedgerEvent): string {
    return this.folder.fold(this.state, event);
  }

  make<T extends Parameters<EventFactory['make']>[0]>(
    type: T,
    payload: PayloadOf<T>,
    idempotencyKey?: string,
  ): string {
    return this.fold(
      this.f.advance(1).make(type, payload, idempotencyKey === undefined ? {} : { idempotencyKey }),
    );
  }

  /** Requests, triggers, plans and admits a run; returns its id. */
  start(
    runKey: string,
    tasks: TaskDefinition[],
    source: RunSource = { kind: 'manual', requestedBy: 'ops', requestId: runKey },
  ): string {
    const runId = testRunId(runKey);
    const request = runRequest(runKey, source, {
      assetSelection: [...new Set(tasks.map((task) => task.assetKey))],
    });
    this.make('run.requested.v1', request);
    this.make('run.triggered.v1', {
      runId,
      runKey,
      source,
      lane: request.lane,
      priority: 0,
      assetSelection: request.assetSelection,
      tags: {},
    });
    this.make('run.plan-created.v1', { runId, tasks });
    this.make('run.admitted.v1', { runId, pools: [] });
    return runId;
  }

  dispatch(runId: string, taskKey: string, attempt: number): ReturnType<typeof taskAttempt> {
    const ref = taskAttempt(runId, taskKey, attempt);
    this.make('task.dispatch-requested.v1', { ...ref, queue: 'default' });
    return ref;
  }

  startTask(runId: string, taskKey: string, attempt: number): ReturnType<typeof taskAttempt> {
    const ref = this.dispatch(runId, taskKey, attempt);
    const { dispatchId: _, ...task } = ref;
    this.make('task.started.v1', { ...task, workerId: 'w1' });
    return ref;
  }

  finish(
    runId: string,
    taskKey: string,
    attempt: number,
    outcome: PayloadOf<'task.finished.v1'>['outcome'],
    extra: Partial<PayloadOf<'task.finished.v1'>> = {},
  ): string {
    const { dispatchId: _, ...task } = taskAttempt(runId, taskKey, attempt);
    return this.make('task.finished.v1', { ...task, workerId: 'w1', outcome, ...extra });
  }

  /** Dispatches, starts and finishes a task's next attempt. */
  run(
    runId: string,
    taskKey: string,
    outcome: PayloadOf<'task.finished.v1'>['outcome'],
    extra: Partial<PayloadOf<'task.finished.v1'>> = {},
  ): string {
    const row = this.state.tables.tasks.get(`${runId}\u001f${taskKey}`);
    const attempt = (row?.attempt ?? 0) + 1;
    this.startTask(runId, taskKey, attempt);
    return this.finish(runId, taskKey, attempt, outcome, extra);
  }
}
