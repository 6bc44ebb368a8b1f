import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CloudTasksClient } from '@google-cloud/tasks';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { deliverTask, type FakeCloudTask, type FakeDelivery } from './fake-cloud-tasks-delivery.js';

export type { FakeCloudTask, FakeDelivery } from './fake-cloud-tasks-delivery.js';
export { fakeIdToken } from './fake-cloud-tasks-delivery.js';

/**
 * A test stand-in for the Cloud Tasks API: an in-process gRPC server built from the protos that ship
 * with `@google-cloud/tasks`, so the real `CloudTasksClient` talks to it over a loopback socket (no
 * emulator exists). `createClient()` returns a client configured so that it never looks for Google
 * credentials or the GCE metadata server.
 *
 * Implemented (google.cloud.tasks.v2, HTTP tasks only): CreateTask — explicit or generated names,
 * `ALREADY_EXISTS` for a name that exists or ran or was deleted within the dedupe window (1 h, as for
 * queues created through the API), Cloud Tasks' checks (name format, http(s) URL, schedule time at
 * most 30 days ahead, dispatch deadline 15 s–30 min, no body on GET/HEAD/DELETE/OPTIONS), past or
 * missing schedule times set to now; GetTask, ListTasks (name order, `pageSize`, `pageToken`) and
 * DeleteTask. The BASIC view (the default) leaves out the HTTP body, FULL includes it. Queues exist
 * on first use. Other RPCs answer UNIMPLEMENTED.
 *
 * `deliverDue()` plays the dispatcher: it POSTs every due task to its URL (loopback only) with its
 * headers, the `X-CloudTasks-*` headers and, for OIDC tasks, an unsigned stand-in ID token; a 2xx
 * answer completes the task, anything else is retried at once up to `maxAttempts`, after which the
 * task is dropped as Cloud Tasks drops a task whose retries are exhausted.
 */
export interface FakeCloudTasksServer {
  readonly port: number;
  /** A real `CloudTasksClient` connected to this server; closed by `close()`. */
  createClient(): CloudTasksClient;
  /** The stored tasks, of one queue or all, by schedule time then name. */
  tasks(queuePath?: string): FakeCloudTask[];
  /** Every RPC received, with its request metadata (to check what the client sends). */
  calls(): readonly FakeCall[];
  /** Fails the next `count` RPCs with this gRPC status code. */
  failNextCalls(code: grpc.status, count?: number, message?: string): void;
  /** Forgets every task, taken name, recorded call and pending failure. */
  reset(): void;
  /** Delivers every task whose schedule time is ≤ `now` (default: the server's clock), including tasks created meanwhile. */
  deliverDue(options?: { now?: number; maxAttempts?: number }): Promise<FakeDelivery[]>;
  close(): Promise<void>;
}

export interface FakeCloudTasksServerOptions {
  /** The server's clock (epoch ms): create times, schedule limits, dedupe window. Default `Date.now`. */
  now?: () => number;
  /** How long a run or deleted task's name stays taken. Default 1 hour. */
  dedupeWindowMs?: number;
}

export interface FakeCall {
  method: string;
  metadata: Record<string, string>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_SCHEDULE_AHEAD_MS = 30 * DAY_MS;
const QUEUE_PATH = /^projects\/[A-Za-z0-9.:-]+\/locations\/[A-Za-z0-9-]+\/queues\/[A-Za-z0-9-]{1,100}$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;
const MAX_DELIVERIES_PER_CALL = 10_000;

interface WireTime {
  seconds?: string;
  nanos?: number;
}
interface WireTask {
  name?: string;
  httpRequest?: {
    url?: string;
    httpMethod?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    oidcToken?: { serviceAccountEmail?: string; audience?: string };
  };
  appEngineHttpRequest?: unknown;
  scheduleTime?: WireTime;
  dispatchDeadline?: WireTime;
}
interface TaskRequest {
  parent?: string;
  name?: string;
  task?: WireTask;
  responseView?: string;
  pageSize?: number;
  pageToken?: string;
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

let servicePromise: Promise<grpc.ServiceDefinition> | undefined;

/** The CloudTasks service definition, loaded once from the client package's own protos. */
function loadService(): Promise<grpc.ServiceDefinition> {
  servicePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const tasksEntry = require.resolve('@google-cloud/tasks'); // …/build/cjs/src/index.cjs
    const gaxEntry = createRequire(tasksEntry).resolve('google-gax'); // …/build/src/index.js
    const definition = await protoLoader.load('google/cloud/tasks/v2/cloudtasks.proto', {
      includeDirs: [join(dirname(tasksEntry), '../../protos'), join(dirname(gaxEntry), '../protos')],
      keepCase: false,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    });
    return definition['google.cloud.tasks.v2.CloudTasks'] as grpc.ServiceDefinition;
  })();
  return servicePromise;
}

