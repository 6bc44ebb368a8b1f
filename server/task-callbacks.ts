import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TaskCallbacks } from '../engine/code-location/task-protocol.js';
import { ErrorCode, isServoError } from '../engine/errors.js';
import type { RouteHandler } from './http-server.js';
import { readJsonBody, sendJson } from './http-server.js';

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.IllegalState]: 409,
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.PayloadTooLarge]: 413,
};

/** Largest callback body accepted (a finished report carries metadata and the last logs). */
const MAX_CALLBACK_BYTES = 1024 * 1024;

/**
 * `POST /tasks/started`, `/tasks/heartbeat`, `/tasks/finished`: the worker callbacks, with the task
 * token as a bearer token. Errors come back as `{ error: { code, message, details } }` with the status the
 * protocol documents (401 token, 409 not the current attempt, 400 bad body, 404 unknown task).
 */
export function taskCallbackRoutes(
  callbacksFor: (request: IncomingMessage) => TaskCallbacks | undefined,
): RouteHandler {
  return async (request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const match = /^\/tasks\/(started|heartbeat|finished)$/.exec(path);
    if (match === null) return false;
    if (request.method !== 'POST') {
      sendJson(response, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } });
      return true;
    }
    const callbacks = callbacksFor(request);
    if (callbacks === undefined) {
      sendJson(response, 404, {
        error: { code: ErrorCode.NotFound, message: 'no workspace serves task callbacks here' },
      });
      return true;
    }
    const authorization = request.headers.authorization ?? '';
    const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : '';
    if (token === '') {
      sendJson(response, 401, {
        error: ErrorCode.Unauthorized,
        message: 'a task token is required (Authorization: Bearer …)',
      });
      return true;
    }
    try {
      const body = await readJsonBody(request, MAX_CALLBACK_BYTES);
      const kind = match[1] as 'started' | 'heartbeat' | 'finished';
      const reply = await callbacks[kind](token, body as never);
      sendJson(response, 200, reply);
    } catch (error) {
      sendError(response, error);
    }
    return true;
  };
}

function sendError(response: ServerResponse, error: unknown): void {
  if (!isServoError(error)) throw error;
  const status = STATUS[error.code] ?? (error.retryable ? 503 : 500);
  sendJson(response, status, { error: { code: error.code, message: error.message, details: error.details } });
}
