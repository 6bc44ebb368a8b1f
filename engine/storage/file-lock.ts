import { randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, ServoError } from '../errors.js';

/**
 * A lock file shared by every process that opens the same directory, for the local-disk object
 * store's read-check-replace sections. Creating the file with O_EXCL is the acquire; unlinking it is
 * the release. The file holds `pid`, host name and a random token, one per line.
 *
 * A holder that dies (SIGKILL, power loss) leaves its lock file behind, so a waiter breaks a lock
 * that is stale: its owner is on this host and no longer alive, or it is older than `staleMs` (the
 * only test possible for an owner on another host).
 * Breaking goes through a second O_EXCL file (`<lock>.break`) and re-checks that the lock is still
 * the same stale one, so two waiters can never both break it and then delete each other's fresh
 * locks.
 *
 * Limitation: a holder stalled for longer than `staleMs` (stopped in a debugger, say) loses its
 * lock to a waiter and can then race it. Critical sections here last milliseconds, so the default
 * of 5 s leaves a wide margin.
 */

export interface FileLockOptions {
  /** Age after which a lock is broken even if its owner may be alive. */
  staleMs: number;
  /** How long to wait for a live holder before failing with `UNAVAILABLE`. */
  timeoutMs: number;
}

export interface HeldFileLock {
  /** Removes the lock file if this holder still owns it. */
  release(): Promise<void>;
}

interface LockState {
  content: string;
  mtimeMs: number;
}

const thisHost = hostname();

/** Acquires `lockPath`, waiting with jittered backoff while another live holder has it. */
export async function acquireFileLock(lockPath: string, options: FileLockOptions): Promise<HeldFileLock> {
  const token = randomBytes(8).toString('hex');
  const content = `${process.pid}\n${thisHost}\n${token}\n`;
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    if (await tryCreate(lockPath, content)) {
      const acquiredAt = Date.now();
      // Nobody breaks a lock younger than staleMs whose owner is alive, so a quick holder can
      // unlink without reading the file back first.
      return {
        release: () =>
          Date.now() - acquiredAt < options.staleMs / 2
            ? unlinkIfPresent(lockPath)
            : releaseIfOwned(lockPath, token),
      };
    }
    const state = await readLockState(lockPath);
    if (state === undefined) continue; // released between our attempt and the read: retry at once
    if (isStale(state, options.staleMs)) {
      await breakStaleLock(lockPath, state, options.staleMs);
      continue;
    }
    if (Date.now() > deadline) {
      throw new ServoError(
        ErrorCode.Unavailable,
        `timed out after ${options.timeoutMs} ms waiting for ${lockPath}`,
        {
          details: { lockPath, holder: state.content.trim() },
        },
      );
    }
    // Short, jittered sleeps: holders keep the lock for about a millisecond.
    await sleep(Math.min(1 + attempt, 10) * (0.5 + Math.random()));
  }
}

/**
 * Creates `path` holding `content`, or returns false if it exists. The content goes to a temporary
 * file first and is linked into place, so a lock file is never seen empty: a holder killed between
 * creating and writing it would otherwise leave a lock that only the age rule could break.
 */
async function tryCreate(path: string, content: string): Promise<boolean> {
  // The `~tmp.` name is one the local-disk layout already treats as a temporary file.
  const temp = `${path}~tmp.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(temp, content, { flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp);
  }
}

async function readLockState(lockPath: string): Promise<LockState | undefined> {
  try {
    const [content, stats] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { content, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function isStale(state: LockState, staleMs: number): boolean {
  if (Date.now() - state.mtimeMs > staleMs) return true;
  const [pidText, host] = state.content.split('\n');
  const pid = Number(pidText);
  return host === thisHost && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}

async function breakStaleLock(lockPath: string, stale: LockState, staleMs: number): Promise<void> {
  const breakPath = `${lockPath}.break`;
  if (!(await tryCreate(breakPath, `${process.pid}\n${thisHost}\n`))) {
    // Another waiter is breaking it. A break file only outlives its creator if that one crashed.
    const breaker = await readLockState(breakPath);
    if (breaker !== undefined && isStale(breaker, staleMs)) await unlinkIfPresent(breakPath);
    await sleep(1);
    return;
  }
  try {
    const current = await readLockState(lockPath);
    if (current !== undefined && current.content === stale.content && current.mtimeMs === stale.mtimeMs) {
      await unlinkIfPresent(lockPath);
    }
  } finally {
    await unlinkIfPresent(breakPath);
  }
}

async function releaseIfOwned(lockPath: string, token: string): Promise<void> {
  const state = await readLockState(lockPath);
  if (state?.content.includes(token)) await unlinkIfPresent(lockPath);
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`, …), if any. */
export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
