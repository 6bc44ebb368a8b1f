import { runProcess } from '../server/process-main.js';
import { startWorker } from '../server/worker.js';

/** Distributed mode, push-ingest: Pub/Sub push messages for push sensors (POST /push/{codeLocation}/{sensor}). */
runProcess('push-ingest', (env, logger) =>
  startWorker(env, logger, { name: 'push-ingest', roles: ['push-ingest'] }),
);
