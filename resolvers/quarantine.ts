import { replayQuarantined } from '../engine/automation/sensors.js';
import { isServoError } from '../engine/errors.js';
import {
  quarantinedMessages as listQuarantined,
  MAX_PAGE_SIZE,
  type QuarantinedMessageView,
} from '../engine/queries/sensors.js';
import type { ApiContext } from './context.js';
import {
  badRequest,
  denied,
  expectedError,
  type PythonErrorModel,
  type Typed,
  typed,
  type UnauthorizedErrorModel,
} from './errors.js';

/**
 * Push messages Servo did not accept (malformed JSON or base64, no message id, too large, an
 * unknown, poll or stopped sensor), as kept with their reason so they can be looked at and replayed.
 */

export const DEFAULT_QUARANTINE_PAGE = 25;
export const MAX_QUARANTINE_PAGE = 1000;
/** Bytes of a kept body shown as `payloadPreview`. */
export const PREVIEW_BYTES = 512;

export interface QuarantinedMessageModel extends QuarantinedMessageView {
  payloadPreview: string | null;
}

export interface QuarantinedMessagePage {
  results: QuarantinedMessageModel[];
  cursor: string | null;
}

/** The start of a kept body as text (invalid UTF-8 shows as U+FFFD), cut at `PREVIEW_BYTES`. */
export function payloadPreview(bodyBase64: string | null): string | null {
  if (bodyBase64 === null) return null;
  const bytes = Buffer.from(bodyBase64, 'base64');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, PREVIEW_BYTES));
  return bytes.length > PREVIEW_BYTES ? `${text}…` : text;
}

/** `{codeLocation}:{name}` or a bare name, as the message addressed its sensor. */
export function sensorTargetOf(recorded: string | null): {
  codeLocation: string | null;
  name: string | null;
} {
  if (recorded === null) return { codeLocation: null, name: null };
  const colon = recorded.indexOf(':');
  return colon < 0
    ? { codeLocation: null, name: recorded }
    : { codeLocation: recorded.slice(0, colon), name: recorded.slice(colon + 1) };
}

/** Quarantined messages, newest first, a page at a time (one projection read). */
export function quarantinedMessages(
  context: ApiContext,
  args: { limit: number | null; cursor: string | null; pendingOnly: boolean },
): QuarantinedMessagePage {
  const limit = args.limit ?? DEFAULT_QUARANTINE_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUARANTINE_PAGE) {
    throw badRequest(`limit must be from 1 to ${MAX_QUARANTINE_PAGE}`, 'BAD_USER_INPUT', { limit });
  }
  try {
    return context.reads.read((tables) => {
      const results: QuarantinedMessageModel[] = [];
      let cursor = args.cursor;
      // The engine pages by at most MAX_PAGE_SIZE; a larger API page is several of its pages.
      for (;;) {
        const page = listQuarantined(tables, {
          limit: Math.min(MAX_PAGE_SIZE, limit - results.length),
          cursor,
          pending: args.pendingOnly,
        });
        for (const item of page.items) {
          const row = tables.quarantinedMessages.get(item.quarantineId);
          results.push({ ...item, payloadPreview: payloadPreview(row?.bodyBase64 ?? null) });
        }
        cursor = page.nextCursor;
        if (cursor === null || results.length >= limit) return { results, cursor };
      }
    });
  } catch (error) {
    if (isServoError(error)) throw badRequest(error.message, 'BAD_USER_INPUT');
    throw error;
  }
}

export type QuarantineReplayedModel = Typed<
  'QuarantinedMessageReplayed',
  { quarantineId: string; outcome: string; evaluationId: string | null }
>;

/**
 * `replayQuarantinedMessage`: hands a quarantined push message to its sensor again (after the
 * sensor was started or fixed). Operator only; a message that still cannot be accepted stays in
 * quarantine and the answer says why.
 */
export async function replayQuarantinedMessage(
  context: ApiContext,
  quarantineId: string,
): Promise<QuarantineReplayedModel | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  try {
    const result = await replayQuarantined(
      context.workspace.automation,
      quarantineId,
      context.principal.subject,
    );
    return typed('QuarantinedMessageReplayed', {
      quarantineId,
      outcome: result.outcome,
      evaluationId: result.outcome === 'quarantined' ? null : result.evalId,
    });
  } catch (error) {
    return expectedError(error);
  }
}
