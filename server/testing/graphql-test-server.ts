import { Writable } from 'node:stream';
import type { GraphQLSchema } from 'graphql';
import { pino } from 'pino';
import { Automation } from '../../engine/automation/automation.js';
import { systemClock } from '../../engine/clock.js';
import { createCodeLocationRegistry } from '../../engine/code-location/code-location.js';
import type { Scope } from '../../engine/ledger/scope.js';
import { createHyparquetCodec } from '../../engine/projections/parquet/hyparquet-codec.js';
import { Workspace } from '../../engine/runtime/workspace.js';
import { createStaticTenantSecrets } from '../../engine/secrets.js';
import { createMemoryObjectStore } from '../../engine/storage/memory-object-store.js';
import { LocalTimerQueue } from '../../engine/timers/local-timer-queue.js';
import { apiWorkspaceOf, createApiServices } from '../api-services.js';
import type { Authenticator } from '../auth.js';
import { createGraphqlServer } from '../graphql.js';
import { DEFAULT_GRAPHQL_LIMITS, type GraphqlLimits } from '../graphql-limits.js';
import { createHttpServer, listen } from '../http-server.js';

export interface GraphqlTestServer {
  readonly url: string;
  /** Every log line the server wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * The GraphQL transport (yoga over HTTP and graphql-ws) on a free port, over any schema, with
 * empty in-memory workspaces: for testing authentication, limits and error handling without a
 * seeded Servo.
 */
export async function startGraphqlTestServer(options: {
  schema: GraphQLSchema;
  authenticator: Authenticator;
  scopes: Scope[];
  limits?: Partial<GraphqlLimits>;
}): Promise<GraphqlTestServer> {
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line !== '') logs.push(JSON.parse(line));
        done();
      },
    }),
  );
  const secrets = createStaticTenantSecrets(
    Object.fromEntries(
      options.scopes.map((scope) => [scope.tenantId, Buffer.alloc(32, 7).toString('base64')]),
    ),
  );
  const store = createMemoryObjectStore();
  const workspaces = [];
  for (const scope of options.scopes) {
    const workspace = await Workspace.open(scope, {
      store,
      codec: createHyparquetCodec(),
      clock: systemClock,
      secrets,
    });
    const automation = new Automation({
      workspace,
      clock: systemClock,
      timers: new LocalTimerQueue(systemClock, logger, false),
      codeLocations: createCodeLocationRegistry([]),
      logger,
      domains: [],
      reactors: [],
    });
    workspaces.push(apiWorkspaceOf(automation));
  }
  const limits = { ...DEFAULT_GRAPHQL_LIMITS, ...options.limits };
  const graphql = createGraphqlServer({
    schema: options.schema,
    services: createApiServices({ version: 'test', mode: 'embedded', workspaces, graphqlLimits: limits }),
    authenticator: options.authenticator,
    logger,
    limits,
  });
  const server = createHttpServer(graphql.routes, (error) => logger.error({ err: error }, 'request failed'));
  graphql.attachWebSocket(server);
  const address = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${address.port}`,
    logs,
    async stop() {
      await graphql.close();
      await new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
    },
  };
}
