import { z } from 'zod';
import { ErrorCode, ServoError } from '../errors.js';
import { Instant, ScopeId } from './common.js';
import type { EventType } from './event-type.js';
import {
  PushMessageQuarantined,
  PushMessageReplayed,
  ScheduleStatusChanged,
  ScheduleTicked,
  SensorCursorSet,
  SensorEvaluated,
  SensorStatusChanged,
} from './events/automation.js';
import { BackfillChunkPlanned, BackfillCreated, BackfillStateChanged } from './events/backfills.js';
import {
  AssetDefinitionRemoved,
  AssetDefinitionUpserted,
  CodeLocationDeployed,
  DynamicPartitionsChanged,
  ScheduleDefinitionUpserted,
  ScheduleDeleted,
  SensorDefinitionUpserted,
  SensorDeleted,
} from './events/definitions.js';
import {
  PlanCreated,
  PlanFailed,
  RunAdmitted,
  RunCancelRequested,
  RunDeleted,
  RunRequested,
  RunTriggered,
  TaskDispatchEnqueued,
  TaskDispatchRequested,
  TaskFinished,
  TaskHeartbeat,
  TaskStarted,
} from './events/runs.js';
import { TimerFired, TimerRequested } from './events/timers.js';
import { isUlid } from './ulid.js';

/** Every event type Servo writes, by persisted `type` string. See docs/protocol.md. */
export const EVENT_TYPES = {
  [CodeLocationDeployed.type]: CodeLocationDeployed,
  [AssetDefinitionUpserted.type]: AssetDefinitionUpserted,
  [AssetDefinitionRemoved.type]: AssetDefinitionRemoved,
  [DynamicPartitionsChanged.type]: DynamicPartitionsChanged,
  [ScheduleDefinitionUpserted.type]: ScheduleDefinitionUpserted,
  [ScheduleDeleted.type]: ScheduleDeleted,
  [ScheduleStatusChanged.type]: ScheduleStatusChanged,
  [ScheduleTicked.type]: ScheduleTicked,
  [SensorDefinitionUpserted.type]: SensorDefinitionUpserted,
  [SensorDeleted.type]: SensorDeleted,
  [SensorStatusChanged.type]: SensorStatusChanged,
  [SensorCursorSet.type]: SensorCursorSet,
  [SensorEvaluated.type]: SensorEvaluated,
  [PushMessageQuarantined.type]: PushMessageQuarantined,
  [PushMessageReplayed.type]: PushMessageReplayed,
  [RunRequested.type]: RunRequested,
  [RunTriggered.type]: RunTriggered,
  [PlanCreated.type]: PlanCreated,
  [PlanFailed.type]: PlanFailed,
  [RunAdmitted.type]: RunAdmitted,
  [RunCancelRequested.type]: RunCancelRequested,
  [RunDeleted.type]: RunDeleted,
  [TaskDispatchRequested.type]: TaskDispatchRequested,
  [TaskDispatchEnqueued.type]: TaskDispatchEnqueued,
  [TaskStarted.type]: TaskStarted,
  [TaskHeartbeat.type]: TaskHeartbeat,
  [TaskFinished.type]: TaskFinished,
  [BackfillCreated.type]: BackfillCreated,
  [BackfillChunkPlanned.type]: BackfillChunkPlanned,
  [BackfillStateChanged.type]: BackfillStateChanged,
  [TimerRequested.type]: TimerRequested,
  [TimerFired.type]: TimerFired,
} as const;

type Catalog = typeof EVENT_TYPES;
export type EventTypeName = keyof Catalog;
export type PayloadOf<T extends EventTypeName> = z.infer<Catalog[T]['payload']>;

/** The version of the envelope layout itself (payload versions live in the `type` string). */
export const ENVELOPE_SCHEMA_VERSION = 1;

export interface Envelope<T extends EventTypeName = EventTypeName> {
  /** ULID minted by the ledger from the server clock; the only ordering key. */
  eventId: string;
  type: T;
  tenantId: string;
  workspaceId: string;
  idempotencyKey: string;
  /** Producer's clock when the decision was made (business time, never used for ordering). */
  occurredAt: string;
  payload: PayloadOf<T>;
  schemaVersion: typeof ENVELOPE_SCHEMA_VERSION;
}

