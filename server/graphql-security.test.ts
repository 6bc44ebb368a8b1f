import {
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKeyStore, generateApiKey } from '../engine/api-keys.js';
import { ErrorCode, notFound, ServoError } from '../engine/errors.js';
import { silentLogger } from '../engine/logging.js';
import type { ApiContext } from '../resolvers/context.js';
import { requireRole } from '../resolvers/errors.js';
import { createAuthenticator } from './auth.js';
import { type GraphqlTestServer, startGraphqlTestServer } from './testing/graphql-test-server.js';

/** A small schema exercising what the transport must handle: who is calling, failures, pages, depth. */
const Item: GraphQLObjectType = new GraphQLObjectType({
  name: 'Item',
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLInt) },
    child: { type: Item, resolve: (item: { id: number }) => ({ id: item.id + 1 }) },
  }),
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      whoami: {
        type: new GraphQLNonNull(GraphQLString),
        resolve: (_root, _args, context: ApiContext) =>
          `${context.principal.subject} ${context.principal.role} ${context.workspace.scope.tenantId}/${context.workspace.scope.workspaceId}`,
      },
      broken: {
        type: GraphQLString,
        resolve: () => {
          throw new Error('cannot open /var/lib/servo/secret-path');
        },
      },
      corrupt: {
        type: GraphQLString,
        resolve: () => {
          throw new ServoError(ErrorCode.Corrupt, 'manifest 42 checksum mismatch in tenants/acme');
        },
      },
      missing: {
        type: GraphQLString,
        resolve: () => {
          throw notFound('no schedule nightly in code location sales', { schedule: 'nightly' });
        },
      },
      adminOnly: {
        type: GraphQLString,
        resolve: (_root, _args, context: ApiContext) => {
          requireRole(context, 'admin');
          return 'ok';
        },
      },
      items: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Item))),
        args: { limit: { type: GraphQLInt } },
        resolve: (_root, args: { limit?: number | null }) =>
          Array.from({ length: args.limit ?? 3 }, (_, index) => ({ id: index })),
      },
    },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      countdown: {
        type: new GraphQLNonNull(GraphQLInt),
        subscribe: async function* () {
          for (let value = 3; value > 0; value -= 1) yield value;
        },
        resolve: (value: number) => value,
      },
    },
  }),
});

const NOW = new Date('2026-11-20T00:00:00.000Z');
const viewer = generateApiKey({ tenant: 'acme', workspace: 'prod', role: 'viewer', now: NOW });
const elsewhere = generateApiKey({ tenant: 'acme', workspace: 'unserved', role: 'admin', now: NOW });

