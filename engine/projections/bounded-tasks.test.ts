import { describe, expect, it } from 'vitest';
import { BoundedTasks } from './bounded-tasks.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('bounded tasks', () => {
  it('lets a new task start only while fewer than the limit are under way', async () => {
    const tasks = new BoundedTasks(2);
    const first = deferred();
    const second = deferred();
    await tasks.add(first.promise);
    let roomAfterSecond = false;
    const adding = tasks.add(second.promise).then(() => {
      roomAfterSecond = true;
    });
    await Promise.resolve();
    expect(roomAfterSecond).toBe(false);
    first.resolve();
    await adding;
    expect(roomAfterSecond).toBe(true);
    second.resolve();
    await tasks.finish();
  });

  it('after a failure, waits for every task still under way and throws the first failure', async () => {
    const tasks = new BoundedTasks(3);
    const slow = deferred();
    let slowSettled = false;
    await tasks.add(slow.promise.then(() => (slowSettled = true)));
    const failing = deferred();
    await tasks.add(failing.promise);
    failing.reject(new Error('first'));
    const finishing = tasks.finish();
    await new Promise((resolve) => setTimeout(resolve, 5));
    slow.resolve();
    await expect(finishing).rejects.toThrow('first');
    expect(slowSettled).toBe(true);
  });

  it('refuses a limit below one', () => {
    expect(() => new BoundedTasks(0)).toThrow(RangeError);
  });
});