/** A ledger event: the discriminated union of every catalog entry. */
export type LedgerEvent = { [T in EventTypeName]: Envelope<T> }[EventTypeName];

/** An event before the ledger stamps its id and scope. */
export type EventDraft = {
  [T in EventTypeName]: Pick<Envelope<T>, 'type' | 'payload' | 'occurredAt' | 'idempotencyKey'>;
}[EventTypeName];

/** Largest serialized event the ledger accepts. */
export const MAX_EVENT_BYTES = 2 * 1024 * 1024;

export function isKnownEventType(type: string): type is EventTypeName {
  return Object.hasOwn(EVENT_TYPES, type);
}

export function eventTypeOf<T extends EventTypeName>(type: T): Catalog[T] {
  return EVENT_TYPES[type];
}

/**
 * Builds a draft with the type's default idempotency key. `overrides.idempotencyKey` replaces it
 * where a producer needs another dedupe scope.
 */
export function draft<T extends EventTypeName>(
  type: T,
  payload: PayloadOf<T>,
  occurredAt: Date | string,
  overrides: { idempotencyKey?: string } = {},
): Extract<EventDraft, { type: T }> {
  const definition = EVENT_TYPES[type] as unknown as EventType<T, z.ZodType<PayloadOf<T>>>;
  const result = {
    type,
    payload,
    occurredAt: typeof occurredAt === 'string' ? occurredAt : occurredAt.toISOString(),
    idempotencyKey: overrides.idempotencyKey ?? definition.idempotencyKey(payload),
  };
  return result as unknown as Extract<EventDraft, { type: T }>;
}

const EnvelopeShape = z.object({
  eventId: z.string().refine(isUlid, 'must be a ULID'),
  type: z.string().min(1).max(128),
  tenantId: ScopeId,
  workspaceId: ScopeId,
  idempotencyKey: z.string().min(1).max(1024),
  occurredAt: Instant,
  payload: z.unknown(),
  schemaVersion: z.literal(ENVELOPE_SCHEMA_VERSION),
});

const DraftShape = EnvelopeShape.pick({ type: true, idempotencyKey: true, occurredAt: true, payload: true });

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function validatePayload(type: string, payload: unknown, where: string): unknown {
  if (!isKnownEventType(type)) {
    throw new ServoError(ErrorCode.UnknownEventType, `${where}: unknown event type "${type}"`, {
      details: { type },
    });
  }
  const parsed = EVENT_TYPES[type].payload.safeParse(payload);
  if (!parsed.success) {
    throw new ServoError(
      ErrorCode.InvalidInput,
      `${where}: invalid ${type} payload: ${describeIssues(parsed.error)}`,
      {
        details: { type, issues: parsed.error.issues.slice(0, 20) },
      },
    );
  }
  return parsed.data;
}

/**
 * Validates a draft: envelope fields, known type, payload schema and size. Returns the draft with
 * its payload normalized by the schema (defaults applied). Throws a typed `ServoError`.
 */
export function validateDraft(input: unknown, where = 'event'): EventDraft {
  const shape = DraftShape.safeParse(input);
  if (!shape.success) {
    throw new ServoError(
      ErrorCode.InvalidInput,
      `${where}: malformed event: ${describeIssues(shape.error)}`,
      {
        details: { issues: shape.error.issues.slice(0, 20) },
      },
    );
  }
  const payload = validatePayload(shape.data.type, shape.data.payload, where);
  return { ...shape.data, payload } as EventDraft;
}

/** Validates a complete ledger event (envelope and payload). Throws a typed `ServoError`. */
export function validateEvent(input: unknown, where = 'event'): LedgerEvent {
  const shape = EnvelopeShape.safeParse(input);
  if (!shape.success) {
    throw new ServoError(
      ErrorCode.InvalidInput,
      `${where}: malformed event: ${describeIssues(shape.error)}`,
      {
        details: { issues: shape.error.issues.slice(0, 20) },
      },
    );
  }
  const payload = validatePayload(shape.data.type, shape.data.payload, where);
  return { ...shape.data, payload } as LedgerEvent;
}
