/**
 * How the fake Cloud Tasks server plays the dispatcher (see `startFakeCloudTasksServer`): one due task
 * POSTed to its loopback URL the way Cloud Tasks sends it, retried at once on a non-2xx answer or no
 * answer, up to the task's attempt budget.
 */

/** A task as the fake stores it. */
export interface FakeCloudTask {
  name: string;
  queuePath: string;
  taskId: string;
  url: string;
  httpMethod: string;
  headers: Record<string, string>;
  body: Buffer;
  oidc: { serviceAccountEmail: string; audience: string } | undefined;
  scheduleTime: number;
  createTime: number;
  /** Undefined when the task left it to Cloud Tasks' default (10 minutes). */
  dispatchDeadlineSeconds: number | undefined;
  dispatchCount: number;
  responseCount: number;
}

export interface FakeDelivery {
  taskName: string;
  url: string;
  outcome: 'delivered' | 'dropped';
  attempts: number;
  /** The last HTTP status, or undefined when the last attempt got no answer. */
  status: number | undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Attempts `task` until its endpoint answers 2xx or `task.dispatchCount` reaches `maxAttempts`,
 * updating its counters. The caller retires the task afterwards, whatever the outcome.
 */
export async function deliverTask(
  task: FakeCloudTask,
  at: number,
  maxAttempts: number,
): Promise<FakeDelivery> {
  const target = new URL(task.url);
  if (!LOOPBACK_HOSTS.has(target.hostname)) {
    throw new Error(`fake Cloud Tasks delivers to loopback addresses only, not ${task.url}`);
  }
  let status: number | undefined;
  while (task.dispatchCount < maxAttempts) {
    const headers: Record<string, string> = {
      ...task.headers,
      'User-Agent': 'Google-Cloud-Tasks',
      'X-CloudTasks-QueueName': task.queuePath.slice(task.queuePath.lastIndexOf('/') + 1),
      'X-CloudTasks-TaskName': task.taskId,
      'X-CloudTasks-TaskRetryCount': String(task.dispatchCount),
      'X-CloudTasks-TaskExecutionCount': String(task.responseCount),
      'X-CloudTasks-TaskETA': (task.scheduleTime / 1000).toFixed(3),
    };
    if (task.oidc !== undefined) headers.Authorization = `Bearer ${fakeIdToken(task.oidc, task.url, at)}`;
    task.dispatchCount += 1;
    try {
      const response = await fetch(task.url, {
        method: task.httpMethod,
        headers,
        body:
          ['POST', 'PUT', 'PATCH'].includes(task.httpMethod) && task.body !== undefined
            ? new Uint8Array(task.body)
            : undefined,
        signal: AbortSignal.timeout((task.dispatchDeadlineSeconds ?? 600) * 1000),
      });
      await response.arrayBuffer();
      status = response.status;
      task.responseCount += 1;
      if (status >= 200 && status < 300) {
        return {
          taskName: task.name,
          url: task.url,
          outcome: 'delivered',
          attempts: task.dispatchCount,
          status,
        };
      }
    } catch {
      status = undefined;
    }
  }
  return { taskName: task.name, url: task.url, outcome: 'dropped', attempts: task.dispatchCount, status };
}

/**
 * The stand-in for Cloud Tasks' Google-signed OIDC token: a JWT with `alg: none` and the claims a
 * real one carries (`iss`, `aud` = audience or URL, `email`, `iat`, `exp`). Verifiers must reject it.
 */
export function fakeIdToken(
  oidc: { serviceAccountEmail: string; audience: string },
  url: string,
  at: number,
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(at / 1000);
  const claims = {
    iss: 'https://accounts.google.com',
    aud: oidc.audience === '' ? url : oidc.audience,
    email: oidc.serviceAccountEmail,
    email_verified: true,
    sub: oidc.serviceAccountEmail,
    iat,
    exp: iat + 3600,
  };
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}
