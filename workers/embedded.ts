import { parseEnv } from '../engine/config/env.js';
import { isServoError } from '../engine/errors.js';
import { startEmbedded } from '../server/embedded.js';
import { processLogger } from '../server/process-logger.js';

/** `npm start`: Servo embedded in one process on local disk. */
async function main(): Promise<void> {
  let env: ReturnType<typeof parseEnv>;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    process.stderr.write(`${isServoError(error) ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = processLogger({ process: 'embedded', level: env.logLevel, format: env.logFormat });
  const servo = await startEmbedded(env, logger);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    servo.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const reason = isServoError(error)
    ? error.message
    : error instanceof Error
      ? (error.stack ?? error.message)
      : String(error);
  process.stderr.write(`Servo failed to start: ${reason}\n`);
  process.exit(1);
});
