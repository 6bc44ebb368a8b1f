import type {
  DispatchEnvelope,
  ExecutorRegistry,
  TaskCallbacks,
  TaskExecutor,
  TaskFinishedBody,
} from '../code-location/task-protocol.js';

export type AttemptBehaviour = (envelope: DispatchEnvelope) =>
  | { outcome: 'SUCCEEDED'; metadata?: Record<string, unknown> }
  | { outcome: 'FAILED'; retryable?: boolean; message?: string }
  | { outcome: 'HANG' }
  /** The delivery is accepted and then lost: the worker never reports. */
  | { outcome: 'LOST' };

/**
 * A test stand-in for a code location's worker that goes through the real protocol: every
 * delivered envelope is started and finished through Servo's task callbacks with its task token,
 * as a worker would. `HANG` starts the attempt and never reports again (for heartbeat timeouts).
 */
export class CallbackExecutor implements ExecutorRegistry, TaskExecutor {
  readonly delivered: DispatchEnvelope[] = [];
  callbacks: TaskCallbacks | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly behaviour: AttemptBehaviour = () => ({ outcome: 'SUCCEEDED' })) {}

  executorFor(): TaskExecutor {
    return this;
  }

  async execute(envelope: DispatchEnvelope): Promise<void> {
    this.delivered.push(envelope);
    const callbacks = this.callbacks;
    if (callbacks === undefined) throw new Error('set callbacks before dispatching');
    const ref = {
      runId: envelope.runId,
      taskKey: envelope.taskKey,
      attempt: envelope.attempt,
      attemptId: envelope.attemptId,
      workerId: 'test-worker',
    };
    const result = this.behaviour(envelope);
    if (result.outcome === 'LOST') return;
    // Like a worker process: it answers the dispatch at once and reports back afterwards.
    const work = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      {
        await callbacks.started(envelope.taskToken, ref);
        if (result.outcome === 'HANG') return;
        const body: TaskFinishedBody =
          result.outcome === 'SUCCEEDED'
            ? {
                ...ref,
                outcome: 'SUCCEEDED',
                ...(result.metadata === undefined ? {} : { metadata: result.metadata }),
              }
            : {
                ...ref,
                outcome: 'FAILED',
                error: {
                  message: result.message ?? 'failed',
                  category: 'USER_CODE',
                  ...(result.retryable === undefined ? {} : { retryable: result.retryable }),
                },
              };
        await callbacks.finished(envelope.taskToken, body);
      }
    });
    const tracked = work.catch(() => {}).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Waits for every reported attempt to finish reporting. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  get busy(): boolean {
    return this.inFlight.size > 0;
  }
}
