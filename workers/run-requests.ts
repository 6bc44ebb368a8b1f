import { runProcess } from '../server/process-main.js';
import { startWorker } from '../server/worker.js';

/** Distributed mode, run-requests and dispatch: follows the ledger and turns run requests into dispatched tasks. */
runProcess('run-requests', (env, logger) =>
  startWorker(env, logger, { name: 'run-requests', roles: ['run-requests'] }),
);
