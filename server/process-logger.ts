import { pino } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '../engine/logging.js';

/** How a process writes its log: JSON lines (for log collectors) or readable lines (for people). */
export type LogFormat = 'json' | 'pretty';

/** `SERVO_LOG_FORMAT`'s values; unset means pretty on a terminal and JSON lines anywhere else. */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/**
 * The logger of one Servo process (`process` names it in every line). Pretty output is written
 * synchronously in this thread, so lines are never lost when the process exits.
 */
export function processLogger(options: {
  process: string;
  level: string;
  format: LogFormat | undefined;
}): Logger {
  const format = options.format ?? (process.stdout.isTTY === true ? 'pretty' : 'json');
  const settings = { level: options.level, base: { process: options.process } };
  if (format === 'json') return pino(settings);
  return pino(
    settings,
    pretty({
      colorize: process.stdout.isTTY === true,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
    }),
  );
}
