import { describe, expect, it } from 'vitest';
import { requestFingerprint } from '../model/fingerprint.js';
import type { SensorDefinitionRow, SensorStateRow } from '../projections/tables/index.js';
import {
  type EvaluationInput,
  earliestPollAt,
  evaluationDrafts,
  isSensorRunning,
  nextPollAt,
  parsePushMessage,
  pollTimer,
  sensorRunKey,
  userRunKey,
} from './sensors.js';

const T = Date.UTC(2026, 0, 1);

function definition(overrides: Partial<SensorDefinitionRow> = {}): SensorDefinitionRow {
  return {
    sensorId: 'etl:files',
    codeLocation: 'etl',
    name: 'files',
    source: 'code',
    kind: 'poll',
    targetAssets: ['raw/orders'],
    minimumIntervalSeconds: 30,
    defaultStatus: 'RUNNING',
    description: null,
    maxRunRequests: null,
    evaluationTimeoutSeconds: null,
    codeVersion: null,
    lane: null,
    tags: null,
    createdAt: T,
    updatedAt: T,
    rowVersion: 'v',
    ...overrides,
  };
}

function state(overrides: Partial<SensorStateRow> = {}): SensorStateRow {
  return {
    sensorId: 'etl:files',
    status: null,
    statusChangedAt: null,
    cursor: 'c1',
    stateVersion: 4,
    lastEvalId: null,
    lastEvaluatedAt: T,
    lastEvalStatus: null,
    lastRunKey: null,
    consecutiveFailures: 0,
    rowVersion: 'v',
    ...overrides,
  };
}

function evaluate(result: unknown, overrides: Partial<EvaluationInput> = {}) {
  return evaluationDrafts({
    definition: definition(),
    state: state(),
    trigger: { kind: 'poll', dueAt: T + 30_000 },
    outcome: { kind: 'result', result },
    at: new Date(T + 30_000),
    maxRunRequests: 100,
    ...overrides,
  });
}

describe('sensor status', () => {
  it("follows the operator's choice, else the definition's default status", () => {
    expect(isSensorRunning(definition(), state())).toBe(true);
    expect(isSensorRunning(definition({ defaultStatus: 'STOPPED' }), state())).toBe(false);
    expect(isSensorRunning(definition({ defaultStatus: 'STOPPED' }), state({ status: 'RUNNING' }))).toBe(
      true,
    );
    expect(isSensorRunning(definition(), state({ status: 'STOPPED' }))).toBe(false);
  });
});

describe('poll cadence', () => {
  it('CA-12: the next poll is never sooner than the minimum interval after the last evaluation', () => {
    expect(earliestPollAt(definition(), state(), 30)).toBe(T + 30_000);
    expect(nextPollAt(definition(), state(), T + 10_000)).toBe(T + 30_000);
    expect(nextPollAt(definition(), state(), T + 31_000)).toBe(T + 31_000);
  });

  it('polls a never-evaluated sensor now and rounds due times up to whole seconds', () => {
    expect(nextPollAt(definition(), state({ lastEvaluatedAt: null }), T + 1234)).toBe(T + 1234);
    expect(nextPollAt(definition(), state({ lastEvaluatedAt: T + 400 }), T)).toBe(T + 31_000);
  });

  it('applies the platform floor to an interval below it', () => {
    expect(nextPollAt(definition({ minimumIntervalSeconds: 5 }), state(), T, 30)).toBe(T + 30_000);
    expect(nextPollAt(definition({ minimumIntervalSeconds: 120 }), state(), T, 30)).toBe(T + 120_000);
  });

  it('names a poll timer after its sensor and due second', () => {
    expect(pollTimer('etl:files', T + 30_000)).toEqual({
      timerId: `timer:sensor_poll:etl:files:${(T + 30_000) / 1000}`,
      kind: 'sensor_poll',
      subjectId: 'etl:files',
      fireAt: T + 30_000,
    });
  });
});

describe('run keys', () => {
  it('are scoped to their sensor and read back as the sensor chose them', () => {
    expect(sensorRunKey('etl:files', 'f-1')).toBe('sensor:etl:files:f-1');
    expect(userRunKey('etl:files', 'sensor:etl:files:f-1')).toBe('f-1');
    expect(userRunKey('etl:files', 'sched:etl:daily:1')).toBeNull();
  });
});

