import { isServoError } from '../engine/errors.js';
import type { ApiContext } from './context.js';
import {
  denied,
  expectedError,
  type PythonErrorModel,
  type Typed,
  typed,
  type UnauthorizedErrorModel,
} from './errors.js';

export type ClockAdvancedModel = Typed<'ClockAdvanced', { now: Date; advancedBySeconds: number }>;
export type ClockNotVirtualModel = Typed<'ClockNotVirtualError', { message: string }>;

/** `advanceClock`: admin only, and only when the server runs on the virtual clock. */
export async function advanceClock(
  context: ApiContext,
  seconds: number,
): Promise<ClockAdvancedModel | ClockNotVirtualModel | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'admin');
  if (refused !== undefined) return refused;
  const clock = context.services.clock;
  if (clock === undefined) {
    return typed('ClockNotVirtualError', {
      message: 'the clock is real: start Servo with SERVO_CLOCK=virtual to move time by hand',
    });
  }
  try {
    const now = await clock.advance(seconds);
    return typed('ClockAdvanced', { now, advancedBySeconds: seconds });
  } catch (error) {
    if (isServoError(error)) return expectedError(error);
    throw error;
  }
}
