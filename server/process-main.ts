import { parseEnv, type ServoEnv } from '../engine/config/env.js';
import { isServoError } from '../engine/errors.js';
import type { Logger } from '../engine/logging.js';
import { processLogger } from './process-logger.js';

/**
 * The `main` of every long-running Servo process: parse the environment once (exit 1 listing every
 * problem), start, and on SIGTERM (Cloud Run's stop signal) or SIGINT stop gracefully and exit 0.
 * A second signal, or a stop that outlasts `SERVO_SHUTDOWN_GRACE_MS` plus 5 s, exits at once.
 */
export function runProcess(
  name: string,
  start: (env: ServoEnv, logger: Logger) => Promise<{ stop(): Promise<void> }>,
): void {
  let env: ServoEnv;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    process.stderr.write(`${isServoError(error) ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = processLogger({ process: name, level: env.logLevel, format: env.logFormat });
  start(env, logger).then(
    (running) => {
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) {
          logger.warn({ signal }, 'stopping at once');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, 'stopping');
        setTimeout(() => {
          logger.error({}, 'stopping took too long; exiting');
          process.exit(1);
        }, env.distributed.shutdownGraceMs + 5000).unref();
        running.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'stop failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    },
    (error: unknown) => {
      process.stderr.write(
        `Servo ${name} failed to start: ${isServoError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
