import type { IncomingMessage, Server } from 'node:http';
import { type ExecutionArgs, GraphQLError, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { ErrorCode, isServoError } from '../engine/errors.js';
import type { Logger } from '../engine/logging.js';
import { type ApiContext, type ApiServices, createApiContext, type Principal } from '../resolvers/context.js';
import {
  type Authenticator,
  type Credentials,
  credentialsFromConnectionParams,
  credentialsFromHeaders,
} from './auth.js';
import { graphiqlAssetRoutes, renderOfflineGraphiQL } from './graphiql.js';
import { compiledExecutionPlugin } from './graphql-compiled-execution.js';
import { createErrorMasker, workspaceNotServed } from './graphql-errors.js';
import { type GraphqlLimits, limitsPlugin } from './graphql-limits.js';
import { ResponseCacheStats, responseCachePlugin } from './graphql-response-cache.js';
import type { RouteHandler } from './http-server.js';

export const GRAPHQL_ENDPOINT = '/graphql';

export interface GraphqlServerOptions {
  schema: GraphQLSchema;
  services: ApiServices;
  authenticator: Authenticator;
  logger: Logger;
  limits: GraphqlLimits;
  /** Operations preloaded as GraphiQL tabs. */
  examples?: { query: string; variables?: string }[];
  /** Show unexpected errors' messages (never in production). */
  unmaskErrors?: boolean;
}

export interface GraphqlServer {
  /** HTTP routes: GraphQL (queries, mutations, SSE subscriptions), GraphiQL and its files. */
  routes: RouteHandler[];
  /** Serves graphql-ws on the same port: call once with the process's HTTP server. */
  attachWebSocket(server: Server): void;
  /** How often answers were reused (server/graphql-response-cache.ts). */
  readonly responseCache: ResponseCacheStats;
  close(): Promise<void>;
}

interface ServerContext {
  req?: IncomingMessage;
  connectionParams?: Readonly<Record<string, unknown>>;
}

/**
 * The GraphQL API over HTTP (graphql-yoga: POST and GET, GraphQL over SSE for subscriptions,
 * GraphiQL) and graphql-ws on the same port. WebSocket messages go through yoga's envelope, so both
 * transports share plugins, limits, authentication and context.
 */
export function createGraphqlServer(options: GraphqlServerOptions): GraphqlServer {
  const { authenticator, services, logger } = options;
  const masker = createErrorMasker(logger);
  const responseCache = new ResponseCacheStats();
  /** The request's context: who is calling, and the one workspace their credential is for. */
  const contextFor = async (credentials: Credentials): Promise<ApiContext> => {
    const principal = await authenticator.authenticate(credentials);
    return apiContextOf(services, principal);
  };
  const graphiql: GraphiQLOptions = {
    title: 'Servo',
    subscriptionsProtocol: 'WS',
    ...(options.examples === undefined || options.examples.length === 0
      ? {}
      : { defaultTabs: options.examples }),
    ...(authenticator.required ? { headers: JSON.stringify({ authorization: 'Bearer <API key>' }) } : {}),
  };
  const yoga = createYoga<ServerContext, ApiContext>({
    schema: options.schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    landingPage: false,
    graphiql,
    renderGraphiQL: (graphiqlOptions) => renderOfflineGraphiQL(GRAPHQL_ENDPOINT, graphiqlOptions),
    maskedErrors: options.unmaskErrors === true ? false : { isDev: false, maskError: masker.maskError },
    logging: {
      debug: (...args) => logger.debug(logFields(args), 'graphql'),
      info: (...args) => logger.info(logFields(args), 'graphql'),
      warn: (...args) => logger.warn(logFields(args), 'graphql'),
      // Errors the masker mapped are logged there, with their correlation id.
      error: (...args) => {
        if (args.some((arg) => masker.wasReported(arg))) return;
        logger.error(logFields(args), 'unexpected error in a GraphQL request');
      },
    },
    // In this order: a request over the limits is refused before anything else, a reused answer
    // skips execution.
    plugins: [
      limitsPlugin(options.limits) as Plugin,
      responseCachePlugin({ maxBytes: options.limits.responseCacheBytes, stats: responseCache }),
      compiledExecutionPlugin(options.schema),
    ],
    context: async ({ request, req, connectionParams }) =>
      contextFor(
        // Over graphql-ws there is no fetch Request: credentials come from the connection
        // parameters, else from the upgrade request's headers.
        (request as Request | undefined) === undefined && req !== undefined
          ? webSocketCredentials(connectionParams, req)
          : credentialsFromHeaders(request.headers),
      ),
  });

  const assets = graphiqlAssetRoutes(GRAPHQL_ENDPOINT);
  const graphqlRoute: RouteHandler = async (request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (path !== GRAPHQL_ENDPOINT && path !== `${GRAPHQL_ENDPOINT}/`) return false;
    if (request.method === 'POST') {
      const length = request.headers['content-length'];
      if (length === undefined) {
        response.writeHead(411, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            errors: [
              { message: 'a POST needs a content-length header', extensions: { code: 'LENGTH_REQUIRED' } },
            ],
          }),
        );
        return true;
      }
      if (Number(length) > options.limits.maxBodyBytes) {
        response.writeHead(413, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            errors: [
              {
                message: `the request body is larger than ${options.limits.maxBodyBytes} bytes`,
                extensions: { code: 'PAYLOAD_TOO_LARGE' },
              },
            ],
          }),
        );
        return true;
      }
    }
    await yoga.requestListener(request, response);
    return true;
  };

  let wsServer: WebSocketServer | undefined;
  return {
    routes: [assets, graphqlRoute],
    responseCache,
    attachWebSocket(server) {
      wsServer = new WebSocketServer({
        server,
        path: GRAPHQL_ENDPOINT,
        // A larger message closes the socket with 1009 (message too big).
        maxPayload: options.limits.maxWebSocketMessageBytes,
      });
      useServer<
        Record<string, unknown>,
        { request: IncomingMessage; socket: { close(code: number, reason: string): void } }
      >(
        {
          // A socket is refused (4403, with the reason) unless its connection parameters or its
          // upgrade request authenticate, for a workspace this server serves.
          onConnect: async (context) => {
            try {
              await contextFor(webSocketCredentials(context.connectionParams, context.extra.request));
              return true;
            } catch (error) {
              const reason = error instanceof GraphQLError ? error.message : 'Forbidden';
              // A close reason is at most 123 bytes.
              context.extra.socket.close(
                CloseCode.Forbidden,
                Buffer.from(reason).subarray(0, 123).toString(),
              );
              return false;
            }
          },
          execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
          subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
          onSubscribe: async (context, _id, params) => {
            const enveloped = yoga.getEnveloped({
              req: context.extra.request,
              connectionParams: context.connectionParams,
              params,
            } as never);
            const document = enveloped.parse(params.query);
            const errors = enveloped.validate(enveloped.schema, document);
            if (errors.length > 0) return errors;
            let contextValue: unknown;
            try {
              contextValue = await enveloped.contextFactory();
            } catch (error) {
              // A credential that stopped being valid (revoked key, expired token) ends the operation.
              if (error instanceof GraphQLError) return [error];
              throw error;
            }
            const args: ExecutionArgs = {
              schema: enveloped.schema,
              operationName: params.operationName ?? null,
              document,
              variableValues: params.variables ?? null,
              contextValue,
              rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
            };
            return args;
          },
        },
        wsServer,
      );
    },
    async close() {
      if (wsServer === undefined) return;
      for (const client of wsServer.clients) client.terminate();
      await new Promise<void>((done) => wsServer?.close(() => done()));
    },
  };
}

/** yoga logs messages and errors as loose arguments; pino wants an error under `err`. */
function logFields(args: unknown[]): Record<string, unknown> {
  const error = args.find((arg) => arg instanceof Error);
  const rest = args.filter((arg) => arg !== error);
  return { ...(error === undefined ? {} : { err: error }), ...(rest.length === 0 ? {} : { details: rest }) };
}

/** The request context for `principal`, or a clear error when the server does not serve its workspace. */
async function apiContextOf(services: ApiServices, principal: Principal): Promise<ApiContext> {
  try {
    return await createApiContext(services, principal);
  } catch (error) {
    if (isServoError(error, ErrorCode.NotFound)) throw workspaceNotServed(principal.scope);
    throw error;
  }
}

function webSocketCredentials(
  connectionParams: Readonly<Record<string, unknown>> | undefined,
  request: IncomingMessage,
): Credentials {
  const fromParams = credentialsFromConnectionParams(connectionParams);
  if (fromParams.authorization !== undefined) return fromParams;
  const header = request.headers.authorization;
  return { authorization: typeof header === 'string' ? header : undefined };
}

interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}
