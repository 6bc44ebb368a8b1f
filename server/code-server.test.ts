import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallbackServerDouble,
  startCallbackServerDouble,
} from '../engine/code-location/http/callback-server-double.js';
import { createHttpCodeLocation, UserCodeError } from '../engine/code-location/http/http-code-location.js';
import { testEnvelope } from '../engine/code-location/in-process/task-callbacks-double.js';
import type { Definitions } from '../engine/code-location/sdk/index.js';
import { ErrorCode, isServoError } from '../engine/errors.js';
import { silentLogger } from '../engine/logging.js';
import { type CodeServer, loadDefinitions, parseCodeServerEnv, startCodeServer } from './code-server.js';

const SECRET = 'code-server-secret-0123456789';
const FIXTURE = 'engine/code-location/sdk/__fixtures__/sales-location.ts';
const sensorContext = { cursor: 'a.csv', lastRunKey: null, now: '2026-01-02T00:00:00.000Z' };
const noSignal = () => new AbortController().signal;

let definitions: Definitions;
let server: CodeServer;
let servo: CallbackServerDouble;

beforeAll(async () => {
  servo = await startCallbackServerDouble();
  definitions = await loadDefinitions(FIXTURE);
  server = await startCodeServer(definitions, {
    port: 0,
    host: '127.0.0.1',
    secret: SECRET,
    logger: silentLogger,
  });
});

afterAll(async () => {
  await server.stop();
  await servo.close();
});

const client = (options: { secret?: string; timeoutMs?: number; name?: string } = {}) =>
  createHttpCodeLocation({
    name: options.name ?? 'sales',
    baseUrl: server.url,
    secret: options.secret ?? SECRET,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });

