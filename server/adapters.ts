import { join, resolve } from 'node:path';
import type { CloudTasksClient, protos } from '@google-cloud/tasks';
import type { Clock } from '../engine/clock.js';
import { createCloudTasksDispatchQueue } from '../engine/cloud-tasks/cloud-tasks-dispatch-queue.js';
import { createCloudTasksTimerQueue } from '../engine/cloud-tasks/cloud-tasks-timer-queue.js';
import type { TaskCreator } from '../engine/cloud-tasks/http-task.js';
import type { CloudTasksSettings } from '../engine/config/distributed-env.js';
import { EnvKeys, type ServoEnv } from '../engine/config/env.js';
import { createDirectDispatchQueue, type DispatchQueue } from '../engine/dispatch/dispatch-queue.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import {
  createLocalTenantSecrets,
  createStaticTenantSecrets,
  type TenantSecrets,
} from '../engine/secrets.js';
import { createGcsObjectStore } from '../engine/storage/gcs-object-store.js';
import { createLocalDiskObjectStore } from '../engine/storage/local-disk-object-store.js';
import { watchLocalDiskPrefix } from '../engine/storage/local-disk-watch.js';
import type { ObjectStore } from '../engine/storage/object-store.js';
import type { TimerQueue } from '../engine/timers/timer-queue.js';
import type { LoadedCodeLocation } from './code-locations.js';
import { WORKER_SECRET_HEADER } from './worker-auth.js';

/**
 * The adapters the environment asks for, built in one place: storage (local disk or a GCS
 * bucket), tenant secrets, the Cloud Tasks timer and dispatch queues. Google's client libraries are
 * loaded only when configured, and the Cloud Tasks client only at its first call, so a process that
 * does not use them does not pay for loading them at start-up.
 */

export interface Storage {
  store: ObjectStore;
  secrets: TenantSecrets;
  /** Where the objects are, for the start-up log. */
  location: string;
  /**
   * Calls `onChange` soon after an object under `prefix` is written by any process, where the store
   * can tell (local disk); undefined for stores that can only be polled.
   */
  watch: ((prefix: string, onChange: () => void) => () => void) | undefined;
}

export async function openStorage(env: ServoEnv): Promise<Storage> {
  const settings = env.distributed.storage;
  if (settings.kind === 'local') {
    const dataDir = resolve(env.dataDir);
    const root = join(dataDir, 'store');
    return {
      store: createLocalDiskObjectStore(root),
      secrets:
        env.tenantSecrets === undefined
          ? createLocalTenantSecrets(join(dataDir, 'secrets'))
          : createStaticTenantSecrets(env.tenantSecrets),
      location: root,
      watch: (prefix, onChange) => watchLocalDiskPrefix(root, prefix, onChange),
    };
  }
  if (env.tenantSecrets === undefined) {
    throw new ServoError(
      ErrorCode.Config,
      `${EnvKeys.tenantSecrets} is required with ${EnvKeys.storage}=gcs: every process that folds a tenant's ledger must derive run ids from the same secret`,
    );
  }
  const { Storage: GcsClient } = await import('@google-cloud/storage');
  const client =
    settings.apiEndpoint === undefined
      ? new GcsClient()
      : new GcsClient({ apiEndpoint: settings.apiEndpoint, projectId: 'servo' });
  return {
    store: createGcsObjectStore({ storage: client, bucket: settings.bucket, prefix: settings.prefix }),
    secrets: createStaticTenantSecrets(env.tenantSecrets),
    location: `gs://${settings.bucket}/${settings.prefix}`,
    watch: undefined,
  };
}

/** A Cloud Tasks client created at its first call; `close()` releases its channel. */
export interface LazyCloudTasks extends TaskCreator {
  close(): Promise<void>;
}

