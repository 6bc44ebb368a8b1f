import type { Clock } from '../clock.js';
import { ErrorCode, isServoError, ServoError } from '../errors.js';
import {
  ENVELOPE_SCHEMA_VERSION,
  type EventDraft,
  type LedgerEvent,
  MAX_EVENT_BYTES,
  validateDraft,
  validateEvent,
} from '../model/catalog.js';
import { nextUlid, type RandomSource, ulidTime } from '../model/ulid.js';
import type { ObjectStore } from '../storage/object-store.js';
import { type Scope, scopedKey } from './scope.js';

/**
 * The append-only ledger of one workspace: a gap-free sequence of immutable segments
 * `ledger/segments/{seq}.json`, each holding the events of one decision. A segment is created with a
 * create-only precondition at `head + 1`, so exactly one writer wins each sequence number and
 * readers never see half a decision. Event ids are minted at append from the server clock and are
 * strictly greater than every id in earlier segments, so segment order and event-id order agree:
 * folding segments in order folds events in event-id order, and nothing can land behind a reader's
 * watermark.
 */

export const SEGMENT_FORMAT = 'servo.segment/1';

/** Event ids may be at most this far ahead of the appender's clock. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** Largest serialized segment. */
export const MAX_SEGMENT_BYTES = 32 * 1024 * 1024;

const SEGMENT_PREFIX = 'ledger/segments/';
/** Segments read concurrently while catching up, and how many one read asks for at most. */
const READ_CONCURRENCY = 16;
const READ_AHEAD = 64;
/** Segments one batched read (`ObjectStore.getMany`) asks for at most. */
const BATCH_READ_AHEAD = 256;
const SEQ_DIGITS = 16;

export interface Segment {
  seq: number;
  events: LedgerEvent[];
}

export interface LedgerHead {
  /** Sequence number of the newest segment; 0 when the ledger is empty. */
  seq: number;
  /** Id of the newest event; undefined when the ledger is empty. */
  lastEventId: string | undefined;
}

export interface LedgerOptions {
  store: ObjectStore;
  scope: Scope;
  clock: Clock;
  /** Randomness for event ids; injectable for reproducible simulations. */
  random?: RandomSource;
  /** How many times an append retries after losing a sequence number to another writer. Default 100. */
  maxAppendAttempts?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function segmentKey(scope: Scope, seq: number): string {
  return scopedKey(scope, `${SEGMENT_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}.json`);
}

export class Ledger {
  private readonly store: ObjectStore;
  readonly scope: Scope;
  private readonly clock: Clock;
  private readonly random: RandomSource | undefined;
  private readonly maxAppendAttempts: number;
  /** Newest segment this instance knows exists (never ahead of the truth). */
  private known: LedgerHead = { seq: 0, lastEventId: undefined };

  constructor(options: LedgerOptions) {
    this.store = options.store;
    this.scope = options.scope;
    this.clock = options.clock;
    this.random = options.random;
    this.maxAppendAttempts = options.maxAppendAttempts ?? 100;
  }

  /** Tells the ledger a segment it has not seen itself exists (e.g. from a projection watermark). */
  observe(head: LedgerHead): void {
    if (head.seq > this.known.seq) this.known = head;
  }

  get knownHead(): LedgerHead {
    return this.known;
  }

  /**
   * Validates the drafts, stamps scope and ids, and writes them as one segment. Nothing is written
   * when any draft is invalid. Returns the stored segment.
   */
  async append(drafts: readonly EventDraft[]): Promise<Segment> {
    if (drafts.length === 0)
      throw new ServoError(ErrorCode.InvalidInput, 'a segment needs at least one event');
    const validated = drafts.map((candidate, index) => validateDraft(candidate, `event ${index}`));
    for (let attempt = 1; ; attempt++) {
      const head =
        this.known.seq === 0 && this.known.lastEventId === undefined ? await this.discoverHead() : this.known;
      const now = this.clock.now().getTime();
      let previousId = head.lastEventId;
      const events = validated.map((draft) => {
        previousId = nextUlid(previousId, now, this.random);
        return this.stamp(draft, previousId);
      });
      this.checkFuture(events, now);
      const segment: Segment = { seq: head.seq + 1, events };
      if (await this.tryWrite(segment)) return segment;
      if (attempt >= this.maxAppendAttempts) {
        throw new ServoError(ErrorCode.Contention, `ledger append lost ${attempt} races in a row`, {
          details: { seq: segment.seq },
        });
      }
      await this.discoverHead();
    }
  }

