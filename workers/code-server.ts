import { isServoError } from '../engine/errors.js';
import { runCodeServer } from '../server/code-server.js';

/** `servo code-server <module>` as its own entrypoint: serves a code location module over HTTP. */
runCodeServer(process.argv[2], process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `code server failed: ${isServoError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