export function lazyCloudTasksClient(settings: CloudTasksSettings): LazyCloudTasks {
  let client: Promise<CloudTasksClient> | undefined;
  const connect = async (): Promise<CloudTasksClient> => {
    const { CloudTasksClient: Client } = await import('@google-cloud/tasks');
    if (settings.apiEndpoint === undefined) return new Client({ projectId: settings.project });
    // A stand-in of the API (tests): plaintext gRPC, no credentials, no metadata-server probe.
    const grpc = await import('@grpc/grpc-js');
    const [host, port] = settings.apiEndpoint.split(':');
    return new Client({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
      projectId: settings.project,
      universeDomain: 'googleapis.com',
    });
  };
  // The queues call the promise form with the request alone.
  const createTask = (async (request: protos.google.cloud.tasks.v2.ICreateTaskRequest) => {
    client ??= connect();
    return (await client).createTask(request);
  }) as TaskCreator['createTask'];
  return {
    createTask,
    async close() {
      if (client !== undefined) await (await client).close();
    },
  };
}

export function queuePath(settings: CloudTasksSettings, queue: string): string {
  return `projects/${settings.project}/locations/${settings.location}/queues/${queue}`;
}

/**
 * The Cloud Tasks timer queue: timers become HTTP tasks to the timer-ingest endpoint, carrying the
 * caller credentials timer-ingest checks (an OIDC token, the worker secret header, or both).
 */
export function cloudTasksTimerQueue(env: ServoEnv, client: TaskCreator, clock: Clock): TimerQueue {
  const { timers, cloudTasks, workerSecret } = env.distributed;
  if (timers.kind !== 'cloud-tasks' || cloudTasks === undefined) {
    throw new ServoError(ErrorCode.Config, `${EnvKeys.timers} is not cloud-tasks`);
  }
  return createCloudTasksTimerQueue({
    client,
    queuePath: queuePath(cloudTasks, timers.queue),
    targetUrl: timers.ingestUrl,
    clock,
    ...(cloudTasks.oidc === undefined
      ? {}
      : {
          oidc: {
            serviceAccountEmail: cloudTasks.oidc.serviceAccountEmail,
            ...(cloudTasks.oidc.audience === undefined ? {} : { audience: cloudTasks.oidc.audience }),
          },
        }),
    ...(workerSecret === undefined ? {} : { headers: { [WORKER_SECRET_HEADER]: workerSecret } }),
  });
}

/**
 * Where task attempts go: straight to the code location (direct), or through the Cloud Tasks
 * dispatch queue to the `/tasks/execute` endpoint of each HTTP code location, with its secret.
 */
export function dispatchQueueFor(
  env: ServoEnv,
  locations: readonly LoadedCodeLocation[],
  client: () => TaskCreator,
): DispatchQueue {
  const byName = new Map(locations.map((location) => [location.name, location]));
  const { dispatch, cloudTasks } = env.distributed;
  if (dispatch.kind === 'direct' || cloudTasks === undefined) {
    return createDirectDispatchQueue({ executorFor: (name) => byName.get(name) });
  }
  const remote = new Map<string, { url: string; secret: string | undefined }>();
  for (const config of env.codeLocations) {
    if ('module' in config) {
      throw new ServoError(
        ErrorCode.Config,
        `${EnvKeys.dispatch}=cloud-tasks delivers tasks over HTTP: configure every code location in ${EnvKeys.codeLocations} as {"name", "url", "secret"}, not as a module (${config.module})`,
      );
    }
    remote.set(config.name, { url: config.url.replace(/\/+$/, ''), secret: config.secret });
  }
  return createCloudTasksDispatchQueue({
    client: client(),
    queuePath: queuePath(cloudTasks, dispatch.queue),
    targetUrlFor: (name) => {
      const location = remote.get(name);
      return location === undefined ? undefined : `${location.url}/tasks/execute`;
    },
    headersFor: (name) => {
      const secret = remote.get(name)?.secret;
      return secret === undefined ? undefined : { Authorization: `Bearer ${secret}` };
    },
  });
}
