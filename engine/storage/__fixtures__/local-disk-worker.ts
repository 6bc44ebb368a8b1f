/**
 * A separate OS process for the local-disk store's multi-process tests, run with
 * `node --import tsx local-disk-worker.ts <mode> <rootDir> <key> [arg]`.
 *
 * It prints `ready`, waits for `go` on stdin (so that every worker starts its race at the same
 * moment), does its part and prints one JSON result line. Modes:
 * - `create <label>`: one create-only put; `{ "outcome": "created" | "PRECONDITION_FAILED" }`.
 * - `increment <count>`: `count` compare-and-swap increments of a JSON counter, retrying lost races;
 *   `{ "outcome": "done", "retries": n }`.
 * - `hold-lock`: takes the key's lock file, prints `{ "outcome": "locked" }` and never releases it.
 * - `write-loop <bytes>`: overwrites the key with bodies of one repeated byte value, forever,
 *   printing `{ "outcome": "writing" }` after the first write.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, isServoError } from '../../errors.js';
import { acquireFileLock } from '../file-lock.js';
import { keyPaths } from '../local-disk-layout.js';
import { createLocalDiskObjectStore } from '../local-disk-object-store.js';

const [mode, rootDir, key, arg] = process.argv.slice(2);
if (mode === undefined || rootDir === undefined || key === undefined) {
  throw new Error('usage: local-disk-worker.ts <mode> <rootDir> <key> [arg]');
}
const store = createLocalDiskObjectStore(rootDir);
const report = (result: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(result)}\n`);

async function waitForGo(): Promise<void> {
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === 'go') break;
  }
  lines.close();
}

async function incrementOnce(): Promise<number> {
  for (let retries = 0; ; retries += 1) {
    const current = await store.get(key!);
    if (current === undefined) throw new Error('counter missing');
    const value = (JSON.parse(Buffer.from(current.body).toString('utf8')) as { value: number }).value;
    const next = Buffer.from(JSON.stringify({ value: value + 1 }));
    try {
      await store.put(key!, next, { ifGenerationMatch: current.generation });
      return retries;
    } catch (error) {
      if (!isServoError(error, ErrorCode.PreconditionFailed)) throw error;
    }
  }
}

await waitForGo();
switch (mode) {
  case 'create': {
    try {
      await store.put(key, Buffer.from(arg ?? 'unnamed'), { ifNotExists: true });
      report({ outcome: 'created' });
    } catch (error) {
      if (!isServoError(error, ErrorCode.PreconditionFailed)) throw error;
      report({ outcome: ErrorCode.PreconditionFailed });
    }
    break;
  }
  case 'increment': {
    let retries = 0;
    for (let i = 0; i < Number(arg); i += 1) retries += await incrementOnce();
    report({ outcome: 'done', retries });
    break;
  }
  case 'hold-lock': {
    await acquireFileLock(keyPaths(rootDir, key).lock, { staleMs: 60_000, timeoutMs: 5000 });
    report({ outcome: 'locked' });
    await sleep(60_000);
    break;
  }
  case 'write-loop': {
    const size = Number(arg);
    for (let round = 0; ; round += 1) {
      await store.put(key, new Uint8Array(size).fill(round % 251));
      if (round === 0) report({ outcome: 'writing' });
    }
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
