import { z } from 'zod';

/**
 * Value schemas shared by the event catalog. Names are restricted to a safe alphabet so they can
 * appear inside derived ids (`{scheduleId}:{epoch}`) and object keys without escaping.
 */

/** Code location, schedule, sensor and partitions-definition names. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const Name = z.string().regex(NAME_PATTERN, 'must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');

/** Tenant and workspace ids: lowercase, used verbatim in storage prefixes. */
export const SCOPE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const ScopeId = z.string().regex(SCOPE_ID_PATTERN, 'must match [a-z0-9][a-z0-9_-]{0,62}');

/**
 * An asset key in its string form: path segments joined by `/` (Dagster's `AssetKey.path`).
 * Segments use the name alphabet.
 */
export const ASSET_KEY_PATTERN =
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}){0,7}$/;
export const AssetKey = z.string().regex(ASSET_KEY_PATTERN, 'must be slash-separated name segments');

/** Ids minted by Servo or derived from inputs (`sched:loc:name:1700000000`, ULIDs, hashes). */
export const Id = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** A partition key: any non-empty Unicode text without control characters, at most 1024 chars. */
export const PartitionKey = z
  .string()
  .min(1)
  .max(1024)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

/** An instant as an ISO-8601 UTC string with milliseconds, e.g. `2026-01-01T00:00:00.000Z`. */
export const Instant = z.iso.datetime({ offset: false, precision: 3 });

export const NonNegativeInt = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
export const PositiveInt = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);

/** Free-form string tags (Dagster's run tags). */
export const Tags = z.record(z.string().min(1).max(256), z.string().max(4096));

export const ErrorInfo = z.object({
  message: z.string().max(16_384),
  className: z.string().max(256).optional(),
  stack: z.string().max(65_536).optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** Who or what made a change: a user id, an API key id, or `system`. */
export const Actor = z.string().min(1).max(256);

/** Priority lanes for admission, highest first by default. */
export const Lane = z.enum(['manual', 'schedule', 'sensor', 'backfill']);
export type Lane = z.infer<typeof Lane>;

/** Operator-facing on/off state of a schedule or sensor. `DEFAULT` returns to the definition's default. */
export const InstigatorStatus = z.enum(['RUNNING', 'STOPPED']);
export type InstigatorStatus = z.infer<typeof InstigatorStatus>;

export const TimeCadence = z.enum(['hourly', 'daily', 'weekly', 'monthly']);
export type TimeCadence = z.infer<typeof TimeCadence>;

const TimeWindowPartitions = z.object({
  kind: z.literal('time'),
  cadence: TimeCadence,
  /** First window's start in local time of `timezone`: `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm`. */
  start: z.string().min(10).max(32),
  /** Exclusive end of the last window, same format; open-ended when absent. */
  end: z.string().min(10).max(32).optional(),
  timezone: z.string().min(1).max(64).default('UTC'),
  /** strftime-style key format; the cadence's default when absent (`%Y-%m-%d` for daily). */
  format: z.string().min(2).max(64).optional(),
  minuteOffset: z.number().int().min(0).max(59).optional(),
  hourOffset: z.number().int().min(0).max(23).optional(),
  /** Day of week (0 = Sunday) for weekly, day of month (1–28) for monthly. */
  dayOffset: z.number().int().min(0).max(28).optional(),
});

const StaticPartitions = z.object({
  kind: z.literal('static'),
  keys: z.array(PartitionKey).min(1).max(100_000),
});

const DynamicPartitions = z.object({
  kind: z.literal('dynamic'),
  name: Name,
});

export const SingleDimensionPartitions = z.discriminatedUnion('kind', [
  TimeWindowPartitions,
  StaticPartitions,
  DynamicPartitions,
]);
export type SingleDimensionPartitions = z.infer<typeof SingleDimensionPartitions>;

const MultiPartitions = z.object({
  kind: z.literal('multi'),
  dimensions: z
    .array(z.object({ name: Name, partitions: SingleDimensionPartitions }))
    .length(2, 'a multi-partitions definition has exactly two dimensions'),
});

/** How an asset is partitioned (Dagster's PartitionsDefinition). */
export const PartitionsDefinition = z.discriminatedUnion('kind', [
  TimeWindowPartitions,
  StaticPartitions,
  DynamicPartitions,
  MultiPartitions,
]);
export type PartitionsDefinition = z.infer<typeof PartitionsDefinition>;

/**
 * A compact description of a set of partitions. The selector is stored, never the key list, so a
 * backfill over millions of partitions stays a small event.
 */
export const PartitionSelector = z.discriminatedUnion('kind', [
  /** Inclusive range of keys of a time-window or static definition (or of one multi dimension). */
  z.object({ kind: z.literal('range'), start: PartitionKey, end: PartitionKey }),
  /** Several inclusive ranges (Dagster's `PartitionsSelector.ranges`). */
  z.object({
    kind: z.literal('ranges'),
    ranges: z
      .array(z.object({ start: PartitionKey, end: PartitionKey }))
      .min(1)
      .max(1000),
  }),
  z.object({ kind: z.literal('explicit'), keys: z.array(PartitionKey).min(1).max(100_000) }),
  /** Per-dimension filters of a multi-partitions definition; a missing dimension means all values. */
  z.object({
    kind: z.literal('filter'),
    dimensions: z.record(
      Name,
      z.union([
        z.object({ values: z.array(PartitionKey).min(1).max(100_000) }),
        z.object({ start: PartitionKey, end: PartitionKey }),
      ]),
    ),
  }),
  z.object({ kind: z.literal('all') }),
]);
export type PartitionSelector = z.infer<typeof PartitionSelector>;

/** What caused a run request: the back-reference shown in the UI and used for correlation. */
export const RunSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('schedule'), scheduleId: Id, tickId: Id }),
  z.object({ kind: z.literal('sensor'), sensorId: Id, evalId: Id }),
  z.object({ kind: z.literal('backfill'), backfillId: Id, chunkId: Id }),
  z.object({ kind: z.literal('manual'), requestedBy: Actor, requestId: Id }),
]);
export type RunSource = z.infer<typeof RunSource>;