describe('evaluation drafts', () => {
  it('records a SUCCESS evaluation and one run request per run key, in one segment', () => {
    const decision = evaluate({
      runRequests: [{ runKey: 'f-1' }, { runKey: 'f-2', partitionKeys: ['2026-01-01'], tags: { team: 'a' } }],
      cursor: 'c2',
    });
    expect(decision.drafts.map((d) => d.type)).toEqual([
      'sensor.evaluated.v1',
      'run.requested.v1',
      'run.requested.v1',
    ]);
    expect(decision.evaluation).toMatchObject({
      evalId: `etl:files:poll:${(T + 30_000) / 1000}`,
      trigger: { kind: 'poll', dueAt: '2026-01-01T00:00:30.000Z' },
      cursorBefore: 'c1',
      cursorAfter: 'c2',
      expectedStateVersion: 4,
      status: 'SUCCESS',
      runKeys: ['sensor:etl:files:f-1', 'sensor:etl:files:f-2'],
    });
    expect(decision.runRequests[1]).toEqual({
      runKey: 'sensor:etl:files:f-2',
      requestFingerprint: requestFingerprint({
        assetSelection: ['raw/orders'],
        partitionKeys: ['2026-01-01'],
      }),
      assetSelection: ['raw/orders'],
      partitionKeys: ['2026-01-01'],
      source: { kind: 'sensor', sensorId: 'etl:files', evalId: decision.evaluation.evalId },
      lane: 'sensor',
      priority: 0,
      tags: { team: 'a', 'dagster/sensor_name': 'files', 'dagster/run_key': 'f-2' },
      singleRun: false,
    });
  });

  it("takes the lane from the definition and the request's own asset selection", () => {
    const decision = evaluationDrafts({
      definition: definition({ lane: 'manual', codeVersion: 'v7' }),
      state: state(),
      trigger: { kind: 'poll', dueAt: T },
      outcome: { kind: 'result', result: { runRequests: [{ runKey: 'k', assetSelection: ['clean'] }] } },
      at: new Date(T),
      maxRunRequests: 100,
    });
    expect(decision.runRequests[0]).toMatchObject({
      lane: 'manual',
      assetSelection: ['clean'],
      codeVersion: 'v7',
    });
  });

  it('keeps the cursor when the result has none, and clears it when the result says null', () => {
    expect(evaluate({ runRequests: [] }).evaluation.cursorAfter).toBe('c1');
    expect(evaluate({ runRequests: [], cursor: null }).evaluation.cursorAfter).toBeNull();
  });

  it('records SKIPPED with the skip reason, or "no new data", when no run is requested', () => {
    expect(evaluate({ skipReason: 'nothing landed' }).evaluation).toMatchObject({
      status: 'SKIPPED',
      skipReason: 'nothing landed',
    });
    expect(evaluate({}).evaluation).toMatchObject({ status: 'SKIPPED', skipReason: 'no new data' });
  });

  it('CA-53: records FAILURE with the error, keeps the cursor and requests nothing when the code throws', () => {
    const decision = evaluate(undefined, {
      outcome: { kind: 'error', error: new TypeError('bucket unreachable') },
    });
    expect(decision.drafts).toHaveLength(1);
    expect(decision.evaluation).toMatchObject({
      status: 'FAILURE',
      cursorAfter: 'c1',
      runKeys: [],
      error: { message: 'bucket unreachable', className: 'TypeError' },
    });
  });

  it('records FAILURE "timed out after …" for a timeout', () => {
    const decision = evaluate(undefined, { outcome: { kind: 'timeout', timeoutMs: 60_000 } });
    expect(decision.evaluation.error?.message).toBe('sensor files evaluation timed out after 60 s');
    expect(decision.evaluation.cursorAfter).toBe('c1');
  });

  it('records FAILURE for a result that does not match the sensor result schema', () => {
    const decision = evaluate({ runRequests: [{ runKey: 'has space' }] });
    expect(decision.evaluation.status).toBe('FAILURE');
    expect(decision.evaluation.error?.message).toMatch(/returned an invalid result: runRequests\.0\.runKey/);
  });

  it('fails an evaluation asking for 101 runs with a clear error, requests nothing and keeps the cursor', () => {
    const runRequests = Array.from({ length: 101 }, (_, i) => ({ runKey: `f-${i}` }));
    const decision = evaluate({ runRequests, cursor: 'c9' });
    expect(decision.drafts).toHaveLength(1);
    expect(decision.evaluation).toMatchObject({ status: 'FAILURE', cursorAfter: 'c1', runKeys: [] });
    expect(decision.evaluation.error?.message).toBe(
      'sensor files asked for 101 runs in one evaluation; at most 100 are allowed, so nothing was requested and the cursor was kept',
    );
    expect(evaluate({ runRequests: runRequests.slice(0, 100) }).runRequests).toHaveLength(100);
  });

  it('collapses identical run requests within one evaluation into the first (Dagster #26753)', () => {
    const decision = evaluate({
      runRequests: [{ runKey: 'f-1' }, { runKey: 'f-1' }, { runKey: 'f-2' }, { runKey: 'f-1' }],
    });
    expect(decision.runRequests.map((r) => r.runKey)).toEqual([
      'sensor:etl:files:f-1',
      'sensor:etl:files:f-2',
    ]);
    expect(decision.evaluation.runKeys).toEqual(['sensor:etl:files:f-1', 'sensor:etl:files:f-2']);
  });

  it('keeps a same-key request with other content so the fold records it as a conflict', () => {
    const decision = evaluate({
      runRequests: [{ runKey: 'f-1' }, { runKey: 'f-1', assetSelection: ['clean'] }],
    });
    expect(decision.runRequests).toHaveLength(2);
    expect(decision.evaluation.runKeys).toEqual(['sensor:etl:files:f-1']);
  });

  it('fails when a request names no assets and the sensor targets none', () => {
    const decision = evaluationDrafts({
      definition: definition({ targetAssets: [] }),
      state: state(),
      trigger: { kind: 'poll', dueAt: T },
      outcome: { kind: 'result', result: { runRequests: [{ runKey: 'k' }] } },
      at: new Date(T),
      maxRunRequests: 100,
    });
    expect(decision.evaluation.error?.message).toBe(
      'run request k names no assets and sensor files has no target assets',
    );
  });

  it('records a push evaluation without a state version and without moving the cursor', () => {
    const decision = evaluate(
      { runRequests: [{ runKey: 'm-1' }], cursor: 'ignored' },
      { trigger: { kind: 'push', messageId: 'm-1' }, definition: definition({ kind: 'push' }) },
    );
    expect(decision.evaluation).toMatchObject({
      evalId: 'etl:files:msg:m-1',
      trigger: { kind: 'push', messageId: 'm-1' },
      cursorAfter: 'c1',
      status: 'SUCCESS',
    });
    expect(decision.evaluation.expectedStateVersion).toBeUndefined();
  });
});

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function envelope(message: Record<string, unknown>) {
  return JSON.stringify({ message, subscription: 'projects/p/subscriptions/s' });
}

