import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../../errors.js';
import {
  type CallbackAnswer,
  type CallbackServerDouble,
  startCallbackServerDouble,
} from './callback-server-double.js';
import { createHttpTaskCallbacksClient } from './task-callbacks-client.js';

const token = 'task-token-0123456789abcdef';
const ref = { runId: 'run_abc', taskKey: 'orders', attempt: 1, attemptId: 'att_1', workerId: 'w' };
let server: CallbackServerDouble | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientAnswering(answer?: (nth: number) => CallbackAnswer) {
  server = await startCallbackServerDouble(answer === undefined ? undefined : (_request, nth) => answer(nth));
  return createHttpTaskCallbacksClient({
    baseUrl: server.url,
    retryForMs: 2000,
    initialBackoffMs: 5,
    maxBackoffMs: 20,
  });
}

describe('createHttpTaskCallbacksClient', () => {
  it('posts each callback under the base URL with the task token as bearer', async () => {
    const client = await clientAnswering();
    expect(await client.started(token, ref)).toMatchObject({ acknowledged: true, shouldCancel: false });
    await client.heartbeat(token, { ...ref, sequence: 1 });
    await client.finished(token, { ...ref, outcome: 'SUCCEEDED' });
    expect(server?.requests).toEqual([
      { path: '/servo/tasks/started', authorization: `Bearer ${token}`, body: ref },
      { path: '/servo/tasks/heartbeat', authorization: `Bearer ${token}`, body: { ...ref, sequence: 1 } },
      {
        path: '/servo/tasks/finished',
        authorization: `Bearer ${token}`,
        body: { ...ref, outcome: 'SUCCEEDED' },
      },
    ]);
  });

  it('retries server errors and rate limits until an answer comes', async () => {
    const client = await clientAnswering((nth) =>
      nth === 1
        ? { status: 503 }
        : nth === 2
          ? { status: 429, headers: { 'retry-after': '0' } }
          : { status: 200 },
    );
    expect(await client.started(token, ref)).toMatchObject({ acknowledged: true });
    expect(server?.requests).toHaveLength(3);
  });

  it('treats 409 and 401 as final answers', async () => {
    const client = await clientAnswering((nth) =>
      nth === 1
        ? { status: 409, body: { error: 'attempt_mismatch', message: 'attempt 1 is not current' } }
        : { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'token expired' } } },
    );
    const conflict = await client.started(token, ref).catch((error: unknown) => error);
    expect(isServoError(conflict, ErrorCode.IllegalState)).toBe(true);
    expect((conflict as Error).message).toBe('/tasks/started answered 409: attempt 1 is not current');
    const unauthorized = await client
      .finished(token, { ...ref, outcome: 'FAILED' })
      .catch((error: unknown) => error);
    expect(isServoError(unauthorized, ErrorCode.Unauthorized)).toBe(true);
    expect(server?.requests).toHaveLength(2);
  });

  it('gives up after its retry budget with a retryable UNAVAILABLE', async () => {
    const client = createHttpTaskCallbacksClient({
      baseUrl: 'http://127.0.0.1:9/servo',
      retryForMs: 50,
      initialBackoffMs: 5,
      maxBackoffMs: 10,
    });
    const error = await client.heartbeat(token, { ...ref, sequence: 1 }).catch((failure: unknown) => failure);
    expect(isServoError(error, ErrorCode.Unavailable)).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect((error as Error).message).toMatch(/^task callback failed after \d+ tries: \/tasks\/heartbeat: /);
  });
});
