import { ErrorCode, invalidInput, ServoError } from '../../errors.js';
import { MS_PER_DAY, MS_PER_SECOND } from './civil-date.js';

/**
 * A stretch of real time over which a zone's UTC offset does not change. Wall time = instant +
 * offset. Pieces tile the time line; neighbouring pieces may have the same offset (a piece also ends
 * where the cache's blocks do).
 */
export interface OffsetPiece {
  /** First instant, epoch ms (inclusive). */
  readonly start: number;
  /** Epoch ms (exclusive). */
  readonly end: number;
  /** UTC offset in ms inside the piece. */
  readonly offset: number;
}

/**
 * The UTC offsets of one IANA time zone, read from `Intl` and cached in blocks of real time.
 *
 * `Intl` only answers "what is the offset at this instant" (about 1 µs a call), so each block
 * samples the offset once a UTC day and bisects to the second wherever two samples differ. This
 * finds every transition as long as no two are less than a day apart, which holds for every zone
 * `Intl` lists (checked from 1970 to 2040 at six-hour resolution). A zone is read once per block
 * however many schedules use it.
 */
export class TimeZoneOffsets {
  readonly name: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly blocks = new Map<number, readonly OffsetPiece[]>();
  /** Set for zones that never change offset (`UTC`, `Etc/GMT+5`, …): one piece for all time. */
  private readonly constant: OffsetPiece | undefined;

  constructor(name: string, format: Intl.DateTimeFormat) {
    this.name = name;
    this.format = format;
    const resolved = format.resolvedOptions().timeZone;
    this.constant = CONSTANT_ZONE.test(resolved)
      ? { start: MIN_INSTANT, end: MAX_INSTANT, offset: this.offsetAt(0) }
      : undefined;
  }

  /** The piece containing `instant` (epoch ms within `MIN_INSTANT`…`MAX_INSTANT`). */
  pieceAt(instant: number): OffsetPiece {
    if (this.constant !== undefined) return this.constant;
    const index = Math.floor(instant / BLOCK_MS);
    let pieces = this.blocks.get(index);
    if (pieces === undefined) {
      pieces = this.readBlock(index);
      if (this.blocks.size >= BLOCK_CACHE_LIMIT) this.blocks.clear();
      this.blocks.set(index, pieces);
    }
    for (const piece of pieces) if (instant < piece.end) return piece;
    // Unreachable: the last piece of a block ends where the block does.
    return pieces[pieces.length - 1]!;
  }

  /** The piece just before `piece`, or undefined at the start of representable time. */
  pieceBefore(piece: OffsetPiece): OffsetPiece | undefined {
    return piece.start <= MIN_INSTANT ? undefined : this.pieceAt(piece.start - 1);
  }

  /** The piece just after `piece`, or undefined at the end of representable time. */
  pieceAfter(piece: OffsetPiece): OffsetPiece | undefined {
    return piece.end >= MAX_INSTANT ? undefined : this.pieceAt(piece.end);
  }

  /** The UTC offset in ms at an instant, straight from `Intl`. */
  offsetAt(instant: number): number {
    const text = this.format.format(instant);
    const match = OFFSET_PATTERN.exec(text.slice(text.lastIndexOf('GMT') + 3));
    if (match === null) throw new Error(`unexpected Intl offset '${text}' for time zone ${this.name}`);
    const [, sign, hours = '0', minutes = '0', seconds = '0'] = match;
    const magnitude = (Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) * MS_PER_SECOND;
    return sign === '-' || sign === '\u2212' ? -magnitude : magnitude;
  }

  private readBlock(index: number): readonly OffsetPiece[] {
    const start = index * BLOCK_MS;
    const end = start + BLOCK_MS;
    const pieces: OffsetPiece[] = [];
    let pieceStart = start;
    let current = this.offsetAt(start);
    let sampledAt = start;
    let sampled = current;
    for (let day = 1; day <= BLOCK_DAYS; day++) {
      const next = start + day * MS_PER_DAY;
      const offset = this.offsetAt(next);
      if (offset !== sampled) {
        const transition = this.transitionBetween(sampledAt, next, offset);
        // A transition exactly at `end` belongs to the next block.
        if (transition < end) {
          pieces.push({ start: pieceStart, end: transition, offset: current });
          pieceStart = transition;
          current = offset;
        }
      }
      sampledAt = next;
      sampled = offset;
    }
    pieces.push({ start: pieceStart, end, offset: current });
    return pieces;
  }

  /** The first whole second in (from, to] with offset `after`, given one transition in between. */
  private transitionBetween(from: number, to: number, after: number): number {
    let low = from / MS_PER_SECOND;
    let high = to / MS_PER_SECOND;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.offsetAt(middle * MS_PER_SECOND) === after) high = middle;
      else low = middle;
    }
    return high * MS_PER_SECOND;
  }
}

/** The earliest and latest instants a schedule clock accepts: years 1 to 9999, UTC. */
export const MIN_INSTANT = -62_135_596_800_000;
export const MAX_INSTANT = 253_402_300_800_000;

/**
 * Validates an IANA time zone name and returns its (cached) offsets. Accepts every name that
 * `Intl.DateTimeFormat` accepts (`Intl.supportedValuesOf('timeZone')` plus aliases such as `UTC`,
 * `Etc/UTC`, `US/Eastern`), but not bare UTC offsets like `+05:00`, which are not zones and which
 * newer runtimes accept. Throws `ServoError(INVALID_INPUT)` naming the zone.
 */
export function timeZoneOffsets(name: string): TimeZoneOffsets {
  const cached = zones.get(name);
  if (cached !== undefined) return cached;
  if (typeof name !== 'string' || name.trim() === '') throw invalidInput('time zone is empty');
  if (!/^[A-Za-z]/.test(name)) {
    throw invalidInput(`time zone '${name}' is not an IANA time zone name (e.g. 'Europe/Paris' or 'UTC')`, {
      timezone: name,
    });
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
  } catch (cause) {
    throw new ServoError(ErrorCode.InvalidInput, `time zone '${name}' is not a known IANA time zone`, {
      details: { timezone: name },
      cause,
    });
  }
  const offsets = new TimeZoneOffsets(name, format);
  if (zones.size >= ZONE_CACHE_LIMIT) zones.clear();
  zones.set(name, offsets);
  return offsets;
}

/** Throws `ServoError(INVALID_INPUT)` unless `name` is a time zone `timeZoneOffsets` accepts. */
export function validateTimeZone(name: string): void {
  timeZoneOffsets(name);
}

const BLOCK_DAYS = 8;
const BLOCK_MS = BLOCK_DAYS * MS_PER_DAY;
const BLOCK_CACHE_LIMIT = 4096;
const ZONE_CACHE_LIMIT = 2048;
const zones = new Map<string, TimeZoneOffsets>();
const OFFSET_PATTERN = /^(?:([+\-\u2212])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/;
/** Zones whose offset is fixed by definition. */
const CONSTANT_ZONE = /^(?:Etc\/)?(?:UTC|UCT|GMT0?|Universal|Zulu|Greenwich|GMT[+-]\d{1,2})$/;
