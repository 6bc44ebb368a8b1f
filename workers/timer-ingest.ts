import { runProcess } from '../server/process-main.js';
import { startWorker } from '../server/worker.js';

/** Distributed mode, timer-ingest: timer tasks from Cloud Tasks (POST /internal/timers/fired). */
runProcess('timer-ingest', (env, logger) =>
  startWorker(env, logger, { name: 'timer-ingest', roles: ['timer-ingest'] }),
);
