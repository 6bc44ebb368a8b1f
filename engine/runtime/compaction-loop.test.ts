import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CompactionLoop } from './compaction-loop.js';
import type { Workspace } from './workspace.js';

function countingWorkspace(): { workspace: Workspace; compactions: () => number } {
  let count = 0;
  const workspace = {
    async compact() {
      count += 1;
      return { kind: 'none', manifestId: 0, watermark: { seq: 0, eventId: null }, racesLost: 0 };
    },
  } as unknown as Workspace;
  return { workspace, compactions: () => count };
}

describe('CompactionLoop', () => {
  it('compacts within the trigger delay even while appends keep triggering', async () => {
    const { workspace, compactions } = countingWorkspace();
    const loop = new CompactionLoop(workspace, { intervalMs: 60_000, logger: pino({ level: 'silent' }) });
    loop.start();
    // An append every 20 ms, each asking for a compaction within 100 ms, for 400 ms.
    for (let i = 0; i < 20; i += 1) {
      loop.trigger(100);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const during = compactions();
    await loop.stop();
    expect(during).toBeGreaterThanOrEqual(2);
  });

  it('coalesces triggers into one compaction', async () => {
    const { workspace, compactions } = countingWorkspace();
    const loop = new CompactionLoop(workspace, { intervalMs: 60_000, logger: pino({ level: 'silent' }) });
    loop.start();
    for (let i = 0; i < 50; i += 1) loop.trigger(50);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(compactions()).toBe(1);
    await loop.stop();
  });
});
