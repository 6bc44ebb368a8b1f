import { createHash } from 'node:crypto';
import { ErrorCode, isServoError } from '../errors.js';
import { type Scope, scopedKey } from '../ledger/scope.js';
import type { ObjectStore } from '../storage/object-store.js';

/**
 * The log lines a task attempt captured (`TaskFinished.logs`, at most 256 KiB), kept beside the
 * workspace's ledger as one object per attempt: `logs/{runId}/{sha256(taskKey)}/{attempt}.log`.
 * They are not events — the ledger stays small and logs never take part in the fold — so they are
 * written once, before the `TaskFinished` that reports the attempt, and never rewritten: a
 * redelivered report finds its log already there. Object lifecycle rules on the bucket (or removing
 * `logs/` on local disk) expire them; nothing in Servo depends on them existing.
 */
export class TaskLogs {
  constructor(
    private readonly store: ObjectStore,
    private readonly scope: Scope,
  ) {}

  /** Stores an attempt's log; an attempt that already has one keeps it. */
  async write(runId: string, taskKey: string, attempt: number, text: string): Promise<void> {
    try {
      await this.store.put(this.keyOf(runId, taskKey, attempt), new TextEncoder().encode(text), {
        ifNotExists: true,
        contentType: 'text/plain; charset=utf-8',
      });
    } catch (error) {
      if (!isServoError(error, ErrorCode.PreconditionFailed)) throw error;
    }
  }

  /** An attempt's log, or undefined when it logged nothing (or its log has expired). */
  async read(runId: string, taskKey: string, attempt: number): Promise<string | undefined> {
    const object = await this.store.get(this.keyOf(runId, taskKey, attempt));
    return object === undefined ? undefined : new TextDecoder().decode(object.body);
  }

  private keyOf(runId: string, taskKey: string, attempt: number): string {
    // Task keys hold `/`, `[` and partition keys of any characters: hashed, they make a safe key.
    const task = createHash('sha256').update(taskKey).digest('hex').slice(0, 32);
    return scopedKey(this.scope, `logs/${runId}/${task}/${attempt}.log`);
  }
}
