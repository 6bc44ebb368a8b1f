import type { IncomingMessage, Server } from 'node:http';
import type { ExecutionArgs, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Logger } from '../engine/logging.js';
import { type ApiContext, type ApiServices, createApiContext } from '../resolvers/context.js';
import {
  type Authenticator,
  type Credentials,
  credentialsFromConnectionParams,
  credentialsFromHeaders,
} from './auth.js';
import { graphiqlAssetRoutes, renderOfflineGraphiQL } from './graphiql.js';
import { type GraphqlLimits, limitsPlugin } from './graphql-limits.js';
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
    maskedErrors: options.unmaskErrors === true ? false : { isDev: false },
    logging: {
      debug: (...args) => logger.debug(logFields(args), 'graphql'),
      info: (...args) => logger.info(logFields(args), 'graphql'),
      warn: (...args) => logger.warn(logFields(args), 'graphql'),
      error: (...args) => logger.error(logFields(args), 'unexpected error in a GraphQL request'),
    },
    plugins: [limitsPlugin(options.limits) as Plugin],
    context: async ({ request, req, connectionParams }) => {
      const credentials: Credentials =
        req !== undefined && connectionParams !== undefined
          ? webSocketCredentials(connectionParams, req)
          : credentialsFromHeaders(request.headers);
      const principal = await authenticator.authenticate(credentials);
      return createApiContext(services, principal);
    },
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
    attachWebSocket(server) {
      wsServer = new WebSocketServer({
        server,
        path: GRAPHQL_ENDPOINT,
        maxPayload: options.limits.maxBodyBytes,
      });
      useServer<Record<string, unknown>, { request: IncomingMessage }>(
        {
          // A socket is refused (4403) unless its connection parameters or upgrade request authenticate.
          onConnect: async (context) => {
            try {
              await authenticator.authenticate(
                webSocketCredentials(context.connectionParams, context.extra.request),
              );
              return true;
            } catch {
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
            const args: ExecutionArgs = {
              schema: enveloped.schema,
              operationName: params.operationName ?? null,
              document,
              variableValues: params.variables ?? null,
              contextValue: await enveloped.contextFactory(),
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
