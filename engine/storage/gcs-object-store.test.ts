import { Socket } from 'node:net';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isServoError } from '../errors.js';
import { type GcsFakeServer, startGcsFakeServer } from './gcs-fake-server.js';
import { createGcsObjectStore } from './gcs-object-store.js';
import { describeObjectStoreConformance } from './object-store.conformance.js';

/** Every TCP connection this test file opens, to prove nothing leaves the machine. */
const connectTargets: string[] = [];
const originalConnect = Socket.prototype.connect;
Socket.prototype.connect = function connect(this: Socket, ...args: unknown[]) {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  const target =
    typeof first === 'object' && first !== null ? (first as { host?: string; port?: number }) : {};
  connectTargets.push(`${target.host ?? 'localhost'}:${target.port ?? first}`);
  return Reflect.apply(originalConnect, this, args) as Socket;
} as typeof originalConnect;

let server: GcsFakeServer;
let storage: Storage;
let bucketCount = 0;

beforeAll(async () => {
  server = await startGcsFakeServer();
  storage = new Storage({ apiEndpoint: server.endpoint, projectId: 'test' });
});
afterAll(async () => {
  await server.close();
  Socket.prototype.connect = originalConnect;
});

describeObjectStoreConformance('gcs object store', async () => {
  bucketCount += 1;
  return {
    store: createGcsObjectStore({ storage, bucket: `conformance-${bucketCount}`, prefix: 'servo/' }),
    cleanup: async () => {},
  };
});

describe('gcs object store specifics', () => {
  it('keeps keys under its prefix and hides the prefix from listed keys', async () => {
    const prefixed = createGcsObjectStore({ storage, bucket: 'shared', prefix: 'one/' });
    const other = createGcsObjectStore({ storage, bucket: 'shared', prefix: 'two/' });
    await prefixed.put('k', Buffer.from('1'));
    await other.put('k', Buffer.from('2'));
    expect((await prefixed.list({ prefix: '' })).objects.map((meta) => meta.key)).toEqual(['k']);
    const whole = createGcsObjectStore({ storage, bucket: 'shared' });
    expect((await whole.list({ prefix: '' })).objects.map((meta) => meta.key)).toEqual(['one/k', 'two/k']);
  });

  it('maps other HTTP errors to a retryable UNAVAILABLE that carries the cause', async () => {
    const noRetry = new Storage({
      apiEndpoint: server.endpoint,
      projectId: 'test',
      retryOptions: { autoRetry: false },
    });
    const store = createGcsObjectStore({ storage: noRetry, bucket: 'failing' });
    server.failNextRequests(503);
    const error = await store.get('any').catch((caught: unknown) => caught);
    expect(isServoError(error, ErrorCode.Unavailable)).toBe(true);
    expect(isServoError(error) && error.retryable).toBe(true);
    expect(isServoError(error) && (error.cause as { code?: number }).code).toBe(503);
  });

  it('treats a generation that is not a GCS generation as a failed precondition', async () => {
    const store = createGcsObjectStore({ storage, bucket: 'foreign-generation' });
    await store.put('k', Buffer.from('x'));
    const error = await store
      .put('k', Buffer.from('y'), { ifGenerationMatch: 'not-a-number' })
      .catch((e) => e);
    expect(isServoError(error, ErrorCode.PreconditionFailed)).toBe(true);
  });

  it('connects to nothing but the local fake server', () => {
    const fake = new URL(server.endpoint);
    expect(connectTargets.length).toBeGreaterThan(0);
    expect(new Set(connectTargets)).toEqual(new Set([`${fake.hostname}:${fake.port}`]));
  });
});
