import { z } from 'zod';
import { ErrorCode, ServoError } from '../errors.js';
import { type Scope, scopedKey } from '../ledger/scope.js';

/**
 * The manifest names every Parquet file that makes up the published projections: one base
 * snapshot (a full copy of every table) plus L0 deltas (only the rows that changed, in order).
 * Manifests are immutable; the one mutable object, the pointer, names the current manifest and is
 * replaced only by compare-and-swap on its generation, so it never goes backwards and a publisher
 * that read an older pointer cannot overwrite a newer one.
 *
 * Readers reconstruct a table by loading the base parts, then each delta in order (a later copy of
 * a key replaces an earlier one), then removing the delta's tombstoned keys.
 */

export const MANIFEST_FORMAT = 'servo.manifest/1';
export const POINTER_FORMAT = 'servo.pointer/1';

export const Watermark = z.object({
  /** Ledger segments up to and including this sequence number are folded in. */
  seq: z.number().int().min(0),
  /** The last event folded in (the fold frontier); null before the first event. */
  eventId: z.string().nullable(),
});
export type Watermark = z.infer<typeof Watermark>;

export const FileRef = z.object({
  path: z.string(),
  rows: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type FileRef = z.infer<typeof FileRef>;

export const DeltaRef = z.object({
  deltaId: z.string(),
  /** Segments folded into this delta: (fromSeq, toSeq]. */
  fromSeq: z.number().int().min(0),
  toSeq: z.number().int().min(0),
  tables: z.record(z.string(), FileRef),
  /** `{ table: [keys…] }` removed by this delta, as JSON; null when nothing was removed. */
  tombstones: FileRef.nullable(),
  rows: z.number().int().min(0),
  deletions: z.number().int().min(0),
  createdAt: z.string(),
});
export type DeltaRef = z.infer<typeof DeltaRef>;

export const BaseRef = z.object({
  snapshotId: z.string(),
  watermark: Watermark,
  /** Each table as one or more part files. */
  tables: z.record(z.string(), z.array(FileRef)),
  rows: z.number().int().min(0),
  createdAt: z.string(),
});
export type BaseRef = z.infer<typeof BaseRef>;

export const Manifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  manifestId: z.number().int().min(1),
  previousManifestPath: z.string().nullable(),
  publishedAt: z.string(),
  watermark: Watermark,
  /** Layout version of each table (TableDef.version); a mismatch means rebuild from the ledger. */
  tableVersions: z.record(z.string(), z.number().int()),
  base: BaseRef.nullable(),
  deltas: z.array(DeltaRef),
});
export type Manifest = z.infer<typeof Manifest>;

export const Pointer = z.object({
  format: z.literal(POINTER_FORMAT),
  manifestId: z.number().int().min(1),
  manifestPath: z.string(),
  watermark: Watermark,
  updatedAt: z.string(),
});
export type Pointer = z.infer<typeof Pointer>;

export const EMPTY_WATERMARK: Watermark = { seq: 0, eventId: null };

export function pointerKey(scope: Scope): string {
  return scopedKey(scope, 'projections/pointer.json');
}

export function manifestKey(scope: Scope, manifestId: number, revision: string): string {
  return scopedKey(scope, `projections/manifests/${String(manifestId).padStart(20, '0')}-${revision}.json`);
}

export function deltaFileKey(scope: Scope, deltaId: string, file: string): string {
  return scopedKey(scope, `projections/deltas/${deltaId}/${file}`);
}

export function baseFileKey(scope: Scope, snapshotId: string, file: string): string {
  return scopedKey(scope, `projections/base/${snapshotId}/${file}`);
}

const decoder = new TextDecoder();

export function parseJsonObject<T>(schema: z.ZodType<T>, body: Uint8Array, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch (cause) {
    throw new ServoError(ErrorCode.Corrupt, `${what} is not valid JSON`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ServoError(ErrorCode.Corrupt, `${what} is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  return parsed.data;
}
