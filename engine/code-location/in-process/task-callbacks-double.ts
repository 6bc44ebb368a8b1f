import type { ServoError } from '../../errors.js';
import {
  type DispatchEnvelope,
  TASK_PROTOCOL_VERSION,
  type TaskCallbackReply,
  type TaskCallbacks,
  type TaskFinishedBody,
  type TaskHeartbeatBody,
  type TaskStartedBody,
} from '../task-protocol.js';

export type CallbackCall =
  | { kind: 'started'; token: string; body: TaskStartedBody }
  | { kind: 'heartbeat'; token: string; body: TaskHeartbeatBody }
  | { kind: 'finished'; token: string; body: TaskFinishedBody };

interface CallbackBodies {
  started: TaskStartedBody;
  heartbeat: TaskHeartbeatBody;
  finished: TaskFinishedBody;
}

/**
 * Servo's side of the task callbacks for tests: records every call, answers `shouldCancel` as set,
 * and refuses a callback with a chosen error (ILLEGAL_STATE for a superseded attempt, …).
 */
export class TaskCallbacksDouble implements TaskCallbacks {
  readonly calls: CallbackCall[] = [];
  shouldCancel = false;
  refuse: Partial<Record<CallbackCall['kind'], ServoError | Error>> = {};
  private waiters: Array<() => void> = [];

  async started(token: string, body: TaskStartedBody): Promise<TaskCallbackReply> {
    this.record({ kind: 'started', token, body });
    return this.reply('started');
  }

  async heartbeat(token: string, body: TaskHeartbeatBody): Promise<TaskCallbackReply> {
    this.record({ kind: 'heartbeat', token, body });
    return this.reply('heartbeat');
  }

  async finished(
    token: string,
    body: TaskFinishedBody,
  ): Promise<{ acknowledged: boolean; serverTime: string }> {
    this.record({ kind: 'finished', token, body });
    const refusal = this.refuse.finished;
    if (refusal !== undefined) throw refusal;
    return { acknowledged: true, serverTime: '2026-01-01T00:00:00.000Z' };
  }

  /** The bodies of the calls of one kind, in order. */
  of<K extends keyof CallbackBodies>(kind: K): Array<CallbackBodies[K]> {
    return this.calls.filter((call) => call.kind === kind).map((call) => call.body as CallbackBodies[K]);
  }

  /** Resolves once `count` calls of `kind` were made. */
  async waitFor(kind: CallbackCall['kind'], count = 1): Promise<void> {
    while (this.of(kind).length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private record(call: CallbackCall): void {
    this.calls.push(call);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private reply(kind: 'started' | 'heartbeat'): TaskCallbackReply {
    const refusal = this.refuse[kind];
    if (refusal !== undefined) throw refusal;
    return { acknowledged: true, shouldCancel: this.shouldCancel, serverTime: '2026-01-01T00:00:00.000Z' };
  }
}

/** A valid dispatch envelope for tests. */
export function testEnvelope(overrides: Partial<DispatchEnvelope> = {}): DispatchEnvelope {
  return {
    protocolVersion: TASK_PROTOCOL_VERSION,
    tenantId: 'acme',
    workspaceId: 'prod',
    codeLocation: 'sales',
    runId: 'run_abc',
    runKey: 'sched:sales:nightly:1767225600',
    taskKey: 'sales/orders',
    assetKey: 'sales/orders',
    attempt: 1,
    attemptId: 'att_0001',
    dispatchId: 'dispatch:run_abc:sales/orders:1',
    heartbeatTimeoutSeconds: 300,
    tags: { team: 'sales' },
    callbackBaseUrl: 'http://127.0.0.1:9/servo',
    taskToken: 'task-token-0123456789abcdef',
    tokenExpiresAt: '2026-01-01T01:00:00.000Z',
    ...overrides,
  };
}
