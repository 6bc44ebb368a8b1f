import { describe, expect, it } from 'vitest';
import { ErrorCode, isServoError, ServoError } from '../../errors.js';
import { defineAsset, defineDefinitions, defineSensor } from '../sdk/index.js';
import { createInProcessCodeLocation, InvalidSensorResultError } from './in-process-code-location.js';
import { ManualIntervalTimer } from './interval-timer.js';
import { TaskCallbacksDouble, testEnvelope } from './task-callbacks-double.js';

const context = { cursor: 'c1', lastRunKey: null, now: '2026-01-01T00:00:00.000Z' };
const noSignal = () => new AbortController().signal;

function setup() {
  const gates: Array<() => void> = [];
  let materializations = 0;
  const orders = defineAsset({
    key: 'sales/orders',
    materialize: () => {
      materializations += 1;
      return new Promise<void>((resolve) => gates.push(resolve));
    },
  });
  let sensorSignal: AbortSignal | undefined;
  const definitions = defineDefinitions({
    codeLocation: 'sales',
    assets: [orders],
    sensors: [
      defineSensor({
        name: 'files',
        kind: 'poll',
        assets: [orders],
        evaluate: ({ cursor, now }) => ({ runRequests: [{ runKey: `file:${cursor}` }], cursor: now }),
      }),
      defineSensor({ name: 'quiet', kind: 'poll', assets: [orders], evaluate: () => undefined }),
      defineSensor({
        name: 'slow',
        kind: 'poll',
        assets: [orders],
        evaluate: ({ signal }) => {
          sensorSignal = signal;
          return new Promise(() => {});
        },
      }),
      defineSensor({
        name: 'broken',
        kind: 'poll',
        assets: [orders],
        evaluate: () => ({ runRequests: [{ runKey: 'has spaces' }] }),
      }),
      defineSensor({
        name: 'orders_topic',
        kind: 'push',
        assets: [orders],
        onMessage: (message) => ({ runRequests: [{ runKey: `msg:${message.messageId}` }] }),
      }),
    ],
  });
  const callbacks = new TaskCallbacksDouble();
  const location = createInProcessCodeLocation(definitions, callbacks, {
    workerId: 'w',
    timers: new ManualIntervalTimer(),
  });
  const releaseAll = () => {
    for (const release of gates.splice(0)) release();
  };
  return {
    location,
    callbacks,
    definitions,
    releaseAll,
    materializations: () => materializations,
    sensorSignal: () => sensorSignal,
  };
}

describe('createInProcessCodeLocation as a CodeLocation', () => {
  it('describes its definitions', async () => {
    const { location, definitions } = setup();
    expect(location.name).toBe('sales');
    expect(await location.describe()).toBe(definitions.spec);
  });

  it('evaluates a poll sensor from its cursor and validates the answer', async () => {
    const { location } = setup();
    expect(await location.evaluateSensor('files', context, noSignal())).toEqual({
      runRequests: [{ runKey: 'file:c1' }],
      dynamicPartitions: [],
      cursor: '2026-01-01T00:00:00.000Z',
    });
    expect(await location.evaluateSensor('quiet', context, noSignal())).toEqual({
      runRequests: [],
      dynamicPartitions: [],
    });
    await expect(location.evaluateSensor('broken', context, noSignal())).rejects.toThrow(
      InvalidSensorResultError,
    );
  });

  it('handles a push message', async () => {
    const { location } = setup();
    const message = { messageId: 'm-1', data: { file: 'a.csv' }, attributes: {} };
    expect(await location.handleMessage('orders_topic', message, noSignal())).toEqual({
      runRequests: [{ runKey: 'msg:m-1' }],
      dynamicPartitions: [],
    });
  });

  it('rejects an unknown sensor and the wrong kind of call', async () => {
    const { location } = setup();
    const unknown = await location.evaluateSensor('nope', context, noSignal()).catch((error) => error);
    expect(isServoError(unknown, ErrorCode.NotFound)).toBe(true);
    const wrongKind = await location
      .evaluateSensor('orders_topic', context, noSignal())
      .catch((error) => error);
    expect(isServoError(wrongKind, ErrorCode.InvalidInput)).toBe(true);
  });

  it('rejects with the signal’s reason when the caller gives up, and the sensor sees the abort', async () => {
    const { location, sensorSignal } = setup();
    const controller = new AbortController();
    const evaluation = location.evaluateSensor('slow', context, controller.signal);
    const timeout = new ServoError(ErrorCode.Unavailable, 'timed out after 10 ms');
    setTimeout(() => controller.abort(timeout), 10);
    await expect(evaluation).rejects.toBe(timeout);
    expect(sensorSignal()?.aborted).toBe(true);
  });
});

describe('createInProcessCodeLocation as a TaskExecutor', () => {
  it('accepts a dispatch at once and runs it in the background', async () => {
    const { location, callbacks, releaseAll } = setup();
    await location.execute(testEnvelope(), noSignal());
    await callbacks.waitFor('started');
    expect(location.runningTasks()).toBe(1);
    releaseAll();
    await location.drain();
    expect(callbacks.of('finished').map((body) => body.outcome)).toEqual(['SUCCEEDED']);
  });

  it('runs a dispatch id once, however often it is delivered', async () => {
    const { location, callbacks, releaseAll, materializations } = setup();
    const envelope = testEnvelope();
    await location.execute(envelope, noSignal());
    await location.execute(envelope, noSignal());
    await callbacks.waitFor('started');
    releaseAll();
    await location.drain();
    await location.execute(envelope, noSignal());
    await location.drain();
    expect(materializations()).toBe(1);
    expect(callbacks.of('started')).toHaveLength(1);

    await location.execute(
      testEnvelope({ attempt: 2, attemptId: 'att_0002', dispatchId: 'dispatch:run_abc:sales/orders:2' }),
      noSignal(),
    );
    await callbacks.waitFor('started', 2);
    releaseAll();
    await location.drain();
    expect(materializations()).toBe(2);
  });

  it('runs a redelivery again when the first delivery could not report its start', async () => {
    const { location, callbacks, releaseAll, materializations } = setup();
    callbacks.refuse.started = new ServoError(ErrorCode.Unavailable, 'Servo is down');
    await location.execute(testEnvelope(), noSignal());
    await location.drain();
    callbacks.refuse = {};
    await location.execute(testEnvelope(), noSignal());
    await callbacks.waitFor('started', 2);
    releaseAll();
    await location.drain();
    expect(materializations()).toBe(1);
  });

  it('refuses an envelope for another code location or one that is invalid', async () => {
    const { location } = setup();
    await expect(location.execute(testEnvelope({ codeLocation: 'finance' }), noSignal())).rejects.toThrow(
      'this is code location sales, not finance',
    );
    await expect(location.execute(testEnvelope({ taskToken: 'short' }), noSignal())).rejects.toThrow(
      /invalid dispatch envelope: taskToken/,
    );
  });
});
