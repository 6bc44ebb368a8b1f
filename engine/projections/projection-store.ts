import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ErrorCode, isServoError, ServoError } from '../errors.js';
import type { FoldConfig } from '../fold/context.js';
import { Folder } from '../fold/fold.js';
import {
  anyOverflowed,
  commitAll,
  createProjectionState,
  type ProjectionState,
  rollbackAll,
  type TableState,
} from '../fold/state.js';
import type { Ledger, Segment } from '../ledger/ledger.js';
import type { Scope } from '../ledger/scope.js';
import { nextUlid, type RandomSource } from '../model/ulid.js';
import type { ObjectStore, StoredObject } from '../storage/object-store.js';
import { BoundedTasks } from './bounded-tasks.js';
import {
  type BaseRef,
  baseFileKey,
  type DeltaRef,
  deltaFileKey,
  EMPTY_WATERMARK,
  type FileRef,
  MANIFEST_FORMAT,
  Manifest,
  manifestKey,
  POINTER_FORMAT,
  Pointer,
  parseJsonObject,
  pointerKey,
  type Watermark,
} from './manifest.js';
import type { ColumnarTable, ParquetCodec } from './parquet-codec.js';
import { columnsToKeyedRows, columnsToRowBlock, rowsToColumns } from './row-codec.js';
import { runInSlices } from './slices.js';
import type { TableDef } from './table-def.js';
import { TABLE_NAMES, TABLES, type TableName } from './tables/index.js';

/** When the L0 deltas should be merged into a new base. */
export interface CompactionLimits {
  /** Merge when this many deltas are listed. Default 10. */
  maxDeltas: number;
  /** Merge when the deltas hold this many rows and tombstones together. Default 100,000. */
  maxDeltaRows: number;
  /** Rows per base part file (bounds memory when writing and reading). Default 250,000. */
  basePartRows: number;
}

export const DEFAULT_COMPACTION_LIMITS: CompactionLimits = {
  maxDeltas: 10,
  maxDeltaRows: 100_000,
  basePartRows: 250_000,
};

export interface ProjectionStoreOptions {
  store: ObjectStore;
  scope: Scope;
  codec: ParquetCodec;
  ledger: Ledger;
  fold: FoldConfig;
  clock: Clock;
  limits?: Partial<CompactionLimits>;
  /** Publish attempts before giving up on a contended pointer. Default 10. */
  maxPublishAttempts?: number;
  /**
   * Whether this process publishes (compacts). A reader (false) folds the ledger to stay current
   * but keeps no record of unpublished changes, and `publish()` refuses to run. Default true.
   */
  publisher?: boolean;
  random?: RandomSource;
}

/**
 * Rows changed by folding one or more segments, by table — or, when this process adopted rows it
 * did not fold itself (published by another process after a lost race, reloaded, or rebuilt),
 * every row that may differ from what subscribers last heard of.
 */
export interface ChangeSet {
  fromSeq: number;
  toSeq: number;
  tables: Map<TableName, Set<string>>;
}

export type ChangeListener = (changes: ChangeSet) => void;

export interface RebuildProgress {
  segmentsFolded: number;
  /** Ledger head when the rebuild started. */
  totalSegments: number;
  eventsFolded: number;
}

export interface PublishResult {
  /** What was written: a delta of changed rows, a new base, or nothing (already up to date). */
  kind: 'delta' | 'base' | 'none';
  manifestId: number;
  watermark: Watermark;
  /** Times the pointer had moved and this publisher reloaded before succeeding. */
  racesLost: number;
}

const encoder = new TextEncoder();

/**
 * Base parts being encoded or written at once: one being written, one being encoded, one packed
 * and waiting, so neither the encoder nor the store waits for the other.
 */
