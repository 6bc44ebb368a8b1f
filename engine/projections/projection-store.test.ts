import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Folder } from '../fold/fold.js';
import { createProjectionState } from '../fold/state.js';
import { listAll } from '../storage/object-store.js';
import { EventFactory, testFoldConfig } from '../testing/event-factory.js';
import { sensorDefinition } from '../testing/payloads.js';
import { generateScenario } from '../testing/scenario.js';
import { rowCounts, snapshotRows } from '../testing/snapshot.js';
import { appendSegments, openFixture } from '../testing/workspace-fixture.js';
import { Manifest, Pointer, parseJsonObject } from './manifest.js';
import { describeParquetWithDuckDb } from './parquet/duckdb-inspect.js';
import { createHyparquetCodec } from './parquet/hyparquet-codec.js';
import type { ChangeSet } from './projection-store.js';
import { TABLE_NAMES, TABLES, type TableName } from './tables/index.js';

const scenario = generateScenario({ days: 3 });

function foldedInMemory() {
  const state = createProjectionState();
  const folder = new Folder(testFoldConfig());
  for (const segment of scenario) folder.foldAll(state, segment);
  return state;
}

describe('projection store', () => {
  it('DM-50/21: projections published as a delta reload on a cold start identical to a fresh fold', async () => {
    const writer = await openFixture();
    await appendSegments(writer.ledger, scenario);
    expect(await writer.projections.catchUp()).toBe(scenario.length);
    const result = await writer.projections.publish();
    expect(result).toMatchObject({ kind: 'delta', manifestId: 1, watermark: { seq: scenario.length } });
    const cold = await openFixture(writer.store);
    expect(cold.projections.watermark.seq).toBe(scenario.length);
    expect(snapshotRows(cold.projections.state)).toEqual(snapshotRows(foldedInMemory()));
  });

  it('publishing after every segment and publishing once give identical rows', async () => {
    const often = await openFixture();
    for (let index = 0; index < scenario.length; index += 7) {
      await appendSegments(often.ledger, scenario.slice(index, index + 7));
      await often.projections.catchUp();
      await often.projections.publish();
    }
    expect(often.projections.currentManifest?.deltas.length).toBe(Math.ceil(scenario.length / 7));
    const once = await openFixture();
    await appendSegments(once.ledger, scenario);
    await once.projections.catchUp();
    await once.projections.publish();
    const reloadedOften = await openFixture(often.store);
    const reloadedOnce = await openFixture(once.store);
    expect(snapshotRows(reloadedOften.projections.state)).toEqual(
      snapshotRows(reloadedOnce.projections.state),
    );
  });

  it('a base encoded on the encoder thread, several parts per table, has the same files and rows as one encoded in line', async () => {
    const publishBase = async (codec: ReturnType<typeof createHyparquetCodec>) => {
      const fixture = await openFixture(undefined, { codec, limits: { basePartRows: 5 } });
      await appendSegments(fixture.ledger, scenario);
      await fixture.projections.catchUp();
      expect((await fixture.projections.publish({ merge: true })).kind).toBe('base');
      const base = fixture.projections.currentManifest?.base;
      const checksums = TABLE_NAMES.map((name) => (base?.tables[name] ?? []).map((part) => part.sha256));
      const reloaded = await openFixture(fixture.store);
      return { checksums, rows: snapshotRows(reloaded.projections.state) };
    };
    const onThread = await publishBase(createHyparquetCodec({ threadRows: 0 }));
    const inLine = await publishBase(createHyparquetCodec({ threadRows: Number.POSITIVE_INFINITY }));
    expect(onThread.checksums.some((parts) => parts.length > 1)).toBe(true);
    expect(onThread.checksums).toEqual(inLine.checksums);
    expect(onThread.rows).toEqual(inLine.rows);
    expect(onThread.rows).toEqual(snapshotRows(foldedInMemory()));
  });

  it('DM-49: merging the deltas into a new base changes the layout, never the rows', async () => {
    const fixture = await openFixture(undefined, { limits: { maxDeltas: 3 } });
    const half = Math.floor(scenario.length / 2);
    for (const segment of scenario.slice(0, half)) {
      await fixture.ledger.appendEvents(segment);
      await fixture.projections.catchUp();
      await fixture.projections.publish();
    }
    expect(fixture.projections.needsMerge()).toBe(true);
    const before = snapshotRows(fixture.projections.state);
    expect((await fixture.projections.publish({ merge: true })).kind).toBe('base');
    expect(fixture.projections.currentManifest?.deltas).toEqual([]);
    expect(snapshotRows(fixture.projections.state)).toEqual(before);
    const reloaded = await openFixture(fixture.store);
    expect(snapshotRows(reloaded.projections.state)).toEqual(before);
    // Deltas after a base apply on top of it.
    await appendSegments(fixture.ledger, scenario.slice(half));
    await fixture.projections.catchUp();
    await fixture.projections.publish();
    expect(snapshotRows((await openFixture(fixture.store)).projections.state)).toEqual(
      snapshotRows(foldedInMemory()),
    );
  });

  it('DM-42/43/47: a publisher that lost the race reloads, refolds and publishes once more; nothing is folded twice', async () => {
    const a = await openFixture();
    const b = await openFixture(a.store, {}, 2);
    const third = Math.floor(scenario.length / 3);
    await appendSegments(a.ledger, scenario.slice(0, third));
    await a.projections.catchUp();
    await b.projections.catchUp();
    await appendSegments(a.ledger, scenario.slice(third, 2 * third));
    await b.projections.catchUp();
    expect((await a.projections.publish()).racesLost).toBe(0);
    const result = await b.projections.publish();
    expect(result.racesLost).toBe(1);
    expect(result.manifestId).toBe(2);
    expect(result.watermark.seq).toBe(2 * third);
    // The manifest chain covers every segment once, in order, and never goes backwards.
    const manifest = b.projections.currentManifest!;
    const ranges = manifest.deltas.map((delta) => [delta.fromSeq, delta.toSeq]);
    expect(ranges).toEqual([
      [0, third],
      [third, 2 * third],
    ]);
    await appendSegments(a.ledger, scenario.slice(2 * third));
    await a.projections.catchUp();
    await a.projections.publish();
    const final = await openFixture(a.store);
    expect(snapshotRows(final.projections.state)).toEqual(snapshotRows(foldedInMemory()));
  });

  it('removed rows stay removed after reload (tombstones)', async () => {
    const fixture = await openFixture();
    const f = new EventFactory(Date.UTC(2026, 5, 1));
    await fixture.ledger.appendEvents([f.make('sensor.definition-upserted.v1', sensorDefinition())]);
    await fixture.projections.catchUp();
    await fixture.projections.publish();
    await fixture.ledger.appendEvents([
      f.advance(10).make('sensor.deleted.v1', { sensorId: 'etl:files', deletedBy: 'ops', requestId: 'del' }),
    ]);
    await fixture.projections.catchUp();
    await fixture.projections.publish();
    expect(fixture.projections.currentManifest?.deltas[1]?.deletions).toBe(1);
    const reloaded = await openFixture(fixture.store);
    expect(reloaded.projections.state.tables.sensorDefinitions.has('etl:files')).toBe(false);
    expect(reloaded.projections.state.tables.sensorState.has('etl:files')).toBe(true);
  });

  it('a reader follows the ledger but refuses to publish', async () => {
    const writer = await openFixture();
    await appendSegments(writer.ledger, scenario.slice(0, 5));
    const reader = await openFixture(writer.store, { publisher: false });
    await reader.projections.catchUp();
    expect(reader.projections.watermark.seq).toBe(5);
    await expect(reader.projections.publish()).rejects.toThrow(/reader/);
  });

  it('notifies subscribers of changed rows once per segment, not again after a lost race', async () => {
    const a = await openFixture();
    const b = await openFixture(a.store, {}, 2);
    const seen: number[] = [];
    b.projections.subscribe((changes) => seen.push(changes.toSeq));
    await appendSegments(a.ledger, scenario.slice(0, 4));
    await a.projections.catchUp();
    await b.projections.catchUp();
    await a.projections.publish();
    await b.projections.publish();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  /** Every key a listener has heard of, by table: what an index built from the feed would hold. */
  function heardKeys(projections: { subscribe(listener: (changes: ChangeSet) => void): () => void }) {
    const heard = new Map<TableName, Set<string>>();
    projections.subscribe((changes) => {
      for (const [table, keys] of changes.tables) {
        const set = heard.get(table) ?? new Set<string>();
        for (const key of keys) set.add(key);
        heard.set(table, set);
      }
    });
    return heard;
  }

  function unheardRows(state: ReturnType<typeof createProjectionState>, heard: Map<TableName, Set<string>>) {
    const missing: string[] = [];
    for (const name of Object.keys(TABLES) as TableName[]) {
      for (const [key] of state.tables[name].entries()) {
        if (!heard.get(name)?.has(key)) missing.push(`${name}:${key}`);
      }
    }
    return missing;
  }

  it('announces the rows of segments another publisher folded when a lost race adopts its manifest', async () => {
    const a = await openFixture();
    const b = await openFixture(a.store, {}, 2);
    const heard = heardKeys(b.projections);
    const third = Math.floor(scenario.length / 3);
    await appendSegments(a.ledger, scenario.slice(0, third));
    await b.projections.catchUp();
    await appendSegments(a.ledger, scenario.slice(third, 2 * third));
    await a.projections.catchUp();
    await a.projections.publish();
    // b has unpublished changes (the first third) and loses the race to a's manifest, which holds
    // the second third too: rows b never folded itself.
    expect((await b.projections.publish()).racesLost).toBe(1);
    expect(b.projections.watermark.seq).toBe(2 * third);
    expect(unheardRows(b.projections.state, heard)).toEqual([]);
  });

  it('announces the rows a reload brings in from what another process published', async () => {
    const a = await openFixture();
    const b = await openFixture(a.store, {}, 2);
    const heard = heardKeys(b.projections);
    await appendSegments(a.ledger, scenario.slice(0, 10));
    await b.projections.catchUp();
    await appendSegments(a.ledger, scenario.slice(10));
    await a.projections.catchUp();
    await a.projections.publish();
    await b.projections.reload();
    expect(b.projections.watermark.seq).toBe(scenario.length);
    expect(unheardRows(b.projections.state, heard)).toEqual([]);
    expect(snapshotRows(b.projections.state)).toEqual(snapshotRows(foldedInMemory()));
  });

  it('announces every row after a rebuild', async () => {
    const fixture = await openFixture();
    await appendSegments(fixture.ledger, scenario);
    await fixture.projections.catchUp();
    await fixture.projections.publish();
    const heard = heardKeys(fixture.projections);
    await fixture.projections.rebuild();
    expect(heard.size).toBeGreaterThan(5);
    expect(unheardRows(fixture.projections.state, heard)).toEqual([]);
  });
});

describe('projection files', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('DM-51 and SPEC §3: every file Servo writes reads in DuckDB with its declared types and row count, and matches its checksum', async () => {
    const fixture = await openFixture();
    await appendSegments(fixture.ledger, scenario.slice(0, 60));
    await fixture.projections.catchUp();
    await fixture.projections.publish();
    await appendSegments(fixture.ledger, scenario.slice(60));
    await fixture.projections.catchUp();
    await fixture.projections.publish({ merge: true });
    const dir = await mkdtemp(join(tmpdir(), 'servo-duckdb-'));
    dirs.push(dir);
    const manifestFiles: Manifest[] = [];
    for await (const meta of listAll(fixture.store, { prefix: 'tenants/' })) {
      if (meta.key.includes('/projections/manifests/')) {
        manifestFiles.push(parseJsonObject(Manifest, (await fixture.store.get(meta.key))!.body, meta.key));
      }
    }
    const refs = manifestFiles.flatMap((manifest) => [
      ...Object.entries(manifest.base?.tables ?? {}).flatMap(([name, parts]) =>
        parts.map((ref) => ({ name, ref })),
      ),
      ...manifest.deltas.flatMap((delta) =>
        Object.entries(delta.tables).map(([name, ref]) => ({ name, ref })),
      ),
    ]);
    const expectedType = {
      utf8: 'VARCHAR',
      json: 'VARCHAR',
      int32: 'INTEGER',
      int64: 'BIGINT',
      boolean: 'BOOLEAN',
      timestamp: 'TIMESTAMP WITH TIME ZONE',
    };
    const checked = new Set<string>();
    for (const { name, ref } of refs) {
      if (checked.has(ref.path)) continue;
      checked.add(ref.path);
      const bytes = (await fixture.store.get(ref.path))!.body;
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(ref.sha256);
      const path = join(dir, `${checked.size}.parquet`);
      await writeFile(path, bytes);
      const described = await describeParquetWithDuckDb(path);
      const def = TABLES[name as TableName];
      expect(described.columns).toEqual(
        def.fields.map((field) => ({ name: field.column, type: expectedType[field.type] })),
      );
      expect(described.rowCount).toBe(ref.rows);
    }
    // Every table appears in the base with every row of the state.
    const base = fixture.projections.currentManifest!.base!;
    const counts = rowCounts(fixture.projections.state);
    for (const name of Object.keys(TABLES) as TableName[]) {
      expect(base.tables[name]?.reduce((sum, ref) => sum + ref.rows, 0)).toBe(counts[name]);
    }
    expect(checked.size).toBeGreaterThan(30);
  });
});

describe('rebuild', () => {
  it('DM-57: rebuilds the projections from the ledger alone: rebuilt == published == a fresh fold', async () => {
    const fixture = await openFixture();
    for (let index = 0; index < scenario.length; index += 40) {
      await appendSegments(fixture.ledger, scenario.slice(index, index + 40));
      await fixture.projections.catchUp();
      await fixture.projections.publish();
    }
    const published = snapshotRows((await openFixture(fixture.store)).projections.state);
    const progress: number[] = [];
    const rebuilder = await openFixture(fixture.store);
    const result = await rebuilder.projections.rebuild((step) => progress.push(step.segmentsFolded));
    expect(result.kind).toBe('base');
    expect(progress.at(-1)).toBe(scenario.length);
    const rebuilt = snapshotRows((await openFixture(fixture.store)).projections.state);
    expect(rebuilt).toEqual(published);
    expect(rebuilt).toEqual(snapshotRows(foldedInMemory()));
  });
});

describe('artifact name collisions', () => {
  it('DM-45: a publisher whose file name is already taken never overwrites it and publishes under fresh names', async () => {
    // Two stores with the same seeded randomness and a frozen clock mint the same delta ids.
    const first = await openFixture(undefined, {}, 7);
    await appendSegments(first.ledger, scenario.slice(0, 3));
    await first.projections.catchUp();
    await first.projections.publish();
    const copyOfPointer = await first.store.get(pointerKeyOf());
    // Roll the pointer back so the second store publishes manifest 1 again, with the same ids.
    await first.store.delete(pointerKeyOf());
    const second = await openFixture(first.store, {}, 7);
    await second.projections.catchUp();
    const result = await second.projections.publish();
    expect(result.kind).toBe('delta');
    expect(copyOfPointer).toBeDefined();
    expect(snapshotRows((await openFixture(first.store)).projections.state)).toEqual(
      snapshotRows(second.projections.state),
    );
  });
});

function pointerKeyOf(): string {
  return 'tenants/acme/workspaces/prod/projections/pointer.json';
}

describe('edge cases of publishing', () => {
  it('DM-46: publishing with nothing folded writes nothing', async () => {
    const fixture = await openFixture();
    expect(await fixture.projections.publish()).toMatchObject({ kind: 'none', manifestId: 0 });
    expect((await fixture.store.list({ prefix: 'tenants/' })).objects).toHaveLength(0);
  });

  it('DM-55: a manifest written with another table layout version is refused with a rebuild hint', async () => {
    const fixture = await openFixture();
    await appendSegments(fixture.ledger, scenario.slice(0, 3));
    await fixture.projections.catchUp();
    await fixture.projections.publish();
    const pointer = parseJsonObject(Pointer, (await fixture.store.get(pointerKeyOf()))!.body, 'pointer');
    const manifest = parseJsonObject(
      Manifest,
      (await fixture.store.get(pointer.manifestPath))!.body,
      'manifest',
    );
    manifest.tableVersions.runs = 99;
    await fixture.store.delete(pointer.manifestPath);
    await fixture.store.put(pointer.manifestPath, new TextEncoder().encode(JSON.stringify(manifest)));
    await expect(openFixture(fixture.store)).rejects.toThrow(/layout version 99.*rebuild/);
  });
});

describe('storage failures', () => {
  it('CA-66: a publish that fails in the middle of its writes leaves the published view intact, and the next publish converges', async () => {
    const fixture = await openFixture();
    await appendSegments(fixture.ledger, scenario.slice(0, 20));
    await fixture.projections.catchUp();
    await fixture.projections.publish();
    const before = snapshotRows((await openFixture(fixture.store)).projections.state);
    let failures = 1;
    const flaky = {
      ...fixture.store,
      get: fixture.store.get.bind(fixture.store),
      head: fixture.store.head.bind(fixture.store),
      list: fixture.store.list.bind(fixture.store),
      delete: fixture.store.delete.bind(fixture.store),
      async put(key: string, body: Uint8Array, options?: Parameters<typeof fixture.store.put>[2]) {
        if (key.includes('/projections/manifests/') && failures-- > 0) throw new Error('storage unavailable');
        return fixture.store.put(key, body, options);
      },
    };
    const writer = await openFixture(flaky);
    await appendSegments(writer.ledger, scenario.slice(20, 40));
    await writer.projections.catchUp();
    await expect(writer.projections.publish()).rejects.toThrow('storage unavailable');
    // Readers still see the last published projections.
    expect(snapshotRows((await openFixture(fixture.store)).projections.state)).toEqual(before);
    await writer.projections.publish();
    await appendSegments(writer.ledger, scenario.slice(40));
    await writer.projections.catchUp();
    await writer.projections.publish();
    expect(snapshotRows((await openFixture(fixture.store)).projections.state)).toEqual(
      snapshotRows(foldedInMemory()),
    );
  });
});