  /**
   * Appends events that already carry ids (imports, golden ledgers). Ids must increase within the
   * batch and be greater than every stored id; scope must match. Fails rather than re-minting.
   */
  async appendEvents(events: readonly LedgerEvent[]): Promise<Segment> {
    if (events.length === 0)
      throw new ServoError(ErrorCode.InvalidInput, 'a segment needs at least one event');
    const validated = events.map((candidate, index) => validateEvent(candidate, `event ${index}`));
    for (const event of validated) this.checkScope(event);
    this.checkFuture(validated, this.clock.now().getTime());
    for (let attempt = 1; ; attempt++) {
      const head = await this.discoverHead();
      let previousId = head.lastEventId;
      for (const event of validated) {
        if (previousId !== undefined && event.eventId <= previousId) {
          throw new ServoError(
            ErrorCode.InvalidInput,
            `event id ${event.eventId} is not after ${previousId}`,
            {
              details: { eventId: event.eventId, previousEventId: previousId },
            },
          );
        }
        previousId = event.eventId;
      }
      const segment: Segment = { seq: head.seq + 1, events: validated };
      if (await this.tryWrite(segment)) return segment;
      if (attempt >= this.maxAppendAttempts) {
        throw new ServoError(ErrorCode.Contention, `ledger append lost ${attempt} races in a row`);
      }
    }
  }

  /** Reads one segment, or undefined if it does not exist (yet). */
  async read(seq: number): Promise<Segment | undefined> {
    const object = await this.store.get(segmentKey(this.scope, seq));
    if (object === undefined) return undefined;
    const segment = parseSegment(object.body, seq);
    this.observe({ seq, lastEventId: segment.events[segment.events.length - 1]?.eventId });
    return segment;
  }

  /**
   * Yields every segment after `seq`, in order, up to the head at the time of the call (or at most
   * `limit` segments). Segments are numbered without gaps, so this reads `seq + 1`, `seq + 2`, …
   * directly until one does not exist yet; it never lists storage, so its cost is the segments
   * read, whatever the size of the ledger. Reads start with one segment (a caller that polls for
   * new segments usually finds none) and double while segments keep coming; the next read is under
   * way while the caller folds the segments of the last one. Where the store reads many objects
   * at once (`getMany`), a read asks for up to 256 segments, else for up to 64, 16 at a time.
   */
  async *readAfter(seq: number, limit = Number.POSITIVE_INFINITY): AsyncGenerator<Segment> {
    const maxWindow = this.store.getMany !== undefined ? BATCH_READ_AHEAD : READ_AHEAD;
    let next = seq + 1;
    let requested = 0;
    let window = 1;
    const request = (): Promise<(Uint8Array | undefined)[]> => {
      const count = Math.min(window, limit - requested);
      const first = next;
      next += count;
      requested += count;
      window = Math.min(window * 2, maxWindow);
      const read = this.readBodies(first, count);
      // A read ahead that is never awaited (the caller stopped early) must not go unhandled.
      read.catch(() => undefined);
      return read;
    };
    let current = request();
    let segmentSeq = seq + 1;
    while (true) {
      const bodies = await current;
      const complete = bodies.every((body) => body !== undefined);
      // The next read runs while these segments are parsed and folded.
      if (complete && requested < limit) current = request();
      for (const body of bodies) {
        if (body === undefined) return;
        const segment = parseSegment(body, segmentSeq);
        segmentSeq += 1;
        this.observe({ seq: segment.seq, lastEventId: segment.events[segment.events.length - 1]?.eventId });
        yield segment;
      }
      if (!complete || requested >= limit) return;
    }
  }

  /** Bodies of segments `first … first + count - 1`; undefined from the first that does not exist. */
  private async readBodies(first: number, count: number): Promise<(Uint8Array | undefined)[]> {
    const keys = Array.from({ length: count }, (_, index) => segmentKey(this.scope, first + index));
    const objects =
      this.store.getMany !== undefined
        ? await this.store.getMany(keys)
        : await mapConcurrent(keys, READ_CONCURRENCY, (key) => this.store.get(key));
    return objects.map((object) => object?.body);
  }

  /**
   * Finds the newest segment: probes forward from the newest one known with exponentially growing
   * steps, then bisects (segments have no gaps, so "n exists" implies every m < n exists).
   */
  async discoverHead(): Promise<LedgerHead> {
    let present = this.known.seq;
    let step = 1;
    let absent: number | undefined;
    while (absent === undefined) {
      const probe = present + step;
      if (await this.exists(probe)) {
        present = probe;
        step *= 2;
      } else {
        absent = probe;
      }
    }
    while (absent - present > 1) {
      const middle = Math.floor((present + absent) / 2);
      if (await this.exists(middle)) present = middle;
      else absent = middle;
    }
    if (present > this.known.seq || (present > 0 && this.known.lastEventId === undefined)) {
      const segment = await this.read(present);
      if (segment === undefined)
        throw new ServoError(ErrorCode.Corrupt, `ledger segment ${present} disappeared`);
    }
    return this.known;
  }

