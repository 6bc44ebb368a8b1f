import type { AutomationContext } from '../engine/automation/context.js';
import { handlePushMessage } from '../engine/automation/sensors.js';
import { ErrorCode } from '../engine/errors.js';
import { nextUlid } from '../engine/model/ulid.js';
import { type RouteHandler, readRawBody, sendJson } from './http-server.js';

/** The last id minted for a direct POST without `x-message-id` (ids increase within the process). */
let lastMessageId: string | undefined;

/**
 * `POST /push/{codeLocation}/{sensor}`: a message for a push sensor, as a direct JSON body (message id
 * in the `x-message-id` header, else a new one) or as a Pub/Sub push envelope. Bad messages are not
 * errors for the sender: they are quarantined with their reason (202), so a push subscription does
 * not redeliver them for ever; they can be listed and replayed.
 */
export function pushRoutes(contextFor: () => AutomationContext, maxBytes: number): RouteHandler {
  return async (request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const match = /^\/push\/([^/]+)\/([^/]+)$/.exec(path);
    if (match === null) return false;
    if (request.method !== 'POST') {
      sendJson(response, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } });
      return true;
    }
    const body = await readRawBody(request, maxBytes + 64 * 1024);
    if (body === undefined) {
      sendJson(response, 413, {
        error: { code: ErrorCode.PayloadTooLarge, message: `push messages are limited to ${maxBytes} bytes` },
      });
      return true;
    }
    // A direct POST without a message id is a new message each time; send x-message-id to make
    // retries of the same message idempotent. (A Pub/Sub envelope carries its own id.)
    const header = request.headers['x-message-id'];
    lastMessageId = nextUlid(lastMessageId, Date.now());
    const messageId = typeof header === 'string' && header !== '' ? header : `http-${lastMessageId}`;
    const result = await handlePushMessage(contextFor(), {
      codeLocation: decodeURIComponent(match[1]!),
      name: decodeURIComponent(match[2]!),
      body,
      ...(request.headers['content-type'] === undefined
        ? {}
        : { contentType: request.headers['content-type'] }),
      messageId,
    });
    sendJson(response, result.outcome === 'quarantined' ? 202 : 200, result);
    return true;
  };
}
