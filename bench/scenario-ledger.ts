/**
 * Ledgers for benchmarks: `generateScenario` (daily schedule ticks whose runs go through admission,
 * dispatch, heartbeats, retries and success; poll and push sensor evaluations; a conflict; a
 * backfill; timers; a quarantined message — every projection table) serialized to segment bytes.
 *
 * One scenario day makes about 19.7 events per schedule in about 15.5 segments (one controller
 * decision per segment, as the controllers append them), so `MILLION_EVENT_LEDGER` is 1,009,908
 * events in 790,581 segments, whose fold holds 472,331 rows (66,340 of them idempotency keys: only
 * event types deduplicated by key record one). Ten days keep every row inside its retention window
 * except fired timers (7 days).
 */
import { serializeSegment } from '../engine/ledger/ledger.js';
import { generateScenario, type ScenarioOptions } from '../engine/testing/scenario.js';

export type LedgerShape = Required<Pick<ScenarioOptions, 'days' | 'schedules' | 'seed'>>;

/** ≥ 1,000,000 events (B1, B2). */
export const MILLION_EVENT_LEDGER: LedgerShape = { days: 10, schedules: 5100, seed: 1 };

export interface SerializedLedger {
  /** Segment `seq` is `bodies[seq - 1]`, exactly the bytes `Ledger` stores. */
  bodies: Uint8Array[];
  events: number;
  lastEventId: string;
}

/**
 * Generates the scenario and serializes it segment by segment, dropping each segment's event
 * objects once serialized, so what stays on the heap is bytes, not a million small objects.
 */
export function serializedScenario(shape: LedgerShape): SerializedLedger {
  const segments = generateScenario(shape);
  const bodies = new Array<Uint8Array>(segments.length);
  let events = 0;
  let lastEventId = '';
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    bodies[index] = serializeSegment({ seq: index + 1, events: segment });
    events += segment.length;
    lastEventId = segment[segment.length - 1]?.eventId ?? lastEventId;
    segments[index] = [];
  }
  return { bodies, events, lastEventId };
}
