import { runProcess } from '../server/process-main.js';
import { startWorker } from '../server/worker.js';

/** Distributed mode, the API: GraphQL over HTTP, SSE and graphql-ws, GraphiQL, task callbacks. */
runProcess('api', (env, logger) => startWorker(env, logger, { name: 'api', roles: ['api'] }));
