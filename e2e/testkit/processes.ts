import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (e2e tests run the real entrypoints from it). */
export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** Everything a test started, stopped in `disposeAll` (call it in `afterAll`). */
const leftovers: (() => Promise<void>)[] = [];

export async function disposeAll(): Promise<void> {
  for (const dispose of leftovers.splice(0).reverse()) await dispose().catch(() => {});
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `servo-e2e-${prefix}-`));
  leftovers.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node --import tsx <entrypoint> …args` from the repository root with the given environment,
 * registered for disposal. Output is kept for diagnostics.
 */
export function startProcess(
  entrypoint: string,
  args: string[],
  env: Record<string, string>,
): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entrypoint), ...args], {
    cwd: ROOT,
    env: { ...process.env, SERVO_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timeout);
  };
  leftovers.push(stop);
  return { child, output: () => output, stop };
}

/**
 * Runs a shell-level command as a user would type it (e.g. `npm start`) in its own process group,
 * so stopping it stops everything it started. Registered for disposal; output kept.
 */
export function startCommand(command: string, args: string[], env: Record<string, string>): RunningProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    signalGroup('SIGTERM');
    const timeout = setTimeout(() => signalGroup('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timeout);
  };
  leftovers.push(stop);
  return { child, output: () => output, stop };
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  diagnostics?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}${diagnostics === undefined ? '' : `\n--- output ---\n${diagnostics().slice(-4000)}`}`,
  );
}

/** Waits until every base URL answers `GET /healthz` with 200 (60 s at most). */
export async function waitUntilHealthy(urls: readonly string[], diagnostics?: () => string): Promise<void> {
  for (const url of urls) {
    await waitFor(
      `${url} to be ready`,
      async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined),
      60_000,
      diagnostics,
    );
  }
}

/** A worker (`workers/automation.ts`) and an api (`workers/api.ts`) on one configuration, both ready. */
export async function startWorkerAndApi(shared: Record<string, string>): Promise<{
  workerUrl: string;
  apiUrl: string;
  diagnostics: () => string;
}> {
  const [workerPort, apiPort] = [await freePort(), await freePort()];
  const worker = startProcess('workers/automation.ts', [], { ...shared, PORT: String(workerPort) });
  const api = startProcess('workers/api.ts', [], { ...shared, PORT: String(apiPort) });
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const diagnostics = () =>
    `--- api ---\n${api.output().slice(-3000)}\n--- worker ---\n${worker.output().slice(-3000)}`;
  await waitUntilHealthy([workerUrl, apiUrl], diagnostics);
  return { workerUrl, apiUrl, diagnostics };
}

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
