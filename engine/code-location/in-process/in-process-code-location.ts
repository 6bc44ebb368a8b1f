import { invalidInput, notFound } from '../../errors.js';
import { silentLogger } from '../../logging.js';
import type { CodeLocation, CodeLocationDefinitions, PushMessage, SensorContext } from '../code-location.js';
import { SensorResult } from '../code-location.js';
import type { Definitions } from '../sdk/definitions.js';
import type { SensorAnswer } from '../sdk/sensor.js';
import { DispatchEnvelope, type TaskCallbacks, type TaskExecutor } from '../task-protocol.js';
import { type RunTaskOptions, runTask } from './run-task.js';

/** Servo's callbacks, or a way to reach them per dispatch (the HTTP client needs the envelope's URL). */
export type TaskCallbacksSource = TaskCallbacks | ((envelope: DispatchEnvelope) => TaskCallbacks);

export interface InProcessCodeLocationOptions extends Omit<RunTaskOptions, 'workerId'> {
  /** @default `in-process:{codeLocation}:{pid}` */
  workerId?: string;
  /** How many finished dispatch ids are remembered to recognise redeliveries. @default 1024 */
  rememberFinished?: number;
}

export interface InProcessCodeLocation extends CodeLocation, TaskExecutor {
  readonly definitions: Definitions;
  /** How many attempts are running now. */
  runningTasks(): number;
  /** Resolves once every attempt accepted so far has finished. */
  drain(): Promise<void>;
}

/** A sensor returned something that is not a `SensorResult`: the user code's fault. */
export class InvalidSensorResultError extends Error {
  override readonly name = 'InvalidSensorResultError';
}

/**
 * A code location whose definitions live in this process: embedded mode's adapter of the
 * `CodeLocation` port, and the core the HTTP code server wraps. Sensors are called with the
 * caller's signal (a timeout rejects at once with the signal's reason, and the sensor sees the
 * abort); their answers are validated with `SensorResult`. As a `TaskExecutor`, `execute` accepts a
 * dispatch and runs it in the background with `runTask`; a dispatch id already running or finished
 * is accepted again without running twice (dispatch is at-least-once).
 */
export function createInProcessCodeLocation(
  definitions: Definitions,
  callbacks: TaskCallbacksSource,
  options: InProcessCodeLocationOptions = {},
): InProcessCodeLocation {
  const workerId = options.workerId ?? `in-process:${definitions.codeLocation}:${process.pid}`;
  const remember = options.rememberFinished ?? 1024;
  const logger = options.logger ?? silentLogger;
  const running = new Map<string, Promise<void>>();
  // Insertion-ordered: the oldest ids are forgotten first.
  const finished = new Set<string>();
  const callbacksFor = (envelope: DispatchEnvelope): TaskCallbacks =>
    typeof callbacks === 'function' ? callbacks(envelope) : callbacks;

  const sensorOf = <K extends 'poll' | 'push'>(name: string, kind: K) => {
    const sensor = definitions.sensor(name);
    if (sensor === undefined)
      throw notFound(`code location ${definitions.codeLocation} has no sensor ${name}`);
    if (sensor.kind !== kind)
      throw invalidInput(
        `sensor ${name} is a ${sensor.kind} sensor: ${sensor.kind === 'poll' ? 'evaluate it' : 'send it messages'}`,
      );
    return sensor as Extract<typeof sensor, { kind: K }>;
  };

  return {
    name: definitions.codeLocation,
    definitions,

    async describe(): Promise<CodeLocationDefinitions> {
      return definitions.spec;
    },

    async evaluateSensor(sensorName: string, context: SensorContext, signal: AbortSignal) {
      const sensor = sensorOf(sensorName, 'poll');
      const answer = await untilAborted(signal, () =>
        sensor.evaluate({
          cursor: context.cursor,
          lastRunKey: context.lastRunKey,
          now: context.now,
          signal,
        }),
      );
      return checkResult(sensorName, answer);
    },

    async handleMessage(sensorName: string, message: PushMessage, signal: AbortSignal) {
      const sensor = sensorOf(sensorName, 'push');
      const answer = await untilAborted(signal, () => sensor.onMessage(message, { signal }));
      return checkResult(sensorName, answer);
    },

    async execute(input: DispatchEnvelope, signal: AbortSignal): Promise<void> {
      signal.throwIfAborted();
      const parsed = DispatchEnvelope.safeParse(input);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        throw invalidInput(`invalid dispatch envelope: ${problems.join('; ')}`, { problems });
      }
      const envelope = parsed.data;
      if (envelope.codeLocation !== definitions.codeLocation)
        throw invalidInput(`this is code location ${definitions.codeLocation}, not ${envelope.codeLocation}`);
      const id = envelope.dispatchId;
      if (running.has(id) || finished.has(id)) return;
      const done = runTask(definitions, envelope, callbacksFor(envelope), { ...options, workerId }).then(
        (report) => {
          // A start that could not be reported ran nothing: a redelivery must be able to run it.
          if (report.status === 'not-started') return;
          finished.add(id);
          for (const oldest of finished) {
            if (finished.size <= remember) break;
            finished.delete(oldest);
          }
        },
        (error: unknown) => logger.error({ err: error, dispatchId: id }, 'task execution failed'),
      );
      running.set(id, done);
      void done.finally(() => running.delete(id));
    },

    runningTasks: () => running.size,

    async drain(): Promise<void> {
      while (running.size > 0) await Promise.all(running.values());
    },
  };
}

/** Runs `call`, rejecting with the signal's reason as soon as it aborts (the call may go on). */
function untilAborted<T>(signal: AbortSignal, call: () => T | Promise<T>): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(call)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function checkResult(sensorName: string, answer: SensorAnswer | undefined): SensorResult {
  const parsed = SensorResult.safeParse(answer ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`,
  );
  throw new InvalidSensorResultError(
    `sensor ${sensorName} returned an invalid result: ${problems.join('; ')}`,
  );
}