const BASE_PARTS_IN_FLIGHT = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The projections of one workspace, held in memory and kept in step with the ledger:
 * `catchUp()` folds the segments after the watermark; `publish()` (the compactor) writes the rows
 * changed since the last publish as a delta, or everything as a new base, and moves the pointer by
 * compare-and-swap. A publisher that loses the race rolls back its unpublished changes, loads what
 * the winner published, re-folds what is still missing and tries again, so every event is folded
 * into the published projections exactly once and the pointer never goes backwards.
 */
export class ProjectionStore {
  readonly state: ProjectionState;
  private readonly options: ProjectionStoreOptions;
  private readonly limits: CompactionLimits;
  private readonly folder: Folder;
  private manifest: Manifest | null = null;
  private manifestPath: string | null = null;
  private pointerGeneration: string | undefined;
  private folded: Watermark = EMPTY_WATERMARK;
  private publishedWatermark: Watermark = EMPTY_WATERMARK;
  private notifiedThrough = 0;
  private readonly listeners = new Set<ChangeListener>();
  private pendingChanges: Map<TableName, Set<string>> = new Map();
  /**
   * Keys of rows replaced without being folded here (loaded from published files, unloaded by
   * tombstones, rolled back), collected while listeners exist, and announced by `announceReplaced`.
   */
  private replaced: Map<TableName, Set<string>> | undefined;
  private lastUlid: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Whether tables are being keyed in the background (see `keyInBackground`). */
  private keying = false;

  private constructor(options: ProjectionStoreOptions) {
    this.options = options;
    this.limits = { ...DEFAULT_COMPACTION_LIMITS, ...options.limits };
    this.state = createProjectionState();
    this.folder = new Folder(options.fold);
    for (const name of TABLE_NAMES) {
      const table = this.state.tables[name] as TableState<object>;
      table.tracking = options.publisher !== false;
      // A delta of more rows than this would be merged at the next publish anyway: past it the
      // table drops its undo log and the next publish writes a base.
      table.undoLimit = this.limits.maxDeltaRows;
      table.onChange = (key) => {
        let keys = this.pendingChanges.get(name);
        if (keys === undefined) {
          keys = new Set();
          this.pendingChanges.set(name, keys);
        }
        keys.add(key);
      };
    }
  }

  /** Opens the published projections (or an empty state when nothing was published yet). */
  static async open(options: ProjectionStoreOptions): Promise<ProjectionStore> {
    const projections = new ProjectionStore(options);
    await projections.serial(() => projections.loadPublished());
    return projections;
  }

  /** Segments folded into the in-memory state. */
  get watermark(): Watermark {
    return this.folded;
  }

  /** Segments folded into the published projections. */
  get published(): Watermark {
    return this.publishedWatermark;
  }

  get currentManifest(): Manifest | null {
    return this.manifest;
  }

