import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ErrorCode, illegalState, ServoError } from '../../errors.js';
import { defineAsset, defineDefinitions, type MaterializeFn, NonRetryableError } from '../sdk/index.js';
import { MAX_LOG_BYTES } from './captured-log.js';
import { ManualIntervalTimer } from './interval-timer.js';
import { heartbeatIntervalMs, runTask } from './run-task.js';
import { TaskCallbacksDouble, testEnvelope } from './task-callbacks-double.js';

function setup(materialize: MaterializeFn, options: { partitioned?: boolean } = {}) {
  const definitions = defineDefinitions({
    codeLocation: 'sales',
    assets: [
      defineAsset({
        key: 'sales/orders',
        ...(options.partitioned
          ? { partitions: { kind: 'static' as const, keys: ['eu', 'us', 'apac'] } }
          : {}),
        materialize,
      }),
    ],
  });
  const callbacks = new TaskCallbacksDouble();
  const timers = new ManualIntervalTimer();
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00.000Z'));
  const run = (overrides: Parameters<typeof testEnvelope>[0] = {}) =>
    runTask(definitions, testEnvelope(overrides), callbacks, { workerId: 'worker-1', clock, timers });
  return { callbacks, timers, clock, run };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves when `signal` aborts, rejecting with its reason (what cooperative user code does). */
const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('runTask', () => {
  it('reports started, then SUCCEEDED with the metadata and the captured log', async () => {
    const { callbacks, run } = setup(async (context) => {
      context.log.info('copied orders', { rows: 42 });
      context.addMetadata({ rows: 42, path: 'gs://bucket/orders' });
      context.addMetadata({ schema: { columns: ['id', 'total'] } });
    });
    expect(await run()).toEqual({ status: 'finished', outcome: 'SUCCEEDED', delivered: true });
    expect(callbacks.calls.map((call) => call.kind)).toEqual(['started', 'finished']);
    expect(callbacks.calls.every((call) => call.token === 'task-token-0123456789abcdef')).toBe(true);
    expect(callbacks.of('started')[0]).toEqual({
      runId: 'run_abc',
      taskKey: 'sales/orders',
      attempt: 1,
      attemptId: 'att_0001',
      workerId: 'worker-1',
    });
    const finished = callbacks.of('finished')[0];
    expect(finished).toMatchObject({
      outcome: 'SUCCEEDED',
      metadata: { rows: 42, path: 'gs://bucket/orders', schema: { columns: ['id', 'total'] } },
      logs: '2026-01-01T00:00:00.000Z INFO copied orders {"rows":42}\n',
    });
    expect(finished?.error).toBeUndefined();
  });

  it('gives materialize the attempt it runs', async () => {
    let seen: unknown;
    const { run } = setup(
      (context) => {
        seen = {
          assetKey: context.assetKey,
          partitionKey: context.partitionKey,
          partitionKeys: context.partitionKeys,
          runId: context.runId,
          runKey: context.runKey,
          attempt: context.attempt,
          tags: context.tags,
        };
      },
      { partitioned: true },
    );
    await run({ partitionKeys: ['eu'], attempt: 2 });
    expect(seen).toEqual({
      assetKey: 'sales/orders',
      partitionKey: 'eu',
      partitionKeys: ['eu'],
      runId: 'run_abc',
      runKey: 'sched:sales:nightly:1767225600',
      attempt: 2,
      tags: { team: 'sales' },
    });
  });

  it('reports a thrown error as a retryable USER_CODE failure', async () => {
    const { callbacks, run } = setup(async () => {
      throw new TypeError('orders table is locked');
    });
    expect(await run()).toMatchObject({ outcome: 'FAILED' });
    const finished = callbacks.of('finished')[0];
    expect(finished?.error).toMatchObject({
      message: 'orders table is locked',
      className: 'TypeError',
      category: 'USER_CODE',
      retryable: true,
    });
    expect(finished?.error?.stack).toContain('orders table is locked');
    expect(finished?.logs).toContain('ERROR materialize failed: orders table is locked');
  });

  it('reports a NonRetryableError as a failure not to retry', async () => {
    const { callbacks, run } = setup(() => {
      throw new NonRetryableError('the export is empty');
    });
    await run();
    expect(callbacks.of('finished')[0]?.error).toMatchObject({
      message: 'the export is empty',
      className: 'NonRetryableError',
      retryable: false,
    });
  });

  it('heartbeats automatically every fifth of the timeout (clamped to 1–60 s), one at a time', async () => {
    expect([heartbeatIntervalMs(300), heartbeatIntervalMs(3), heartbeatIntervalMs(30)]).toEqual([
      60_000, 1000, 6000,
    ]);
    let release = () => {};
    const { callbacks, timers, clock, run } = setup(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    const running = run({ heartbeatTimeoutSeconds: 30 });
    await callbacks.waitFor('started');
    await settle();
    expect(timers.intervals()).toEqual([6000]);
    timers.fire();
    timers.fire();
    await callbacks.waitFor('heartbeat');
    await settle();
    expect(callbacks.of('heartbeat')).toHaveLength(1);
    clock.advance(6000);
    timers.fire();
    await callbacks.waitFor('heartbeat', 2);
    release();
    await running;
    expect(timers.intervals()).toEqual([]);
    const sequences = callbacks.of('heartbeat').map((beat) => beat.sequence);
    expect(sequences[1]).toBeGreaterThan(sequences[0] ?? Number.POSITIVE_INFINITY);
    expect(callbacks.calls.at(-1)?.kind).toBe('finished');
  });

  it('sends an explicit heartbeat with its message, and increasing sequences', async () => {
    const { callbacks, run } = setup(async (context) => {
      await context.heartbeat('halfway');
      await context.heartbeat('almost');
    });
    await run();
    const beats = callbacks.of('heartbeat');
    expect(beats.map((beat) => beat.message)).toEqual(['halfway', 'almost']);
    expect(beats[1]?.sequence).toBe((beats[0]?.sequence ?? 0) + 1);
  });

  it('aborts the signal when a heartbeat says shouldCancel, and reports CANCELED', async () => {
    const { callbacks, timers, run } = setup((context) => untilAborted(context.signal));
    const running = run();
    await callbacks.waitFor('started');
    await settle();
    callbacks.shouldCancel = true;
    timers.fire();
    expect(await running).toEqual({ status: 'finished', outcome: 'CANCELED', delivered: true });
    expect(callbacks.of('finished')[0]?.error).toMatchObject({ category: 'CANCELED', retryable: false });
  });

  it('stops a running attempt that Servo no longer considers current', async () => {
    const { callbacks, timers, run } = setup((context) => untilAborted(context.signal));
    callbacks.refuse.heartbeat = illegalState('attempt 1 is not the current attempt (2)');
    const running = run();
    await callbacks.waitFor('started');
    await settle();
    timers.fire();
    expect(await running).toMatchObject({ outcome: 'CANCELED' });
  });

  it('reports CANCELED without running when started already says shouldCancel', async () => {
    let ran = false;
    const { callbacks, run } = setup(() => {
      ran = true;
    });
    callbacks.shouldCancel = true;
    expect(await run()).toMatchObject({ outcome: 'CANCELED' });
    expect(ran).toBe(false);
  });

  it('skips running a superseded attempt or an already finished task', async () => {
    let ran = false;
    const { callbacks, run } = setup(() => {
      ran = true;
    });
    callbacks.refuse.started = illegalState('task already finished');
    expect(await run()).toEqual({ status: 'skipped', reason: 'task already finished' });
    callbacks.refuse.started = new ServoError(ErrorCode.Unauthorized, 'token expired');
    expect(await run()).toEqual({ status: 'skipped', reason: 'token expired' });
    expect(ran).toBe(false);
    expect(callbacks.of('finished')).toEqual([]);
  });

  it('runs nothing when the start cannot be reported', async () => {
    const { callbacks, run } = setup(() => {});
    callbacks.refuse.started = new ServoError(ErrorCode.Unavailable, 'Servo is down');
    expect(await run()).toMatchObject({ status: 'not-started' });
    expect(callbacks.of('finished')).toEqual([]);
  });

  it('fails an unknown asset, or a partitioned one dispatched without partitions, as non-retryable', async () => {
    const { callbacks, run } = setup(() => {}, { partitioned: true });
    await run({ assetKey: 'sales/refunds' });
    await run();
    const [unknown, unpartitioned] = callbacks.of('finished');
    expect(unknown?.error).toMatchObject({ retryable: false });
    expect(unknown?.error?.message).toMatch(/defines no asset sales\/refunds/);
    expect(unpartitioned?.error?.message).toBe(
      'asset sales/orders is partitioned but the dispatch names no partition',
    );
  });

  it('reports per-partition outcomes that differ from the task outcome', async () => {
    const { callbacks, run } = setup(
      (context) => {
        context.reportPartition('eu', 'SUCCEEDED');
        context.reportPartition('us', 'FAILED');
        expect(() => context.reportPartition('mars', 'FAILED')).toThrow(/not a partition of this task/);
      },
      { partitioned: true },
    );
    await run({ partitionKeys: ['eu', 'us', 'apac'] });
    expect(callbacks.of('finished')[0]).toMatchObject({
      outcome: 'SUCCEEDED',
      partitionOutcomes: { us: 'FAILED' },
    });
  });

  it('refuses metadata that is not JSON or too large', async () => {
    const attempts: string[] = [];
    const { run } = setup((context) => {
      for (const bad of [{ when: new Date(0) }, { ratio: Number.NaN }, { big: 'x'.repeat(70_000) }]) {
        try {
          context.addMetadata(bad as never);
        } catch (error) {
          attempts.push((error as Error).message);
        }
      }
    });
    await run();
    expect(attempts).toEqual([
      'addMetadata: when is a Date, not a JSON object',
      'addMetadata: ratio is NaN, not JSON',
      expect.stringMatching(/^addMetadata: metadata would be \d+ bytes; the limit is 65536$/),
    ]);
  });

  it('keeps only the last 256 KiB of log lines', async () => {
    const { callbacks, run } = setup((context) => {
      for (let line = 0; line < 400; line += 1) context.log.warn(`line ${line} ${'x'.repeat(1000)}`);
    });
    await run();
    const logs = callbacks.of('finished')[0]?.logs ?? '';
    expect(Buffer.byteLength(logs)).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(logs).toMatch(/^\[\d+ earlier log bytes dropped\]\n/);
    expect(logs).toContain('WARN line 399 ');
    expect(logs).not.toContain('WARN line 0 ');
  });

  it('says when Servo did not take the result', async () => {
    const { callbacks, run } = setup(() => {});
    callbacks.refuse.finished = illegalState('attempt superseded');
    expect(await run()).toEqual({ status: 'finished', outcome: 'SUCCEEDED', delivered: false });
  });
});
