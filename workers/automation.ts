import { runProcess } from '../server/process-main.js';
import { AUTOMATION_ROLES, startWorker } from '../server/worker.js';

/**
 * Distributed mode, every role but the API in one process (timer-ingest, push-ingest, run-requests,
 * compactor): with `workers/api.ts` beside it, Servo split in two processes over shared storage.
 */
runProcess('automation', (env, logger) =>
  startWorker(env, logger, { name: 'automation', roles: AUTOMATION_ROLES }),
);
