import { ManualClock } from '../clock.js';
import { Ledger } from '../ledger/ledger.js';
import type { LedgerEvent } from '../model/catalog.js';
import { createHyparquetCodec } from '../projections/parquet/hyparquet-codec.js';
import { ProjectionStore, type ProjectionStoreOptions } from '../projections/projection-store.js';
import { createMemoryObjectStore } from '../storage/memory-object-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { seededRandom, TEST_SCOPE, testFoldConfig } from './event-factory.js';

/** A clock far enough ahead that scenario event ids are never "from the future". */
export const FIXTURE_NOW = Date.UTC(2027, 0, 1);

export interface StoreFixture {
  store: ObjectStore;
  ledger: Ledger;
  projections: ProjectionStore;
}

/** Opens a ledger and projection store of the test scope on `store` (a new memory store by default). */
export async function openFixture(
  store: ObjectStore = createMemoryObjectStore(),
  overrides: Partial<ProjectionStoreOptions> = {},
  seed = 1,
): Promise<StoreFixture> {
  const clock = new ManualClock(FIXTURE_NOW);
  const ledger = new Ledger({ store, scope: TEST_SCOPE, clock, random: seededRandom(seed) });
  const projections = await ProjectionStore.open({
    store,
    scope: TEST_SCOPE,
    codec: createHyparquetCodec(),
    ledger,
    fold: testFoldConfig(),
    clock,
    random: seededRandom(seed + 1000),
    ...overrides,
  });
  return { store, ledger, projections };
}

/** Appends pre-stamped segments to the ledger, in order. */
export async function appendSegments(ledger: Ledger, segments: readonly LedgerEvent[][]): Promise<void> {
  for (const segment of segments) await ledger.appendEvents(segment);
}