async function raw(
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'POST',
    headers: { authorization: `Bearer ${SECRET}`, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return { status: response.status, body: (await response.json()) as { error: Record<string, unknown> } };
}

describe('the code server and the HTTP code location', () => {
  it('serve the definitions of the loaded module', async () => {
    expect(await client().describe()).toEqual(definitions.spec);
    expect(definitions.spec.schedules[0]).toMatchObject({
      name: 'nightly',
      executionTimezone: 'Europe/Paris',
    });
    const wrongName = await client({ name: 'finance' })
      .describe()
      .catch((error: unknown) => error);
    expect(isServoError(wrongName, ErrorCode.Config)).toBe(true);
  });

  it('evaluate a poll sensor and handle a push message', async () => {
    expect(await client().evaluateSensor('new_files', sensorContext, noSignal())).toEqual({
      runRequests: [{ runKey: 'file:a.csv', partitionKeys: ['2026-01-01'] }],
      cursor: '2026-01-02T00:00:00.000Z',
      dynamicPartitions: [],
    });
    const message = { messageId: 'm-7', data: { file: 'b.csv' }, attributes: { source: 'gcs' } };
    expect(await client().handleMessage('orders_topic', message, noSignal())).toEqual({
      runRequests: [{ runKey: 'msg:m-7' }],
      dynamicPartitions: [],
    });
  });

  it('answer an error thrown by a sensor with 422, which the client rejects as the user error', async () => {
    const answer = await raw('/sensors/broken/evaluate', { body: JSON.stringify(sensorContext) });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({
      code: 'USER_CODE',
      message: 'cannot read the bucket listing',
      className: 'TypeError',
    });
    expect(answer.body.error.stack).toContain('sales-location.ts');
    const error = await client()
      .evaluateSensor('broken', sensorContext, noSignal())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserCodeError);
    expect(error).toMatchObject({ name: 'TypeError', message: 'cannot read the bucket listing' });
  });

  it('answer a sensor that overruns its timeout with 504, which the client rejects as UNAVAILABLE', async () => {
    const answer = await raw('/sensors/stuck/evaluate', {
      body: JSON.stringify(sensorContext),
      headers: { 'x-servo-timeout-ms': '50' },
    });
    expect(answer.status).toBe(504);
    expect(answer.body.error).toMatchObject({
      code: 'TIMEOUT',
      message: 'sensor stuck did not answer within 50 ms',
    });
    const error = await client({ timeoutMs: 50 })
      .evaluateSensor('stuck', sensorContext, noSignal())
      .catch((e: unknown) => e);
    expect(isServoError(error, ErrorCode.Unavailable)).toBe(true);
    expect((error as Error).message).toBe(
      'code location sales: POST /sensors/stuck/evaluate: sensor stuck did not answer within 50 ms',
    );
  });

  it('reject a missing or wrong secret with 401', async () => {
    const missing = await fetch(`${server.url}/definitions`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await raw('/definitions', {
      method: 'GET',
      headers: { authorization: 'Bearer not-the-secret' },
    });
    expect(wrong.status).toBe(401);
    const error = await client({ secret: 'not-the-secret' })
      .describe()
      .catch((e: unknown) => e);
    expect(isServoError(error, ErrorCode.Unauthorized)).toBe(true);
  });

  it('reject invalid JSON, unknown sensors and routes, and oversized bodies', async () => {
    const invalid = await raw('/sensors/new_files/evaluate', { body: '{"cursor":' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/^the body is not valid JSON/);
    expect((await raw('/sensors/new_files/evaluate', { body: '{"cursor":null}' })).status).toBe(400);
    expect((await raw('/sensors/nope/evaluate', { body: JSON.stringify(sensorContext) })).status).toBe(404);
    expect(
      (await raw('/sensors/orders_topic/evaluate', { body: JSON.stringify(sensorContext) })).status,
    ).toBe(400);
    expect((await raw('/tasks/execute', { method: 'GET' })).status).toBe(405);
    expect((await raw('/elsewhere', { method: 'GET' })).status).toBe(404);
    expect((await raw('/tasks/execute', { body: 'x'.repeat(5 * 1024 * 1024) })).status).toBe(413);
    const unknown = await client()
      .evaluateSensor('nope', sensorContext, noSignal())
      .catch((e: unknown) => e);
    expect(isServoError(unknown, ErrorCode.NotFound)).toBe(true);
  });

  it('accept a dispatch, run it in the background and report through the callbacks with the task token', async () => {
    const envelope = testEnvelope({
      callbackBaseUrl: servo.url,
      partitionKeys: ['2026-01-01'],
      dispatchId: 'dispatch:run_abc:sales/orders:1',
    });
    await client().execute(envelope, noSignal());
    await client().execute(envelope, noSignal());
    await servo.waitFor('/tasks/finished');
    await server.location.drain();
    const calls = servo.requests.filter(
      (request) => (request.body as { runId?: string }).runId === 'run_abc',
    );
    expect(calls.map((call) => call.path)).toEqual([
      '/servo/tasks/started',
      '/servo/tasks/heartbeat',
      '/servo/tasks/finished',
    ]);
    expect(calls.every((call) => call.authorization === `Bearer ${envelope.taskToken}`)).toBe(true);
    expect(calls[1]?.body).toMatchObject({ attemptId: 'att_0001', message: 'halfway' });
    expect(calls[2]?.body).toMatchObject({
      runId: 'run_abc',
      taskKey: 'sales/orders',
      attempt: 1,
      outcome: 'SUCCEEDED',
      metadata: { rows: 42 },
      logs: expect.stringContaining('INFO copying orders {"partition":"2026-01-01"}'),
    });
  });

  it('report a NonRetryableError as a failure not to retry', async () => {
    const envelope = testEnvelope({
      callbackBaseUrl: servo.url,
      runId: 'run_refunds',
      assetKey: 'sales/refunds',
      taskKey: 'sales/refunds',
      dispatchId: 'dispatch:run_refunds:sales/refunds:1',
    });
    await client().execute(envelope, noSignal());
    await server.location.drain();
    const finished = servo.requests.find(
      (request) =>
        request.path.endsWith('/finished') && (request.body as { runId: string }).runId === 'run_refunds',
    );
    expect(finished?.body).toMatchObject({
      outcome: 'FAILED',
      error: { message: 'the refunds export is empty', className: 'NonRetryableError', retryable: false },
    });
  });

  it('refuse an invalid dispatch envelope with 400', async () => {
    const error = await client()
      .execute(testEnvelope({ codeLocation: 'finance' }), noSignal())
      .catch((e: unknown) => e);
    expect(isServoError(error, ErrorCode.InvalidInput)).toBe(true);
    expect((error as Error).message).toMatch(/this is code location sales, not finance/);
  });
});

describe('starting a code server', () => {
  it('refuses to listen beyond loopback without a secret', async () => {
    const error = await startCodeServer(definitions, {
      port: 0,
      host: '0.0.0.0',
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(isServoError(error, ErrorCode.Config)).toBe(true);
    expect((error as Error).message).toMatch(/without SERVO_CODE_SERVER_SECRET/);
  });

  it('reads PORT, SERVO_HOST and SERVO_CODE_SERVER_SECRET with defaults', () => {
    expect(parseCodeServerEnv({})).toEqual({
      port: 4100,
      host: '127.0.0.1',
      secret: undefined,
      logLevel: 'info',
    });
    expect(() => parseCodeServerEnv({ PORT: 'x', SERVO_CODE_SERVER_SECRET: 'short' })).toThrow(
      /PORT: .*\n.*SERVO_CODE_SERVER_SECRET: must be at least 16 characters/,
    );
  });

  it('refuses a module that exports no definitions', async () => {
    const error = await loadDefinitions('engine/code-location/sdk/parse-spec.ts').catch((e: unknown) => e);
    expect(isServoError(error, ErrorCode.Config)).toBe(true);
    expect((error as Error).message).toMatch(/exports no definitions/);
  });
});
