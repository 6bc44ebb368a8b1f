import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The HTTP contract of a code server (docs/code-location-protocol.md), shared by the server's
 * handler and the client adapter: paths, headers, request bodies and the error body.
 */

export const CodeServerPaths = {
  definitions: '/definitions',
  health: '/healthz',
  execute: '/tasks/execute',
  evaluate: (sensorName: string) => `/sensors/${encodeURIComponent(sensorName)}/evaluate`,
  message: (sensorName: string) => `/sensors/${encodeURIComponent(sensorName)}/message`,
} as const;

/** Servo's task callbacks, under the envelope's `callbackBaseUrl`. */
export const CallbackPaths = {
  started: '/tasks/started',
  heartbeat: '/tasks/heartbeat',
  finished: '/tasks/finished',
} as const;

/** How long the code server lets a sensor run, in milliseconds (sent by Servo on each evaluation). */
export const TIMEOUT_HEADER = 'x-servo-timeout-ms';
export const DEFAULT_SENSOR_TIMEOUT_MS = 60_000;
export const MAX_SENSOR_TIMEOUT_MS = 3_600_000;

/** Request bodies of the code server are limited to 4 MiB (push payloads are at most 1 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** `POST /sensors/:name/evaluate`. */
export const EvaluateRequest = z.object({
  cursor: z.string().max(65_536).nullable(),
  lastRunKey: z.string().max(1024).nullable(),
  now: z.iso.datetime({ offset: true }),
});

/** `POST /sensors/:name/message`: the push message. */
export const PushMessageRequest = z.object({
  messageId: z.string().min(1).max(1024),
  data: z.unknown(),
  attributes: z.record(z.string(), z.string()).default({}),
  publishTime: z.string().max(64).optional(),
});

/** Stable codes of the error body. */
export const CodeServerErrorCode = {
  Unauthorized: 'UNAUTHORIZED',
  InvalidInput: 'INVALID_INPUT',
  NotFound: 'NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** The user's code threw or answered something invalid (HTTP 422). */
  UserCode: 'USER_CODE',
  /** The sensor did not answer within the timeout (HTTP 504). */
  Timeout: 'TIMEOUT',
  Internal: 'INTERNAL',
} as const;

/** Every non-2xx answer of the code server. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    className: z.string().optional(),
    stack: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export function bearer(secret: string): string {
  return `Bearer ${secret}`;
}

/** Whether an `Authorization` header carries the secret, compared in constant time. */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  // Equal-length digests, so neither the content nor the length of the secret leaks through timing.
  return timingSafeEqual(digest(presented), digest(secret)) && presented.length > 0;
}

/** The message of an error body, or of whatever else a server answered. */
export function errorMessageOf(body: unknown, fallback: string): string {
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) return parsed.data.error.message;
  if (typeof body === 'object' && body !== null) {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (typeof message === 'string') return message;
    if (typeof error === 'string') return error;
  }
  if (typeof body === 'string' && body.length > 0) return body.slice(0, 500);
  return fallback;
}