export async function startFakeCloudTasksServer(
  options: FakeCloudTasksServerOptions = {},
): Promise<FakeCloudTasksServer> {
  const now = options.now ?? Date.now;
  const dedupeWindowMs = options.dedupeWindowMs ?? 60 * 60 * 1000;
  const stored = new Map<string, FakeCloudTask>();
  const tombstones = new Map<string, number>();
  const received: FakeCall[] = [];
  const clients: CloudTasksClient[] = [];
  let failures: { code: grpc.status; remaining: number; message: string } | undefined;
  let generated = 0;

  const retire = (task: FakeCloudTask, at: number) => {
    stored.delete(task.name);
    tombstones.set(task.name, at + dedupeWindowMs);
  };

  const handlers = {
    createTask(request: TaskRequest) {
      const parent = queuePathOf(request.parent);
      const task = request.task;
      if (task === undefined) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'task is required');
      if (task.httpRequest === undefined) {
        throw new RpcError(grpc.status.UNIMPLEMENTED, 'the fake supports HTTP tasks only');
      }
      const { url = '', httpMethod = 'POST', headers = {}, body = Buffer.alloc(0) } = task.httpRequest;
      if (!/^https?:\/\//.test(url)) {
        throw new RpcError(
          grpc.status.INVALID_ARGUMENT,
          'HttpRequest.url must begin with http:// or https://',
        );
      }
      if (body.byteLength > 0 && !['POST', 'PUT', 'PATCH'].includes(httpMethod)) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `a body is not allowed with ${httpMethod}`);
      }
      const at = now();
      let name = task.name ?? '';
      if (name === '') {
        generated += 1;
        name = `${parent}/tasks/${String(at)}${String(generated).padStart(6, '0')}`;
      }
      const taskId = name.startsWith(`${parent}/tasks/`) ? name.slice(parent.length + 7) : '';
      if (!TASK_ID.test(taskId)) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `task name ${name} is not a task of ${parent}`);
      }
      const requested = task.scheduleTime === undefined ? undefined : millisOf(task.scheduleTime);
      if (requested !== undefined && requested > at + MAX_SCHEDULE_AHEAD_MS) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, 'The scheduled time must be within 30 days of now');
      }
      const deadline =
        task.dispatchDeadline === undefined ? undefined : millisOf(task.dispatchDeadline) / 1000;
      if (deadline !== undefined && (deadline < 15 || deadline > 1800)) {
        throw new RpcError(
          grpc.status.INVALID_ARGUMENT,
          'dispatch_deadline must be between 15 seconds and 30 minutes',
        );
      }
      const tombstone = tombstones.get(name);
      if (stored.has(name) || (tombstone !== undefined && tombstone > at)) {
        throw new RpcError(grpc.status.ALREADY_EXISTS, 'Requested entity already exists');
      }
      const oidc = task.httpRequest.oidcToken;
      const created: FakeCloudTask = {
        name,
        queuePath: parent,
        taskId,
        url,
        httpMethod,
        headers: { ...headers },
        body: Buffer.from(body),
        oidc:
          oidc === undefined
            ? undefined
            : { serviceAccountEmail: oidc.serviceAccountEmail ?? '', audience: oidc.audience ?? '' },
        scheduleTime: requested === undefined || requested < at ? at : requested,
        createTime: at,
        dispatchDeadlineSeconds: deadline,
        dispatchCount: 0,
        responseCount: 0,
      };
      stored.set(name, created);
      return toWire(created, request.responseView);
    },
    getTask(request: TaskRequest) {
      return toWire(existing(request.name), request.responseView);
    },
    listTasks(request: TaskRequest) {
      const parent = queuePathOf(request.parent);
      const pageSize = Math.min(request.pageSize || 1000, 1000);
      const after = request.pageToken ?? '';
      const names = [...stored.values()]
        .filter((task) => task.queuePath === parent && task.name > after)
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const page = names.slice(0, pageSize);
      const more = names.length > pageSize;
      return {
        tasks: page.map((task) => toWire(task, request.responseView)),
        nextPageToken: more ? (page[page.length - 1]?.name ?? '') : '',
      };
    },
    deleteTask(request: TaskRequest) {
      retire(existing(request.name), now());
      return {};
    },
  };

  function existing(name: string | undefined): FakeCloudTask {
    const task = stored.get(name ?? '');
    if (task === undefined) throw new RpcError(grpc.status.NOT_FOUND, `task ${name ?? ''} does not exist`);
    return task;
  }

  const server = new grpc.Server();
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const rpc = method.charAt(0).toUpperCase() + method.slice(1);
    implementation[method] = ((
      call: grpc.ServerUnaryCall<TaskRequest, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      received.push({ method: rpc, metadata: flattenMetadata(call.metadata) });
      try {
        if (failures !== undefined && failures.remaining > 0) {
          failures.remaining -= 1;
          throw new RpcError(failures.code, failures.message);
        }
        callback(null, handler(call.request));
      } catch (error) {
        const code = error instanceof RpcError ? error.code : grpc.status.INTERNAL;
        const message = error instanceof Error ? error.message : String(error);
        callback(Object.assign(new Error(message), { code, details: message }));
      }
    }) as grpc.UntypedHandleCall;
  }
  server.addService(await loadService(), implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });

  return {
    port,
    createClient() {
      const client = new CloudTasksClient({
        apiEndpoint: '127.0.0.1',
        port,
        sslCreds: grpc.credentials.createInsecure(),
        projectId: 'servo-test',
        // Without it the client asks the auth library for the universe domain, which probes the GCE metadata server.
        universeDomain: 'googleapis.com',
      });
      clients.push(client);
      return client;
    },
    tasks(queuePath) {
      return [...stored.values()]
        .filter((task) => queuePath === undefined || task.queuePath === queuePath)
        .sort(byDueOrder)
        .map((task) => ({ ...task, headers: { ...task.headers }, body: Buffer.from(task.body) }));
    },
    calls: () => received,
    failNextCalls(code, count = 1, message = `injected failure (code ${code})`) {
      failures = { code, remaining: count, message };
    },
    reset() {
      stored.clear();
      tombstones.clear();
      received.length = 0;
      failures = undefined;
    },
    async deliverDue({ now: at = now(), maxAttempts = 5 } = {}) {
      const deliveries: FakeDelivery[] = [];
      while (deliveries.length < MAX_DELIVERIES_PER_CALL) {
        const next = [...stored.values()].filter((task) => task.scheduleTime <= at).sort(byDueOrder)[0];
        if (next === undefined) return deliveries;
        const delivery = await deliverTask(next, at, maxAttempts);
        retire(next, at);
        deliveries.push(delivery);
      }
      throw new Error(
        `fake Cloud Tasks: over ${MAX_DELIVERIES_PER_CALL} deliveries in one call; a handler keeps creating due tasks`,
      );
    },
    async close() {
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

function queuePathOf(parent: string | undefined): string {
  if (parent === undefined || !QUEUE_PATH.test(parent)) {
    throw new RpcError(grpc.status.INVALID_ARGUMENT, `parent ${parent ?? ''} is not a queue name`);
  }
  return parent;
}

function millisOf(time: WireTime): number {
  return Number(time.seconds ?? '0') * 1000 + Math.floor((time.nanos ?? 0) / 1_000_000);
}

function wireTime(epochMs: number): WireTime {
  const seconds = Math.floor(epochMs / 1000);
  return { seconds: String(seconds), nanos: (epochMs - seconds * 1000) * 1_000_000 };
}

function toWire(task: FakeCloudTask, view: string | undefined): WireTask & Record<string, unknown> {
  const full = view === 'FULL';
  return {
    name: task.name,
    httpRequest: {
      url: task.url,
      httpMethod: task.httpMethod,
      headers: task.headers,
      ...(full ? { body: task.body } : {}),
      ...(task.oidc === undefined ? {} : { oidcToken: task.oidc }),
    },
    scheduleTime: wireTime(task.scheduleTime),
    createTime: wireTime(Math.floor(task.createTime / 1000) * 1000),
    ...(task.dispatchDeadlineSeconds === undefined
      ? {}
      : { dispatchDeadline: wireTime(task.dispatchDeadlineSeconds * 1000) }),
    dispatchCount: task.dispatchCount,
    responseCount: task.responseCount,
    view: full ? 'FULL' : 'BASIC',
  };
}

function flattenMetadata(metadata: grpc.Metadata): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) flat[key] = String(value);
  return flat;
}

function byDueOrder(a: FakeCloudTask, b: FakeCloudTask): number {
  return a.scheduleTime - b.scheduleTime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
