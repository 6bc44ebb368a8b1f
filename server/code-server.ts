import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  type CodeServerHandler,
  createCodeServerHandler,
} from '../engine/code-location/http/code-server-handler.js';
import { CodeServerErrorCode, MAX_BODY_BYTES } from '../engine/code-location/http/protocol.js';
import { createHttpTaskCallbacksClient } from '../engine/code-location/http/task-callbacks-client.js';
import {
  createInProcessCodeLocation,
  type InProcessCodeLocation,
  type TaskCallbacksSource,
} from '../engine/code-location/in-process/in-process-code-location.js';
import { type Definitions, isDefinitions } from '../engine/code-location/sdk/definitions.js';
import { ErrorCode, ServoError } from '../engine/errors.js';
import type { Logger } from '../engine/logging.js';
import { createHttpServer, listen } from './http-server.js';
import { processLogger } from './process-logger.js';

/** Every environment variable `servo code-server` reads (docs/code-location-protocol.md). */
export const CodeServerEnvKeys = {
  port: 'PORT',
  host: 'SERVO_HOST',
  secret: 'SERVO_CODE_SERVER_SECRET',
  logLevel: 'SERVO_LOG_LEVEL',
  logFormat: 'SERVO_LOG_FORMAT',
} as const;

const CodeServerEnvSchema = z.object({
  [CodeServerEnvKeys.port]: z.coerce.number().int().min(0).max(65_535).default(4100),
  [CodeServerEnvKeys.host]: z.string().min(1).default('127.0.0.1'),
  [CodeServerEnvKeys.secret]: z.string().min(16, 'must be at least 16 characters').optional(),
  [CodeServerEnvKeys.logLevel]: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info'),
  [CodeServerEnvKeys.logFormat]: z.enum(['json', 'pretty']).optional(),
});

export interface CodeServerEnv {
  port: number;
  host: string;
  secret: string | undefined;
  logLevel: string;
  logFormat: 'json' | 'pretty' | undefined;
}

