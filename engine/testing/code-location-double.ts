import {
  type AssetDefinitionSpec,
  type CodeLocation,
  CodeLocationDefinitions,
  type PushMessage,
  type SensorContext,
  type SensorDefinitionSpec,
  SensorResult,
} from '../code-location/code-location.js';

/** What a sensor function may return: a sensor result as plain JSON (validated like any adapter's). */
export type SensorAnswer = unknown;

export type PollSensorFn = (context: SensorContext, call: number) => SensorAnswer | Promise<SensorAnswer>;
export type PushSensorFn = (message: PushMessage, call: number) => SensorAnswer | Promise<SensorAnswer>;

export interface SensorCall {
  sensor: string;
  kind: 'poll' | 'push';
  context?: SensorContext;
  message?: PushMessage;
}

type SensorOptions = Partial<Omit<SensorDefinitionSpec, 'name' | 'kind'>>;

interface SensorEntry {
  spec: SensorDefinitionSpec;
  poll?: PollSensorFn;
  push?: PushSensorFn;
  delayMs: number;
  failures: { error: Error; remaining: number } | undefined;
  calls: number;
}

/** Waits `ms` of real time, or rejects as soon as the signal aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * An in-process code location for tests: its sensors are plain functions. Each sensor can be made
 * slow (`delay`, in real milliseconds, honouring the abort signal — for timeouts) or made to fail
 * (`fail`, for the next n calls or until `heal`). Answers are validated with the port's schema, as
 * every adapter does, so an invalid answer rejects like a misbehaving code server would. Every call
 * is recorded in `calls`.
 */
export class CodeLocationDouble implements CodeLocation {
  readonly calls: SensorCall[] = [];
  private readonly sensors = new Map<string, SensorEntry>();

  constructor(
    readonly name: string,
    private readonly options: { codeVersion?: string; assets?: AssetDefinitionSpec[] } = {},
  ) {}

  pollSensor(name: string, evaluate: PollSensorFn, options: SensorOptions = {}): this {
    return this.add(
      { name, kind: 'poll', targetAssets: [], defaultStatus: 'RUNNING', ...options },
      { poll: evaluate },
    );
  }

  pushSensor(name: string, onMessage: PushSensorFn, options: SensorOptions = {}): this {
    return this.add(
      { name, kind: 'push', targetAssets: [], defaultStatus: 'RUNNING', ...options },
      { push: onMessage },
    );
  }

  /** Makes every call of the sensor take `ms` real milliseconds before it runs. */
  delay(sensor: string, ms: number): this {
    this.entry(sensor).delayMs = ms;
    return this;
  }

  /** Makes the next `times` calls of the sensor throw `error` (every call by default). */
  fail(sensor: string, error: Error | string, times = Number.POSITIVE_INFINITY): this {
    this.entry(sensor).failures = {
      error: typeof error === 'string' ? new Error(error) : error,
      remaining: times,
    };
    return this;
  }

  heal(sensor: string): this {
    this.entry(sensor).failures = undefined;
    return this;
  }

  /** How many times the sensor was called. */
  callCount(sensor: string): number {
    return this.entry(sensor).calls;
  }

  async describe(): Promise<CodeLocationDefinitions> {
    return CodeLocationDefinitions.parse({
      codeLocation: this.name,
      codeVersion: this.options.codeVersion ?? 'v1',
      assets: this.options.assets ?? [],
      schedules: [],
      sensors: [...this.sensors.values()].map((entry) => entry.spec),
    });
  }

  async evaluateSensor(
    sensorName: string,
    context: SensorContext,
    signal: AbortSignal,
  ): Promise<SensorResult> {
    const entry = this.entry(sensorName);
    if (entry.poll === undefined) throw new Error(`sensor ${sensorName} is a push sensor`);
    this.calls.push({ sensor: sensorName, kind: 'poll', context });
    const evaluate = entry.poll;
    return this.run(entry, signal, (call) => evaluate(context, call));
  }

  async handleMessage(sensorName: string, message: PushMessage, signal: AbortSignal): Promise<SensorResult> {
    const entry = this.entry(sensorName);
    if (entry.push === undefined) throw new Error(`sensor ${sensorName} is a poll sensor`);
    this.calls.push({ sensor: sensorName, kind: 'push', message });
    const onMessage = entry.push;
    return this.run(entry, signal, (call) => onMessage(message, call));
  }

  private add(spec: SensorDefinitionSpec, fns: { poll?: PollSensorFn; push?: PushSensorFn }): this {
    this.sensors.set(spec.name, { spec, ...fns, delayMs: 0, failures: undefined, calls: 0 });
    return this;
  }

  private entry(sensor: string): SensorEntry {
    const entry = this.sensors.get(sensor);
    if (entry === undefined) throw new Error(`code location ${this.name} has no sensor ${sensor}`);
    return entry;
  }

  private async run(
    entry: SensorEntry,
    signal: AbortSignal,
    answer: (call: number) => SensorAnswer | Promise<SensorAnswer>,
  ): Promise<SensorResult> {
    entry.calls += 1;
    const call = entry.calls;
    if (entry.delayMs > 0) await wait(entry.delayMs, signal);
    const failures = entry.failures;
    if (failures !== undefined && failures.remaining > 0) {
      failures.remaining -= 1;
      throw failures.error;
    }
    const parsed = SensorResult.safeParse(await answer(call));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `sensor ${entry.spec.name} returned an invalid result: ${issue?.path.join('.')}: ${issue?.message}`,
      );
    }
    return parsed.data;
  }
}
