import type { DispatchEnvelope, ExecutorRegistry } from '../code-location/task-protocol.js';
import { ErrorCode, ServoError } from '../errors.js';

/**
 * Hands task attempts to their code locations. Adapters: direct (embedded mode: the code location's
 * executor is called at once — in process, or over HTTP for `servo code-server`) and Cloud Tasks (an
 * HTTP task per attempt, named after the dispatch id so a repeat dedupes). Delivery is
 * at-least-once; code locations dedupe by dispatch id.
 */
export interface DispatchQueue {
  /** Resolves once the attempt is accepted for delivery, with the queue's id for it. */
  enqueue(envelope: DispatchEnvelope): Promise<{ externalId: string }>;
}

export function createDirectDispatchQueue(executors: ExecutorRegistry, timeoutMs = 30_000): DispatchQueue {
  return {
    async enqueue(envelope) {
      const executor = executors.executorFor(envelope.codeLocation);
      if (executor === undefined) {
        throw new ServoError(
          ErrorCode.Unavailable,
          `code location ${envelope.codeLocation} is not available to run tasks`,
        );
      }
      await executor.execute(envelope, AbortSignal.timeout(timeoutMs));
      return { externalId: `direct:${envelope.dispatchId}` };
    },
  };
}
