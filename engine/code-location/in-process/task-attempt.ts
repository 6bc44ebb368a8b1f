import type { Clock } from '../../clock.js';
import { ErrorCode, invalidInput, isServoError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { JsonValue, MaterializeContext, PartitionOutcome } from '../sdk/asset.js';
import type { DispatchEnvelope, TaskCallbacks, TaskStartedBody } from '../task-protocol.js';
import { CapturedLog } from './captured-log.js';

/** Metadata of one materialization, serialized, is limited to 64 KiB. */
export const MAX_METADATA_BYTES = 65_536;

/**
 * The state of one running attempt: its captured log, metadata, per-partition outcomes, heartbeat
 * sequence and cancellation. It builds the `MaterializeContext` user code sees.
 */
export class TaskAttempt {
  readonly log: CapturedLog;
  readonly metadata: Record<string, JsonValue> = {};
  readonly partitionOutcomes = new Map<string, PartitionOutcome>();
  private readonly controller = new AbortController();
  private sequence = 0;
  private beating = false;
  private ended = false;

  constructor(
    private readonly envelope: DispatchEnvelope,
    readonly ref: TaskStartedBody,
    private readonly callbacks: TaskCallbacks,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.log = new CapturedLog(() => clock.now(), logger);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts `signal` (once): Servo asked the attempt to stop. */
  cancel(why: string): void {
    if (this.ended || this.controller.signal.aborted) return;
    this.logger.info({ why }, 'attempt asked to stop');
    this.controller.abort(new DOMException(`Servo asked this task to stop: ${why}`, 'AbortError'));
  }

  /** After this, late heartbeat answers no longer cancel anything. */
  end(): void {
    this.ended = true;
  }

  /** True when `error` is the attempt's own abort (or wraps it): the user code stopped as asked. */
  isOwnAbort(error: unknown): boolean {
    if (!this.signal.aborted) return false;
    for (let current = error, depth = 0; current !== undefined && depth < 8; depth += 1) {
      if (current === this.signal.reason) return true;
      if (current instanceof Error && current.name === 'AbortError') return true;
      current = current instanceof Error ? current.cause : undefined;
    }
    return false;
  }

  /** The automatic heartbeat: skipped while the previous one is still on its way. */
  autoHeartbeat(): void {
    if (this.beating || this.ended) return;
    this.beating = true;
    void this.heartbeat().finally(() => {
      this.beating = false;
    });
  }

  /** Sends one heartbeat; never rejects. A `shouldCancel` answer cancels the attempt. */
  async heartbeat(message?: string): Promise<void> {
    // Sequences only grow, also across a redelivery of the same attempt to a fresh process:
    // they follow the clock (epoch ms) and step by one when called faster than it moves.
    this.sequence = Math.max(this.sequence + 1, this.clock.now().getTime());
    try {
      const reply = await this.callbacks.heartbeat(this.envelope.taskToken, {
        ...this.ref,
        sequence: this.sequence,
        ...(message === undefined ? {} : { message: String(message).slice(0, 4096) }),
      });
      if (reply.shouldCancel) this.cancel('the run is being terminated');
    } catch (error) {
      if (isServoError(error, ErrorCode.IllegalState) || isServoError(error, ErrorCode.Unauthorized)) {
        this.cancel(`this attempt is no longer current (${error.message})`);
      } else {
        this.logger.warn({ err: error }, 'heartbeat not delivered; the next one will be tried');
      }
    }
  }

  context(): MaterializeContext {
    const envelope = this.envelope;
    const partitionKeys = Object.freeze([...(envelope.partitionKeys ?? [])]);
    return {
      assetKey: envelope.assetKey,
      partitionKey: partitionKeys.length === 1 ? partitionKeys[0] : undefined,
      partitionKeys,
      runId: envelope.runId,
      runKey: envelope.runKey,
      attempt: envelope.attempt,
      tags: Object.freeze({ ...envelope.tags }),
      log: this.log,
      signal: this.signal,
      heartbeat: (message) => this.heartbeat(message),
      addMetadata: (record) => this.addMetadata(record),
      reportPartition: (partitionKey, outcome) => {
        if (!partitionKeys.includes(partitionKey))
          throw invalidInput(`reportPartition: ${partitionKey} is not a partition of this task`);
        if (outcome !== 'SUCCEEDED' && outcome !== 'FAILED')
          throw invalidInput(`reportPartition: outcome must be SUCCEEDED or FAILED, not ${String(outcome)}`);
        this.partitionOutcomes.set(partitionKey, outcome);
      },
    };
  }

  /** Reported partition outcomes that differ from the task's (what `partitionOutcomes` carries). */
  outcomesDifferingFrom(outcome: string): Record<string, PartitionOutcome> | undefined {
    const differing = [...this.partitionOutcomes].filter(([, value]) => value !== outcome);
    return differing.length === 0 ? undefined : Object.fromEntries(differing);
  }

  private addMetadata(record: Record<string, JsonValue>): void {
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw invalidInput('addMetadata takes an object of JSON values');
    for (const [key, value] of Object.entries(record)) {
      if (key.length === 0 || key.length > 256)
        throw invalidInput(`addMetadata: key "${key.slice(0, 32)}" must be 1 to 256 characters`);
      const problem = jsonProblem(value, key);
      if (problem !== undefined) throw invalidInput(`addMetadata: ${problem}`);
    }
    const merged = { ...this.metadata, ...record };
    const size = Buffer.byteLength(JSON.stringify(merged));
    if (size > MAX_METADATA_BYTES)
      throw invalidInput(`addMetadata: metadata would be ${size} bytes; the limit is ${MAX_METADATA_BYTES}`);
    Object.assign(this.metadata, record);
  }
}

/** Why `value` is not plain JSON, or undefined when it is. */
function jsonProblem(value: unknown, path: string, depth = 0): string | undefined {
  if (depth > 64) return `${path} is nested too deeply`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${value}, not JSON`;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = jsonProblem(item, `${path}[${index}]`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null)
      return `${path} is a ${prototype?.constructor?.name ?? 'non-plain object'}, not a JSON object`;
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(item, `${path}.${key}`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return `${path} is a ${typeof value}, not JSON`;
}
