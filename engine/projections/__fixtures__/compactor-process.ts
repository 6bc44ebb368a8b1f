import { createHash } from 'node:crypto';
import { ManualClock } from '../../clock.js';
import { ErrorCode, isServoError } from '../../errors.js';
import { Folder } from '../../fold/fold.js';
import { createProjectionState } from '../../fold/state.js';
import { Ledger } from '../../ledger/ledger.js';
import { createLocalDiskObjectStore } from '../../storage/local-disk-object-store.js';
import { seededRandom, TEST_SCOPE, testFoldConfig } from '../../testing/event-factory.js';
import { snapshotRows } from '../../testing/snapshot.js';
import { FIXTURE_NOW, openFixture } from '../../testing/workspace-fixture.js';
import { Pointer, parseJsonObject, pointerKey } from '../manifest.js';

/**
 * A separate OS process for the multi-process tests:
 *   fold-hash <dir>                 fold the whole ledger from scratch, print the rows' SHA-256
 *   compact <dir> <untilSeq> <seed> catch up and publish until the published watermark reaches untilSeq,
 *                                   print every publish and every pointer manifest id observed
 */
const [mode, dir, untilArg, seedArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: compactor-process <mode> <dir> …');
const store = createLocalDiskObjectStore(dir);

if (mode === 'fold-hash') {
  const ledger = new Ledger({ store, scope: TEST_SCOPE, clock: new ManualClock(FIXTURE_NOW) });
  const state = createProjectionState();
  const folder = new Folder(testFoldConfig());
  for await (const segment of ledger.readAfter(0)) folder.foldAll(state, segment.events);
  const hash = createHash('sha256')
    .update(JSON.stringify(snapshotRows(state)))
    .digest('hex');
  process.stdout.write(`${JSON.stringify({ hash, seq: ledger.knownHead.seq })}\n`);
} else if (mode === 'compact') {
  const untilSeq = Number(untilArg);
  const seed = Number(seedArg ?? '1');
  const fixture = await openFixture(store, {}, seed);
  process.stdout.write('ready\n');
  const publishes: { manifestId: number; kind: string; fromSeq: number; toSeq: number; racesLost: number }[] =
    [];
  const observed: number[] = [];
  let contended = 0;
  const random = seededRandom(seed);
  while (fixture.projections.published.seq < untilSeq) {
    await fixture.projections.catchUp();
    const before = fixture.projections.published.seq;
    let result: Awaited<ReturnType<typeof fixture.projections.publish>>;
    try {
      result = await fixture.projections.publish({ merge: random() < 0.15 });
    } catch (error) {
      // Under heavy contention a publish gives up after its bounded retries; a compactor tries again later.
      if (!isServoError(error, ErrorCode.Contention)) throw error;
      contended += 1;
      continue;
    }
    if (result.kind !== 'none') {
      publishes.push({
        manifestId: result.manifestId,
        kind: result.kind,
        fromSeq: before,
        toSeq: result.watermark.seq,
        racesLost: result.racesLost,
      });
    }
    const pointer = await store.get(pointerKey(TEST_SCOPE));
    if (pointer !== undefined) observed.push(parseJsonObject(Pointer, pointer.body, 'pointer').manifestId);
    await new Promise((resolve) => setTimeout(resolve, random() * 20));
  }
  process.stdout.write(`${JSON.stringify({ publishes, observed, contended })}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
