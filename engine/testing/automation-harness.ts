import { Automation, type Reactor } from '../automation/automation.js';
import type { TimerDomain } from '../automation/context.js';
import type { AutomationLimits } from '../automation/limits.js';
import { createRunRequestReactor } from '../automation/run-requests.js';
import { ManualClock } from '../clock.js';
import { type CodeLocation, createCodeLocationRegistry } from '../code-location/code-location.js';
import type { RetentionPolicy } from '../fold/context.js';
import { silentLogger } from '../logging.js';
import { createHyparquetCodec } from '../projections/parquet/hyparquet-codec.js';
import { Workspace } from '../runtime/workspace.js';
import { createStaticTenantSecrets } from '../secrets.js';
import { createMemoryObjectStore } from '../storage/memory-object-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { LocalTimerQueue } from '../timers/local-timer-queue.js';
import { seededRandom, TEST_SCOPE } from './event-factory.js';

export interface HarnessOptions {
  start?: number;
  store?: ObjectStore;
  codeLocations?: CodeLocation[];
  domains?: (workspace: Workspace) => TimerDomain[];
  /** Extra reactors after the run-request reactor (e.g. a fast executor, a backfill planner). */
  reactors?: (workspace: Workspace) => Reactor[];
  limits?: Partial<AutomationLimits>;
  retention?: RetentionPolicy;
  seed?: number;
}

/**
 * An in-memory workspace with the automation runtime on a manual clock: the time-skipping test
 * environment. `advance(ms)` moves the clock in steps, firing every timer that falls due in due-time
 * order, then lets reactors settle — as if Servo had been up the whole time.
 */
export class AutomationHarness {
  private constructor(
    readonly clock: ManualClock,
    readonly workspace: Workspace,
    readonly timers: LocalTimerQueue,
    readonly automation: Automation,
  ) {}

  static async create(options: HarnessOptions = {}): Promise<AutomationHarness> {
    const clock = new ManualClock(options.start ?? Date.UTC(2026, 0, 1));
    const workspace = await Workspace.open(TEST_SCOPE, {
      store: options.store ?? createMemoryObjectStore(),
      codec: createHyparquetCodec(),
      clock,
      secrets: createStaticTenantSecrets({ acme: Buffer.from('test-secret-of-sixteen+').toString('base64') }),
      random: seededRandom(options.seed ?? 1),
      ...(options.retention === undefined ? {} : { retention: options.retention }),
    });
    const timers = new LocalTimerQueue(clock, silentLogger, false);
    const automation = new Automation({
      workspace,
      clock,
      timers,
      codeLocations: createCodeLocationRegistry(options.codeLocations ?? []),
      logger: silentLogger,
      domains: options.domains?.(workspace) ?? [],
      reactors: [createRunRequestReactor(workspace.projections), ...(options.reactors?.(workspace) ?? [])],
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    timers.start((batch) => automation.handleTimers(batch));
    return new AutomationHarness(clock, workspace, timers, automation);
  }

  get tables() {
    return this.automation.tables();
  }

  /** Fires due timers and lets reactors settle, repeatedly, until nothing is left to do now. */
  async settle(): Promise<void> {
    for (;;) {
      await this.automation.quiesce();
      const fired = await this.timers.runDue();
      await this.automation.quiesce();
      if (fired === 0) return;
    }
  }

  /**
   * Moves the clock forward by `ms`, stopping at every timer due on the way (in due-time order), so
   * that each handler sees the time it was due at.
   */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now().getTime() + ms;
    await this.settle();
    for (;;) {
      const next = this.timers.nextDueAt();
      if (next === undefined || next > target) break;
      if (next > this.clock.now().getTime()) this.clock.set(next);
      await this.settle();
    }
    if (target > this.clock.now().getTime()) this.clock.set(target);
    await this.settle();
  }

  /** Stops the runtime (a restart is `AutomationHarness.create` on the same store). */
  async stop(): Promise<void> {
    await this.automation.stop();
    await this.timers.stop();
  }
}
