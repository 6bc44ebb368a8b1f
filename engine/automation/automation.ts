import type { Clock } from '../clock.js';
import type { CodeLocationRegistry } from '../code-location/code-location.js';
import { type AdmissionPolicy, DEFAULT_ADMISSION_POLICY } from '../controllers/admission.js';
import type { ProjectionTables } from '../fold/state.js';
import type { Segment } from '../ledger/ledger.js';
import type { Logger } from '../logging.js';
import type { EventDraft } from '../model/catalog.js';
import type { Workspace } from '../runtime/workspace.js';
import type { Timer, TimerQueue } from '../timers/timer-queue.js';
import type { AutomationContext, TimerDomain } from './context.js';
import { type AutomationLimits, DEFAULT_LIMITS } from './limits.js';

/**
 * A reactor is a controller that reacts to new state rather than to a timer: turning pending run
 * requests into runs, planning backfill chunks, admitting and dispatching runs. It returns true
 * when it did something (then reactors run again, until none has work).
 */
export interface Reactor {
  readonly name: string;
  react(context: AutomationContext): Promise<boolean>;
}

export interface AutomationOptions {
  workspace: Workspace;
  clock: Clock;
  timers: TimerQueue;
  codeLocations: CodeLocationRegistry;
  logger: Logger;
  limits?: Partial<AutomationLimits>;
  /** The policy the admission reactor applies (default: the default policy). */
  admission?: AdmissionPolicy;
  domains: readonly TimerDomain[];
  reactors: readonly Reactor[];
}

/**
 * The automation runtime of one workspace: delivers timers to their domain's handler, runs the
 * reactors after every append (coalesced), and recreates missing timers (anti-entropy). In embedded
 * mode one process runs it all; in distributed mode each worker entrypoint uses the parts it
 * serves. Correctness never depends on there being one instance: every decision is idempotent.
 */
export class Automation implements AutomationContext {
  readonly workspace: Workspace;
  readonly clock: Clock;
  readonly timers: TimerQueue;
  readonly codeLocations: CodeLocationRegistry;
  readonly limits: AutomationLimits;
  readonly admission: AdmissionPolicy;
  readonly logger: Logger;
  private readonly domains = new Map<string, TimerDomain>();
  private readonly reactors: readonly Reactor[];
  /** Schedules and sensors whose definition or state changed: their timers are refreshed. */
  private readonly changedInstigators = new Map<string, Set<string>>();
  private reacting: Promise<void> | undefined;
  private reactAgain = false;
  private stopped = false;
  /** Count of reactor failures since start (health). */
  reactorFailures = 0;

  constructor(options: AutomationOptions) {
    this.workspace = options.workspace;
    this.clock = options.clock;
    this.timers = options.timers;
    this.codeLocations = options.codeLocations;
    this.logger = options.logger;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.admission = options.admission ?? DEFAULT_ADMISSION_POLICY;
    this.reactors = options.reactors;
    for (const domain of options.domains) for (const kind of domain.kinds) this.domains.set(kind, domain);
    const kindOf: Record<string, string> = {
      scheduleDefinitions: 'schedule_tick',
      scheduleState: 'schedule_tick',
      sensorDefinitions: 'sensor_poll',
      sensorState: 'sensor_poll',
    };
    this.workspace.projections.subscribe((changes) => {
      for (const [table, keys] of changes.tables) {
        const kind = kindOf[table];
        if (kind === undefined) continue;
        let subjects = this.changedInstigators.get(kind);
        if (subjects === undefined) {
          subjects = new Set();
          this.changedInstigators.set(kind, subjects);
        }
        for (const key of keys) subjects.add(key);
      }
    });
  }

  /** Gives every schedule or sensor whose definition or state changed the timer it now needs. */
  private async refreshInstigatorTimers(): Promise<void> {
    for (const [kind, subjects] of this.changedInstigators) {
      const domain = this.domains.get(kind);
      const ids = [...subjects];
      subjects.clear();
      if (domain?.timerFor === undefined) continue;
      const timers: Timer[] = [];
      for (const id of ids) {
        const timer = domain.timerFor(this, id);
        if (timer !== undefined) timers.push(timer);
      }
      await this.schedule(timers);
    }
  }

  tables(): ProjectionTables {
    return this.workspace.projections.state.tables;
  }

  async sync(): Promise<void> {
    const folded = await this.workspace.sync();
    if (folded > 0) this.kick();
  }

  async append(drafts: readonly EventDraft[]): Promise<Segment> {
    const segment = await this.workspace.append(drafts);
    this.kick();
    return segment;
  }

  async schedule(timers: readonly Timer[]): Promise<void> {
    for (const timer of timers) await this.timers.schedule(timer);
  }

  /** Delivers one timer (see `handleTimers`). */
  handleTimer(timer: Timer): Promise<void> {
    return this.handleTimers([timer]);
  }

  /** Delivers due timers to their domains (in batches where a domain takes them). Unknown kinds are logged and dropped. */
  async handleTimers(timers: Timer[]): Promise<void> {
    const byDomain = new Map<TimerDomain, Timer[]>();
    for (const timer of timers) {
      const domain = this.domains.get(timer.kind);
      if (domain === undefined) {
        this.logger.warn({ timer }, 'no handler for timer kind; dropped');
        continue;
      }
      const list = byDomain.get(domain);
      if (list === undefined) byDomain.set(domain, [timer]);
      else list.push(timer);
    }
    for (const [domain, batch] of byDomain) {
      if (domain.handleBatch !== undefined) await domain.handleBatch(this, batch);
      else for (const timer of batch) await domain.handle(this, timer);
    }
  }

  /** Recreates every timer the current state calls for. Returns how many were scheduled. */
  async antiEntropy(): Promise<number> {
    await this.sync();
    let count = 0;
    const seen = new Set<TimerDomain>();
    for (const domain of this.domains.values()) {
      if (seen.has(domain)) continue;
      seen.add(domain);
      const timers = domain.desiredTimers(this);
      await this.schedule(timers);
      count += timers.length;
    }
    return count;
  }

  /** Asks the reactors to run soon (coalesced with a run already under way). */
  kick(): void {
    if (this.stopped) return;
    if (this.reacting !== undefined) {
      this.reactAgain = true;
      return;
    }
    this.reacting = this.reactLoop().finally(() => {
      this.reacting = undefined;
    });
  }

  /** Resolves when no reactor has work left. */
  async quiesce(): Promise<void> {
    this.kick();
    while (this.reacting !== undefined) await this.reacting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    while (this.reacting !== undefined) await this.reacting;
  }

  private async reactLoop(): Promise<void> {
    // Yield first so that a burst of appends coalesces into one pass.
    await Promise.resolve();
    do {
      this.reactAgain = false;
      try {
        await this.refreshInstigatorTimers();
      } catch (error) {
        this.logger.error({ err: error }, 'refreshing schedule and sensor timers failed');
      }
      for (const reactor of this.reactors) {
        if (this.stopped) return;
        try {
          if (await reactor.react(this)) this.reactAgain = true;
        } catch (error) {
          this.reactorFailures += 1;
          this.logger.error(
            { err: error, reactor: reactor.name },
            'reactor failed; it runs again after the next change',
          );
        }
      }
    } while (this.reactAgain && !this.stopped);
  }
}