  /** Events of unknown types folded as no-ops so far (written by a newer Servo). */
  get unknownEvents(): number {
    return this.folder.unknownEvents;
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Folds every segment after the watermark. Returns the number of segments folded. */
  catchUp(): Promise<number> {
    return this.serial(() => this.catchUpNow());
  }

  /**
   * Folds a segment this process has just appended, without reading it back, when it is the next
   * one; otherwise catches up from the ledger.
   */
  accept(segment: Segment): Promise<number> {
    return this.serial(async () => {
      if (segment.seq === this.folded.seq + 1) {
        this.foldSegment(segment);
        return 1;
      }
      return segment.seq <= this.folded.seq ? 0 : this.catchUpNow();
    });
  }

  /** Whether the deltas have grown past the merge limits. */
  needsMerge(): boolean {
    const deltas = this.manifest?.deltas ?? [];
    const rows = deltas.reduce((sum, delta) => sum + delta.rows + delta.deletions, 0);
    return deltas.length >= this.limits.maxDeltas || rows >= this.limits.maxDeltaRows;
  }

  /**
   * Publishes what has been folded: the changed rows as a delta (or, with `merge`, every table as a
   * new base). More changes since the last publish than `maxDeltaRows` in one table are published
   * as a base too (see `TableState`). Folds nothing new itself; call `catchUp()` first to include
   * the newest segments.
   */
  publish(options: { merge?: boolean } = {}): Promise<PublishResult> {
    return this.serial(() => this.publishNow(options.merge === true, this.options.maxPublishAttempts ?? 10));
  }

  /**
   * Rebuilds every table from the ledger alone (ignoring what is published) and publishes the result
   * as a new base. The published rows afterwards are exactly what a fresh fold of the ledger gives.
   */
  rebuild(onProgress?: (progress: RebuildProgress) => void): Promise<PublishResult> {
    return this.serial(async () => {
      const maxAttempts = this.options.maxPublishAttempts ?? 10;
      for (let attempt = 0; attempt <= maxAttempts; attempt++) {
        const current = await this.readPointer();
        const head = await this.options.ledger.discoverHead();
        this.collectReplaced();
        this.noteAllKeys();
        for (const name of TABLE_NAMES) {
          const table = this.state.tables[name] as TableState<object>;
          table.clear();
          table.tracking = false;
        }
        this.pendingChanges = new Map();
        this.folded = EMPTY_WATERMARK;
        this.folder.lastEventId = undefined;
        this.folder.rebuildRetention(this.state);
        let eventsFolded = 0;
        let segmentsFolded = 0;
        for await (const segment of this.options.ledger.readAfter(0)) {
          this.foldSegment(segment);
          segmentsFolded += 1;
          eventsFolded += segment.events.length;
          if (onProgress !== undefined && (segmentsFolded % 1000 === 0 || segment.seq >= head.seq)) {
            onProgress({ segmentsFolded, totalSegments: Math.max(head.seq, segment.seq), eventsFolded });
          }
        }
        for (const name of TABLE_NAMES)
          (this.state.tables[name] as TableState<object>).tracking = this.options.publisher !== false;
        this.noteAllKeys();
        this.announceReplaced();
        this.manifest = current === undefined ? null : await this.readManifest(current.pointer.manifestPath);
        this.manifestPath = current?.pointer.manifestPath ?? null;
        this.pointerGeneration = current?.generation;
        this.publishedWatermark = this.manifest?.watermark ?? EMPTY_WATERMARK;
        try {
          const result = await this.publishNow(true, 0);
          return result;
        } catch (error) {
          if (!isServoError(error, ErrorCode.Contention) || attempt >= maxAttempts) throw error;
        }
      }
      throw new ServoError(ErrorCode.Contention, 'could not publish the rebuilt projections');
    });
  }

  /** Discards the in-memory state and loads the published projections again. */
  reload(): Promise<void> {
    return this.serial(async () => {
      const announcedBefore = this.notifiedThrough;
      try {
        await this.loadPublished();
      } finally {
        this.announceReplaced(this.publishedWatermark.seq, announcedBefore);
      }
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async catchUpNow(): Promise<number> {
    let count = 0;
    for await (const segment of this.options.ledger.readAfter(this.folded.seq)) {
      this.foldSegment(segment);
      count += 1;
    }
    return count;
  }

  private foldSegment(segment: Segment): void {
    for (const event of segment.events) this.folder.fold(this.state, event);
    this.folded = { seq: segment.seq, eventId: this.folder.lastEventId ?? null };
    this.flushChanges(segment.seq);
  }

  private flushChanges(seq: number): void {
    if (this.pendingChanges.size === 0) return;
    const tables = this.pendingChanges;
    this.pendingChanges = new Map();
    // After a lost publish race the same segments are folded again; subscribers already heard of them.
    if (seq <= this.notifiedThrough) return;
    const changes: ChangeSet = { fromSeq: this.notifiedThrough + 1, toSeq: seq, tables };
    this.notifiedThrough = seq;
    this.notify(changes);
  }

  private notify(changes: ChangeSet): void {
    for (const listener of this.listeners) {
      try {
        listener(changes);
      } catch {
        // A failing subscriber must not break the fold; it is the subscriber's job to report.
      }
    }
  }

  private async readPointer(): Promise<{ pointer: Pointer; generation: string } | undefined> {
    const object = await this.options.store.get(pointerKey(this.options.scope));
    if (object === undefined) return undefined;
    return {
      pointer: parseJsonObject(Pointer, object.body, 'projection pointer'),
      generation: object.generation,
    };
  }

  private async readManifest(path: string): Promise<Manifest> {
    const object = await this.options.store.get(path);
    if (object === undefined) throw new ServoError(ErrorCode.Corrupt, `manifest ${path} is missing`);
    return parseJsonObject(Manifest, object.body, `manifest ${path}`);
  }

  private async loadPublished(): Promise<void> {
    const current = await this.readPointer();
    this.collectReplaced();
    this.noteAllKeys();
    for (const name of TABLE_NAMES) {
      (this.state.tables[name] as TableState<object>).clear();
    }
    this.pendingChanges = new Map();
    if (current === undefined) {
      this.setPublished(null, null, undefined);
      return;
    }
    const manifest = await this.readManifest(current.pointer.manifestPath);
    this.checkTableVersions(manifest);
    if (manifest.base !== null) {
      // Decoded in order, the next part being read meanwhile.
      const parts = TABLE_NAMES.flatMap((name) =>
        (manifest.base?.tables[name] ?? []).map((ref) => ({ name, ref })),
      );
      const reads: (Promise<StoredObject | undefined> | undefined)[] = [];
      const readAhead = (index: number): void => {
        const part = parts[index];
        if (part === undefined || reads[index] !== undefined) return;
        const read = this.options.store.get(part.ref.path);
        // Awaited in turn; a failure is reported there, not as an unhandled rejection.
        read.catch(() => undefined);
        reads[index] = read;
      };
      for (let index = 0; index < parts.length; index++) {
        readAhead(index);
        readAhead(index + 1);
        const { name, ref } = parts[index] as (typeof parts)[number];
        await this.loadBasePart(name, ref, reads[index]);
        reads[index] = undefined;
      }
    }
    for (const delta of manifest.deltas) await this.applyDelta(delta);
    this.pendingChanges = new Map();
    this.folder.rebuildRetention(this.state);
    this.setPublished(manifest, current.pointer.manifestPath, current.generation);
    this.keyInBackground();
  }

  /** Puts the rows of the tables loaded in bulk into their key maps, between other work. */
  private keyInBackground(): void {
    if (this.keying) return;
    this.keying = true;
    runInSlices((deadline) => {
      for (const name of TABLE_NAMES) if (this.state.tables[name].keyRows(deadline)) return true;
      this.keying = false;
      return false;
    });
  }

  private setPublished(manifest: Manifest | null, path: string | null, generation: string | undefined): void {
    this.manifest = manifest;
    this.manifestPath = path;
    this.pointerGeneration = generation;
    this.publishedWatermark = manifest?.watermark ?? EMPTY_WATERMARK;
    this.folded = this.publishedWatermark;
    this.notifiedThrough = Math.max(this.notifiedThrough, this.folded.seq);
    this.folder.lastEventId = this.folded.eventId ?? undefined;
    if (this.folded.seq > 0)
      this.options.ledger.observe({ seq: this.folded.seq, lastEventId: this.folded.eventId ?? undefined });
  }

  private checkTableVersions(manifest: Manifest): void {
    for (const name of TABLE_NAMES) {
      const version = manifest.tableVersions[name];
      if (version !== undefined && version !== TABLES[name].version) {
        throw new ServoError(
          ErrorCode.Corrupt,
          `table ${name} was published with layout version ${version}, this build reads ${TABLES[name].version}: rebuild the projections from the ledger`,
        );
      }
    }
  }

  /** The decoded columns of a projection file of table `name`. */
  private async readColumns(
    name: TableName,
    ref: FileRef,
    read: Promise<StoredObject | undefined> = this.options.store.get(ref.path),
  ): Promise<ColumnarTable> {
    const object = await read;
    if (object === undefined)
      throw new ServoError(ErrorCode.Corrupt, `projection file ${ref.path} is missing`);
    return this.options.codec.decode(TABLES[name].schema, object.body);
  }

  /** The rows of a projection file of table `name`, with their keys. */
  private async readRows(name: TableName, ref: FileRef): Promise<{ keys: string[]; rows: object[] }> {
    return columnsToKeyedRows(TABLES[name] as TableDef<object>, await this.readColumns(name, ref));
  }

  /** Loads the rows of a delta's file into their table, replacing rows of the same keys. */
  private async loadFile(name: TableName, ref: FileRef): Promise<void> {
    const { keys, rows } = await this.readRows(name, ref);
    const table = this.state.tables[name] as TableState<object>;
    const replaced = this.replacedKeys(name);
    for (let index = 0; index < rows.length; index++) {
      table.load(keys[index]!, rows[index]!);
      replaced?.add(keys[index]!);
    }
  }

  /**
   * Loads a part of a table's base into the table, which holds only the parts before it. A base
   * holds each row once (it is written from the table), so its rows are loaded in bulk, as decoded,
   * and built and keyed afterwards (see `TableState`).
   */
  private async loadBasePart(
    name: TableName,
    ref: FileRef,
    read: Promise<StoredObject | undefined> | undefined,
  ): Promise<void> {
    const block = columnsToRowBlock(
      TABLES[name] as TableDef<object>,
      await this.readColumns(name, ref, read),
    );
    const replaced = this.replacedKeys(name);
    if (replaced !== undefined)
      for (let index = 0; index < block.length; index++) replaced.add(block.keyAt(index));
    (this.state.tables[name] as TableState<object>).loadBlock(block);
  }

  /** The set to note replaced keys of one table in, when replacements are being collected. */
  private replacedKeys(name: TableName): Set<string> | undefined {
    if (this.replaced === undefined) return undefined;
    let keys = this.replaced.get(name);
    if (keys === undefined) {
      keys = new Set();
      this.replaced.set(name, keys);
    }
    return keys;
  }

  /** Starts collecting replaced keys, if anyone listens. */
  private collectReplaced(): void {
    if (this.listeners.size > 0) this.replaced ??= new Map();
  }

  /** Notes every key a table holds now (before it is cleared, or after a rebuild). */
  private noteAllKeys(): void {
    if (this.replaced === undefined) return;
    for (const name of TABLE_NAMES) {
      const keys = this.replacedKeys(name) as Set<string>;
      // `scan`: only the keys are needed, so rows still held as loaded are not built for them.
      (this.state.tables[name] as TableState<object>).scan((_row, key) => {
        keys.add(key);
      });
    }
  }

  /**
   * Tells listeners about rows this process adopted rather than folded, so indexes built from the
   * change feed stay complete. `adoptedSeq` is the watermark of what was adopted and
   * `announcedBefore` what listeners had heard of before: when the adopted rows cover no segment
   * beyond that, the fold being deterministic, the state is again what listeners know, and nothing
   * is announced. Without the two, everything collected is announced (a rebuild).
   */
  private announceReplaced(adoptedSeq?: number, announcedBefore?: number): void {
    const replaced = this.replaced;
    this.replaced = undefined;
    if (replaced === undefined) return;
    if (adoptedSeq !== undefined && announcedBefore !== undefined && adoptedSeq <= announcedBefore) return;
    for (const [name, keys] of replaced) if (keys.size === 0) replaced.delete(name);
    if (replaced.size === 0) return;
    const changes: ChangeSet = {
      fromSeq: Math.min(this.notifiedThrough + 1, this.folded.seq),
      toSeq: this.folded.seq,
      tables: replaced,
    };
    this.notifiedThrough = Math.max(this.notifiedThrough, this.folded.seq);
    this.notify(changes);
  }

  private async applyDelta(delta: DeltaRef): Promise<void> {
    for (const name of TABLE_NAMES) {
      const ref = delta.tables[name];
      if (ref !== undefined) await this.loadFile(name, ref);
    }
    if (delta.tombstones !== null) {
      const object = await this.options.store.get(delta.tombstones.path);
      if (object === undefined)
        throw new ServoError(ErrorCode.Corrupt, `tombstones ${delta.tombstones.path} are missing`);
      const tombstones = JSON.parse(new TextDecoder().decode(object.body)) as Record<string, string[]>;
      for (const [name, keys] of Object.entries(tombstones)) {
        const table = this.state.tables[name as TableName] as TableState<object> | undefined;
        if (table === undefined) continue;
        const replaced = this.replacedKeys(name as TableName);
        for (const key of keys) {
          table.unload(key);
          replaced?.add(key);
        }
      }
    }
  }

  /**
   * Brings the in-memory state to a manifest someone else published: rolls back unpublished
   * changes, applies the deltas this process has not loaded yet (or reloads everything when the
   * base changed, or when the changes were too many to roll back), then folds whatever the winner
   * had not folded.
   */
  private async syncTo(pointer: Pointer, generation: string): Promise<void> {
    const manifest = await this.readManifest(pointer.manifestPath);
    this.checkTableVersions(manifest);
    const announcedBefore = this.notifiedThrough;
    try {
      await this.adopt(manifest, pointer, generation);
      await this.catchUpNow();
    } finally {
      // Announced once the state is current again: a row rolled back and folded again by
      // `catchUpNow` is not announced by it (those segments were announced already).
      this.announceReplaced(manifest.watermark.seq, announcedBefore);
    }
  }

  /** The first half of `syncTo`: the state becomes the manifest's, noting what it replaced. */
  private async adopt(manifest: Manifest, pointer: Pointer, generation: string): Promise<void> {
    if (anyOverflowed(this.state)) {
      // Too many changes to roll back (the undo log was dropped): start again from what is published.
      await this.loadPublished();
      return;
    }
    this.collectReplaced();
    if (this.replaced !== undefined) {
      for (const name of TABLE_NAMES) {
        const keys = this.replacedKeys(name) as Set<string>;
        for (const key of this.state.tables[name].changedKeys()) keys.add(key);
      }
    }
    rollbackAll(this.state);
    this.pendingChanges = new Map();
    const known = this.manifest;
    const sameBase = (known?.base?.snapshotId ?? null) === (manifest.base?.snapshotId ?? null);
    const knownDeltas = known?.deltas ?? [];
    const isPrefix =
      sameBase &&
      knownDeltas.length <= manifest.deltas.length &&
      knownDeltas.every((delta, index) => manifest.deltas[index]?.deltaId === delta.deltaId);
    if (isPrefix) {
      for (const delta of manifest.deltas.slice(knownDeltas.length)) await this.applyDelta(delta);
      this.pendingChanges = new Map();
      this.folder.rebuildRetention(this.state);
      this.setPublished(manifest, pointer.manifestPath, generation);
    } else {
      await this.loadPublished();
    }
  }

  private mintId(): string {
    this.lastUlid = nextUlid(this.lastUlid, this.options.clock.now().getTime(), this.options.random);
    return this.lastUlid;
  }

  private hasUnpublishedChanges(): boolean {
    for (const name of TABLE_NAMES) if (this.state.tables[name].changeCount > 0) return true;
    return false;
  }

  /**
   * `maxAttempts` bounds how often a lost race is resolved by adopting the winner's manifest; a
   * rebuild passes 0 so that it never adopts published rows, and retries from scratch instead.
   */
  private async publishNow(merge: boolean, maxAttempts: number): Promise<PublishResult> {
    if (this.options.publisher === false) {
      throw new ServoError(
        ErrorCode.IllegalState,
        'this projection store was opened as a reader and cannot publish',
      );
    }
    for (let attempt = 0; ; attempt++) {
      const upToDate = this.folded.seq === this.publishedWatermark.seq && !this.hasUnpublishedChanges();
      if (upToDate && !merge) {
        return {
          kind: 'none',
          manifestId: this.manifest?.manifestId ?? 0,
          watermark: this.folded,
          racesLost: attempt,
        };
      }
      const current = await this.readPointer();
      if (current !== undefined && current.generation !== this.pointerGeneration) {
        // Someone else published since this state was loaded: adopt theirs, then try again after
        // a short random pause, so publishers that keep colliding fall out of step.
        if (attempt >= maxAttempts) break;
        await this.syncTo(current.pointer, current.generation);
        if (attempt > 0) await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
        continue;
      }
      let manifest: Manifest;
      let path: string;
      // Without an undo log (too many changes since the last publish) only a base can be written.
      const base = merge || anyOverflowed(this.state);
      try {
        manifest = base ? await this.writeBase() : await this.writeDelta();
        path = manifestKey(this.options.scope, manifest.manifestId, this.mintId());
        await this.options.store.put(path, encoder.encode(JSON.stringify(manifest, null, 1)), {
          ifNotExists: true,
          contentType: 'application/json',
        });
      } catch (error) {
        // An immutable artifact name already taken (another publisher minted the same id): never
        // overwrite it; mint fresh ids and write again.
        if (!isServoError(error, ErrorCode.PreconditionFailed) || attempt >= maxAttempts) throw error;
        continue;
      }
      const pointer: Pointer = {
        format: POINTER_FORMAT,
        manifestId: manifest.manifestId,
        manifestPath: path,
        watermark: manifest.watermark,
        updatedAt: this.options.clock.now().toISOString(),
      };
      try {
        const written = await this.options.store.put(
          pointerKey(this.options.scope),
          encoder.encode(JSON.stringify(pointer, null, 1)),
          current === undefined
            ? { ifNotExists: true, contentType: 'application/json' }
            : { ifGenerationMatch: current.generation, contentType: 'application/json' },
        );
        commitAll(this.state);
        this.setPublished(manifest, path, written.generation);
        return {
          kind: base ? 'base' : 'delta',
          manifestId: manifest.manifestId,
          watermark: manifest.watermark,
          racesLost: attempt,
        };
      } catch (error) {
        if (!isServoError(error, ErrorCode.PreconditionFailed)) throw error;
        if (attempt >= maxAttempts) break;
        // Lost the race for the pointer: the files written are orphans; reload on the next turn.
      }
    }
    throw new ServoError(ErrorCode.Contention, `could not publish projections after ${maxAttempts} races`);
  }

  private nextManifest(base: BaseRef | null, deltas: DeltaRef[]): Manifest {
    const tableVersions: Record<string, number> = {};
    for (const name of TABLE_NAMES) tableVersions[name] = TABLES[name].version;
    return {
      format: MANIFEST_FORMAT,
      manifestId: (this.manifest?.manifestId ?? 0) + 1,
      previousManifestPath: this.manifestPath,
      publishedAt: this.options.clock.now().toISOString(),
      watermark: this.folded,
      tableVersions,
      base,
      deltas,
    };
  }

  private async writeFile(path: string, bytes: Uint8Array, rows: number): Promise<FileRef> {
    await this.options.store.put(path, bytes, { ifNotExists: true, contentType: 'application/octet-stream' });
    return { path, rows, bytes: bytes.length, sha256: sha256(bytes) };
  }

  /**
   * Encodes `rows` as a file of table `name`, on the codec's thread when it has one. The rows are
   * read before this returns (see `ParquetCodec.encodeAsync`).
   */
  private encode(name: TableName, rows: object[]): Promise<Uint8Array> {
    const def = TABLES[name] as TableDef<object>;
    const codec = this.options.codec;
    const options = { metadata: { 'servo.table': name, 'servo.table_version': String(def.version) } };
    try {
      const columns = rowsToColumns(def, rows);
      if (codec.encodeAsync !== undefined) return codec.encodeAsync(def.schema, columns, options);
      return Promise.resolve(codec.encode(def.schema, columns, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async writeDelta(): Promise<Manifest> {
    const deltaId = this.mintId();
    const tables: Record<string, FileRef> = {};
    const tombstones: Record<string, string[]> = {};
    let rows = 0;
    let deletions = 0;
    for (const name of TABLE_NAMES) {
      const table = this.state.tables[name] as TableState<object>;
      if (table.changeCount === 0) continue;
      const changed: object[] = [];
      const removed: string[] = [];
      for (const { key, before, after } of table.changes()) {
        if (after !== undefined) changed.push(after);
        else if (before !== undefined) removed.push(key);
      }
      if (changed.length > 0) {
        tables[name] = await this.writeFile(
          deltaFileKey(this.options.scope, deltaId, `${name}.parquet`),
          await this.encode(name, changed),
          changed.length,
        );
        rows += changed.length;
      }
      if (removed.length > 0) {
        tombstones[name] = removed;
        deletions += removed.length;
      }
    }
    const deltas = [...(this.manifest?.deltas ?? [])];
    if (rows > 0 || deletions > 0) {
      const tombstoneRef =
        deletions === 0
          ? null
          : await this.writeFile(
              deltaFileKey(this.options.scope, deltaId, 'tombstones.json'),
              encoder.encode(JSON.stringify(tombstones)),
              deletions,
            );
      deltas.push({
        deltaId,
        fromSeq: this.publishedWatermark.seq,
        toSeq: this.folded.seq,
        tables,
        tombstones: tombstoneRef,
        rows,
        deletions,
        createdAt: this.options.clock.now().toISOString(),
      });
    }
    return this.nextManifest(this.manifest?.base ?? null, deltas);
  }

  /**
   * Writes every table as parts of at most `basePartRows` rows. Each part is encoded while the
   * parts before it are still being encoded and written, at most `BASE_PARTS_IN_FLIGHT` at once
   * (each holds its packed columns or its file's bytes until written).
   */
  private async writeBase(): Promise<Manifest> {
    const snapshotId = this.mintId();
    const tables: Record<string, FileRef[]> = {};
    const inFlight = new BoundedTasks(BASE_PARTS_IN_FLIGHT);
    let total = 0;
    for (const name of TABLE_NAMES) {
      const table = this.state.tables[name] as TableState<object>;
      const parts: FileRef[] = [];
      tables[name] = parts;
      let partCount = 0;
      let batch: object[] = [];
      const flush = async (): Promise<void> => {
        const index = partCount++;
        const key = baseFileKey(
          this.options.scope,
          snapshotId,
          `${name}.${String(index).padStart(4, '0')}.parquet`,
        );
        const rows = batch.length;
        const bytes = this.encode(name, batch);
        batch = [];
        total += rows;
        await inFlight.add(
          bytes.then(async (file) => {
            parts[index] = await this.writeFile(key, file, rows);
          }),
        );
      };
      for (const row of table.values()) {
        batch.push(row);
        if (batch.length >= this.limits.basePartRows) await flush();
      }
      // Every table gets at least one (possibly empty) file, so the base is complete on its own.
      if (batch.length > 0 || partCount === 0) await flush();
    }
    await inFlight.finish();
    return this.nextManifest(
      {
        snapshotId,
        watermark: this.folded,
        tables,
        rows: total,
        createdAt: this.options.clock.now().toISOString(),
      },
      [],
    );
  }
}
