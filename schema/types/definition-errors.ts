import { errorType } from './errors.js';

/**
 * A schedule or sensor definition sent through the API that Servo refuses (a bad cron, an unknown
 * time zone, an asset no code location defines, a definition owned by a deployed code location).
 * Nothing was written.
 */
export const InvalidDefinitionError = errorType('InvalidDefinitionError', [], {
  description:
    'The definition was refused and nothing was written: the message says which field is wrong and why.',
});