interface Response {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

describe('the GraphQL edge', () => {
  let server: GraphqlTestServer;

  const post = async (
    query: string,
    options: { key?: string; variables?: Record<string, unknown> } = {},
  ): Promise<Response> => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      },
      body: JSON.stringify({ query, variables: options.variables }),
    });
    return { status: response.status, body: (await response.json()) as Response['body'] };
  };

  beforeAll(async () => {
    server = await startGraphqlTestServer({
      schema,
      authenticator: createAuthenticator({
        apiKeys: createApiKeyStore({ records: [viewer.record, elsewhere.record] }),
        logger: silentLogger,
      }),
      scopes: [{ tenantId: 'acme', workspaceId: 'prod' }],
      limits: {
        maxDepth: 6,
        maxCost: 500,
        maxPageSize: 100,
        maxBodyBytes: 4096,
        maxWebSocketMessageBytes: 2048,
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe('authentication', () => {
    it('a request without a credential is 401 UNAUTHENTICATED and runs nothing', async () => {
      const response = await post('{ whoami }');
      expect(response.status).toBe(401);
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.body.errors?.[0]?.message).toMatch(/a credential is required/);
    });

    it('a valid key is scoped to its workspace and role', async () => {
      const response = await post('{ whoami }', { key: viewer.key });
      expect(response).toEqual({
        status: 200,
        body: { data: { whoami: `api-key:${viewer.record.keyId} viewer acme/prod` } },
      });
    });

    it('a valid key for a workspace the server does not serve gets 403 WORKSPACE_NOT_SERVED', async () => {
      const response = await post('{ whoami }', { key: elsewhere.key });
      expect(response.status).toBe(403);
      expect(response.body.errors?.[0]).toMatchObject({
        message: 'this server does not serve workspace acme/unserved (the workspace the credential is for)',
        extensions: { code: 'WORKSPACE_NOT_SERVED' },
      });
    });

    it('a field needing a higher role is UNAUTHORIZED for the viewer', async () => {
      const response = await post('{ adminOnly }', { key: viewer.key });
      expect(response.body.errors?.[0]).toMatchObject({
        message: `this operation needs the admin role; the credential api-key:${viewer.record.keyId} has viewer`,
        extensions: { code: 'UNAUTHORIZED' },
      });
    });

    it('a WebSocket without a credential is closed with 4403 and the reason', async () => {
      const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
        const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      });
      expect(closed.code).toBe(4403);
      expect(closed.reason).toMatch(/^a credential is required/);
    });

    it('a WebSocket with a credential for an unserved workspace is refused too', async () => {
      const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
        const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
        socket.on('open', () =>
          socket.send(
            JSON.stringify({
              type: 'connection_init',
              payload: { authorization: `Bearer ${elsewhere.key}` },
            }),
          ),
        );
        socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      });
      expect(closed).toEqual({
        code: 4403,
        reason: 'this server does not serve workspace acme/unserved (the workspace the credential is for)',
      });
    });

    it('a WebSocket authenticates by connection parameter or by the upgrade request header, and subscribes', async () => {
      const received = async (options: {
        params?: Record<string, unknown>;
        headers?: Record<string, string>;
      }) => {
        const client = createClient({
          url: `${server.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: class extends WebSocket {
            constructor(address: string, protocols?: string | string[]) {
              super(address, protocols, { headers: options.headers ?? {} });
            }
          },
          connectionParams: options.params ?? {},
          retryAttempts: 0,
        });
        const values: number[] = [];
        try {
          for await (const result of client.iterate<{ countdown: number }>({
            query: 'subscription { countdown }',
          })) {
            if (result.data) values.push(result.data.countdown);
          }
        } finally {
          await client.dispose();
        }
        return values;
      };
      expect(await received({ params: { authorization: `Bearer ${viewer.key}` } })).toEqual([3, 2, 1]);
      expect(await received({ headers: { authorization: `Bearer ${viewer.key}` } })).toEqual([3, 2, 1]);
    });
  });

  describe('errors', () => {
    it('an unexpected error is masked as "Unexpected error." with a correlation id, and logged under that id', async () => {
      const response = await post('{ broken }', { key: viewer.key });
      const error = response.body.errors?.[0];
      expect(error?.message).toBe('Unexpected error.');
      expect(error?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const correlationId = error?.extensions?.correlationId;
      expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(response.body)).not.toContain('secret-path');
      const logged = server.logs.filter((line) => line.correlationId === correlationId);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ path: 'broken', msg: 'unexpected error in a GraphQL request' });
      expect((logged[0]?.err as { message?: string } | undefined)?.message).toBe(
        'cannot open /var/lib/servo/secret-path',
      );
    });

    it("an engine error about Servo's own storage is masked too", async () => {
      const response = await post('{ corrupt }', { key: viewer.key });
      expect(response.body.errors?.[0]?.message).toBe('Unexpected error.');
      expect(JSON.stringify(response.body)).not.toContain('tenants/acme');
    });

    it('an expected engine error keeps its message and carries its code', async () => {
      const response = await post('{ missing }', { key: viewer.key });
      expect(response.body.errors?.[0]).toEqual({
        message: 'no schedule nightly in code location sales',
        locations: [{ line: 1, column: 3 }],
        path: ['missing'],
        extensions: { code: 'NOT_FOUND', retryable: false, details: { schedule: 'nightly' } },
      });
    });

    it('an invalid operation says why, unmasked', async () => {
      const response = await post('{ nope }', { key: viewer.key });
      expect(response.body.errors?.[0]?.message).toBe('Cannot query field "nope" on type "Query".');
    });
  });

  describe('limits', () => {
    it('an operation deeper than the limit is QUERY_TOO_DEEP and runs nothing', async () => {
      const response = await post(
        '{ items(limit: 1) { child { child { child { child { child { id } } } } } } }',
        {
          key: viewer.key,
        },
      );
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
    });

    it('an operation costlier than the limit is QUERY_TOO_COSTLY', async () => {
      const response = await post('query Q($n: Int) { items(limit: $n) { id child { id child { id } } } }', {
        key: viewer.key,
        variables: { n: 5 },
      });
      expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COSTLY']);
    });

    it('a page above the maximum is BAD_USER_INPUT; the maximum itself is served', async () => {
      const query = 'query Q($n: Int) { items(limit: $n) { id } }';
      const over = await post(query, { key: viewer.key, variables: { n: 101 } });
      expect(over.body.data ?? null).toBeNull();
      expect(over.body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        limit: 101,
        maxPageSize: 100,
      });
      const most = await post(query, { key: viewer.key, variables: { n: 100 } });
      expect((most.body.data?.items as unknown[] | undefined)?.length).toBe(100);
    });

    it('a request body above the limit is 413 before anything is parsed', async () => {
      const response = await post(`{ whoami } # ${'x'.repeat(5000)}`, { key: viewer.key });
      expect(response.status).toBe(413);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('a WebSocket message above the limit closes the socket with 1009', async () => {
      const code = await new Promise<number>((resolve) => {
        const socket = new WebSocket(`${server.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
        socket.on('open', () =>
          socket.send(
            JSON.stringify({
              type: 'connection_init',
              payload: { authorization: `Bearer ${viewer.key}`, padding: 'x'.repeat(4096) },
            }),
          ),
        );
        socket.on('close', (closeCode) => resolve(closeCode));
      });
      expect(code).toBe(1009);
    });
  });
});