describe('push message parsing', () => {
  it('reads a Pub/Sub push envelope: base64 JSON data, attributes, message id and publish time', () => {
    const parsed = parsePushMessage(
      {
        body: envelope({
          data: base64('{"file":"a.csv"}'),
          messageId: '42',
          attributes: { bucket: 'b' },
          publishTime: '2026-01-01T00:00:00Z',
        }),
      },
      1024,
    );
    expect(parsed).toMatchObject({
      ok: true,
      message: {
        messageId: '42',
        data: { file: 'a.csv' },
        attributes: { bucket: 'b' },
        publishTime: '2026-01-01T00:00:00Z',
      },
    });
  });

  it('hands non-JSON Pub/Sub data to the sensor as text, and accepts snake_case ids', () => {
    const parsed = parsePushMessage({ body: envelope({ data: base64('hello'), message_id: '7' }) }, 1024);
    expect(parsed).toMatchObject({ ok: true, message: { messageId: '7', data: 'hello', attributes: {} } });
  });

  it('reads a direct JSON body with its message id from the request or the body', () => {
    expect(
      parsePushMessage({ body: '{"a":1}', messageId: 'm1', attributes: { k: 'v' } }, 1024),
    ).toMatchObject({
      ok: true,
      message: { messageId: 'm1', data: { a: 1 }, attributes: { k: 'v' } },
    });
    expect(parsePushMessage({ body: '{"messageId":"m2"}' }, 1024)).toMatchObject({
      ok: true,
      message: { messageId: 'm2' },
    });
  });

  it.each([
    ['malformed JSON', { body: '{"a":' }, /^malformed JSON: /],
    [
      'bad base64',
      { body: envelope({ data: '***', messageId: '1' }) },
      /^message\.data is not valid base64$/,
    ],
    ['a missing message id', { body: '{"a":1}' }, /^missing message id$/],
    ['a message id with spaces', { body: '{}', messageId: 'a b' }, /^invalid message id/],
    [
      'an envelope without a message',
      { body: '{"subscription":"s"}', pubsubEnvelope: true },
      /^not a Pub\/Sub push envelope/,
    ],
    [
      'non-string attributes',
      { body: envelope({ messageId: '1', attributes: { n: 1 } }) },
      /attributes must map strings/,
    ],
    [
      'a non-JSON content type',
      { body: 'x', contentType: 'text/plain', messageId: 'm' },
      /^unsupported content type text\/plain/,
    ],
    ['invalid UTF-8', { body: new Uint8Array([0xff, 0xfe]), messageId: 'm' }, /^body is not valid UTF-8$/],
  ])('rejects %s with a reason', (_name, input, reason) => {
    const parsed = parsePushMessage(input, 1024);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('rejects an oversize body before reading it', () => {
    const parsed = parsePushMessage({ body: 'x'.repeat(2000), messageId: 'm' }, 1024);
    expect(parsed).toMatchObject({ ok: false, reason: 'payload too large: 2000 bytes, the limit is 1024' });
  });
});
