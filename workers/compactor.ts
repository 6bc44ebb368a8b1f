import { runProcess } from '../server/process-main.js';
import { startWorker } from '../server/worker.js';

/** Distributed mode, the compactor: publishes the projections. */
runProcess('compactor', (env, logger) =>
  startWorker(env, logger, { name: 'compactor', roles: ['compactor'] }),
);