  private async exists(seq: number): Promise<boolean> {
    return (await this.store.head(segmentKey(this.scope, seq))) !== undefined;
  }

  private stamp(draft: EventDraft, eventId: string): LedgerEvent {
    return {
      eventId,
      type: draft.type,
      tenantId: this.scope.tenantId,
      workspaceId: this.scope.workspaceId,
      idempotencyKey: draft.idempotencyKey,
      occurredAt: draft.occurredAt,
      payload: draft.payload,
      schemaVersion: ENVELOPE_SCHEMA_VERSION,
    } as LedgerEvent;
  }

  private checkScope(event: LedgerEvent): void {
    if (event.tenantId !== this.scope.tenantId || event.workspaceId !== this.scope.workspaceId) {
      throw new ServoError(
        ErrorCode.ScopeMismatch,
        `event ${event.eventId} belongs to ${event.tenantId}/${event.workspaceId}, not ${this.scope.tenantId}/${this.scope.workspaceId}`,
      );
    }
  }

  private checkFuture(events: readonly LedgerEvent[], now: number): void {
    for (const event of events) {
      const ahead = ulidTime(event.eventId) - now;
      if (ahead > MAX_FUTURE_SKEW_MS) {
        throw new ServoError(
          ErrorCode.EventFromFuture,
          `event id ${event.eventId} is ${Math.round(ahead / 1000)} s ahead of this server's clock (limit ${MAX_FUTURE_SKEW_MS / 1000} s)`,
          { details: { eventId: event.eventId, aheadMs: ahead } },
        );
      }
    }
  }

  /** Writes a segment create-only. True on success (or when the identical segment is already there). */
  private async tryWrite(segment: Segment): Promise<boolean> {
    const body = serializeSegment(segment);
    const key = segmentKey(this.scope, segment.seq);
    try {
      await this.store.put(key, body, { ifNotExists: true, contentType: 'application/json' });
    } catch (error) {
      if (!isServoError(error, ErrorCode.PreconditionFailed)) throw error;
      // A retry of a write whose acknowledgement was lost finds its own bytes: that is success.
      const existing = await this.store.get(key);
      if (existing !== undefined && equalBytes(existing.body, body)) {
        this.observe({ seq: segment.seq, lastEventId: segment.events[segment.events.length - 1]?.eventId });
        return true;
      }
      return false;
    }
    this.observe({ seq: segment.seq, lastEventId: segment.events[segment.events.length - 1]?.eventId });
    return true;
  }
}

export function serializeSegment(segment: Segment): Uint8Array {
  const parts: string[] = [];
  for (const event of segment.events) {
    const text = JSON.stringify(event);
    if (text.length > MAX_EVENT_BYTES) {
      throw new ServoError(
        ErrorCode.PayloadTooLarge,
        `event ${event.type} is ${text.length} bytes; the limit is ${MAX_EVENT_BYTES}`,
        { details: { type: event.type, bytes: text.length, limit: MAX_EVENT_BYTES } },
      );
    }
    parts.push(text);
  }
  const body = encoder.encode(
    `{"format":"${SEGMENT_FORMAT}","seq":${segment.seq},"events":[${parts.join(',')}]}`,
  );
  if (body.length > MAX_SEGMENT_BYTES) {
    throw new ServoError(
      ErrorCode.PayloadTooLarge,
      `segment is ${body.length} bytes; the limit is ${MAX_SEGMENT_BYTES}`,
      {
        details: { bytes: body.length, limit: MAX_SEGMENT_BYTES },
      },
    );
  }
  return body;
}

/** Parses a stored segment. Events were validated at append, so only the frame is checked here. */
export function parseSegment(body: Uint8Array, expectedSeq: number): Segment {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch (cause) {
    throw new ServoError(ErrorCode.Corrupt, `ledger segment ${expectedSeq} is not valid JSON`, { cause });
  }
  const frame = parsed as { format?: unknown; seq?: unknown; events?: unknown };
  if (frame.format !== SEGMENT_FORMAT || frame.seq !== expectedSeq || !Array.isArray(frame.events)) {
    throw new ServoError(ErrorCode.Corrupt, `ledger segment ${expectedSeq} has an unexpected frame`);
  }
  return { seq: expectedSeq, events: frame.events as LedgerEvent[] };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}