/** Parses the code server's environment; one CONFIG error lists every problem. */
export function parseCodeServerEnv(env: Record<string, string | undefined>): CodeServerEnv {
  const cleaned: Record<string, string> = {};
  for (const key of Object.values(CodeServerEnvKeys)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = CodeServerEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ServoError(ErrorCode.Config, `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  const v = parsed.data;
  return {
    port: v[CodeServerEnvKeys.port],
    host: v[CodeServerEnvKeys.host],
    secret: v[CodeServerEnvKeys.secret],
    logLevel: v[CodeServerEnvKeys.logLevel],
    logFormat: v[CodeServerEnvKeys.logFormat],
  };
}

/** Imports a code location module and returns its default export, or its `definitions` export. */
export async function loadDefinitions(modulePath: string): Promise<Definitions> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ServoError(ErrorCode.Config, `could not load code location module ${modulePath}: ${reason}`, {
      cause: error,
    });
  }
  const found = [loaded.default, loaded.definitions].find(isDefinitions);
  if (found === undefined)
    throw new ServoError(
      ErrorCode.Config,
      `${modulePath} exports no definitions: export the result of defineDefinitions() as default or as "definitions"`,
    );
  return found;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export interface CodeServerOptions {
  port: number;
  host: string;
  /** Bearer secret required on every request. Without it, only a loopback host is allowed. */
  secret?: string | undefined;
  logger: Logger;
  /** Servo's task callbacks. @default the HTTP client, to each envelope's `callbackBaseUrl` */
  callbacks?: TaskCallbacksSource;
  /** Sensor timeout when a request does not say. @default 60_000 */
  defaultSensorTimeoutMs?: number;
  /** How long `stop` waits for running tasks. @default 10_000 */
  shutdownGraceMs?: number;
}

export interface CodeServer {
  url: string;
  location: InProcessCodeLocation;
  /** Stops accepting requests and waits (up to the grace period) for running tasks to report. */
  stop(): Promise<void>;
}

/**
 * `servo code-server`: serves a code location's definitions, sensors and task execution over HTTP
 * (docs/code-location-protocol.md). The Node adapter of `createCodeServerHandler`: it reads bodies
 * (at most 4 MiB), passes a signal that aborts when the caller goes away, and writes JSON.
 */
export async function startCodeServer(
  definitions: Definitions,
  options: CodeServerOptions,
): Promise<CodeServer> {
  if (options.secret === undefined && !isLoopback(options.host)) {
    throw new ServoError(
      ErrorCode.Config,
      `refusing to listen on ${options.host} without ${CodeServerEnvKeys.secret}: set it, or listen on 127.0.0.1`,
    );
  }
  const logger = options.logger.child({ codeLocation: definitions.codeLocation });
  const callbacks =
    options.callbacks ??
    ((envelope) => createHttpTaskCallbacksClient({ baseUrl: envelope.callbackBaseUrl, logger }));
  const location = createInProcessCodeLocation(definitions, callbacks, { logger });
  const handler = createCodeServerHandler({
    location,
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    ...(options.defaultSensorTimeoutMs === undefined
      ? {}
      : { defaultSensorTimeoutMs: options.defaultSensorTimeoutMs }),
    logger,
  });
  const server: Server = createHttpServer(
    [(request, response) => serve(handler, request, response)],
    (error) => logger.error({ err: error }, 'request failed'),
  );
  const address = await listen(server, options.port, options.host);
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info(
    {
      url,
      codeVersion: definitions.codeVersion,
      auth: options.secret === undefined ? 'none (loopback)' : 'bearer',
    },
    'code server is listening',
  );
  return {
    url,
    location,
    async stop() {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        location.drain(),
        new Promise<void>((done) => {
          timer = setTimeout(done, options.shutdownGraceMs ?? 10_000);
        }),
      ]);
      clearTimeout(timer);
      if (location.runningTasks() > 0)
        logger.warn({ running: location.runningTasks() }, 'stopping with tasks still running');
      server.closeAllConnections();
      await closed;
    },
  };
}

async function serve(handler: CodeServerHandler, request: IncomingMessage, response: ServerResponse) {
  const caller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) caller.abort(new Error('the caller went away'));
  });
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === undefined) {
    send(
      response,
      413,
      {
        error: {
          code: CodeServerErrorCode.PayloadTooLarge,
          message: `bodies are limited to ${MAX_BODY_BYTES} bytes`,
        },
      },
      { connection: 'close' },
    );
    return true;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const answer = await handler({
    method: request.method ?? 'GET',
    path: new URL(request.url ?? '/', 'http://code-server').pathname,
    headers,
    body,
    signal: caller.signal,
  });
  send(response, answer.status, answer.body, answer.headers);
  return true;
}

/** The body as text, or undefined when it is larger than `limit` bytes. */
async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Past the limit the rest is read and dropped, so the 413 reaches the caller.
    if (size <= limit) chunks.push(buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

const USAGE = 'usage: servo code-server <module>  (a module whose default export is defineDefinitions(…))';

/**
 * The whole `servo code-server <module>` process: parses the environment, loads the module, serves
 * it until SIGINT/SIGTERM, then stops gracefully. Resolves with the exit code.
 */
export async function runCodeServer(
  modulePath: string | undefined,
  env: Record<string, string | undefined>,
): Promise<number> {
  if (modulePath === undefined || modulePath === '') {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const config = parseCodeServerEnv(env);
  const logger = processLogger({ process: 'code-server', level: config.logLevel, format: config.logFormat });
  const definitions = await loadDefinitions(modulePath);
  const server = await startCodeServer(definitions, {
    port: config.port,
    host: config.host,
    secret: config.secret,
    logger,
  });
  const signal = await new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  logger.info({ signal }, 'stopping');
  await server.stop();
  return 0;
}
