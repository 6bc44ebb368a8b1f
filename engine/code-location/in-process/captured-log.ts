import type { Logger } from '../../logging.js';
import type { TaskLog } from '../sdk/asset.js';

/** What `TaskFinishedBody.logs` may hold: the last 256 KiB of an attempt's log lines. */
export const MAX_LOG_BYTES = 262_144;
const DROPPED_MARKER_BYTES = 64;

type Level = 'info' | 'warn' | 'error';

/**
 * The log of one attempt: lines `2026-01-01T00:00:00.000Z INFO message {"fields":…}` kept in order,
 * dropping the oldest once they exceed 256 KiB (UTF-8), so the end of a long run, where failures
 * are, is what Servo receives. Each line is also passed to the process logger when there is one.
 */
export class CapturedLog implements TaskLog {
  private readonly lines: string[] = [];
  private bytes = 0;
  private droppedBytes = 0;

  constructor(
    private readonly now: () => Date,
    private readonly logger?: Logger,
  ) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.append('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.append('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.append('error', message, fields);
  }

  /** The captured text, or undefined when nothing was logged. */
  text(): string | undefined {
    if (this.lines.length === 0 && this.droppedBytes === 0) return undefined;
    const head = this.droppedBytes > 0 ? `[${this.droppedBytes} earlier log bytes dropped]\n` : '';
    return head + this.lines.join('');
  }

  private append(level: Level, message: string, fields: Record<string, unknown> | undefined): void {
    this.logger?.[level](fields === undefined ? {} : { fields }, message);
    let line = `${this.now().toISOString()} ${level.toUpperCase()} ${String(message)}`;
    if (fields !== undefined && Object.keys(fields).length > 0) line += ` ${safeJson(fields)}`;
    line += '\n';
    const budget = MAX_LOG_BYTES - DROPPED_MARKER_BYTES;
    let size = Buffer.byteLength(line);
    if (size > budget) {
      // One huge line: keep its end, cut on a character boundary.
      const kept = Buffer.from(line)
        .subarray(size - budget)
        .toString('utf8')
        .replace(/^\uFFFD+/, '');
      this.droppedBytes += size - Buffer.byteLength(kept);
      line = kept;
      size = Buffer.byteLength(line);
    }
    this.lines.push(line);
    this.bytes += size;
    while (this.bytes > budget) {
      const dropped = this.lines.shift() ?? '';
      const droppedSize = Buffer.byteLength(dropped);
      this.bytes -= droppedSize;
      this.droppedBytes += droppedSize;
    }
  }
}

function safeJson(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value instanceof Error ? value.message : value,
    );
  } catch {
    return '[unserializable fields]';
  }
}
