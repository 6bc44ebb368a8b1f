import type DataLoader from 'dataloader';
import type { AutomationContext } from '../engine/automation/context.js';
import type { ProjectionTables } from '../engine/fold/state.js';
import type { Scope } from '../engine/ledger/scope.js';
import type { ChangeListener } from '../engine/projections/projection-store.js';
import type { GraphqlLimits } from '../server/graphql-limits.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What a credential may do. Each role includes the ones before it. */
export type Role = 'viewer' | 'operator' | 'admin';

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** The caller of one request, as authentication established it. */
export interface Principal {
  /** Who: `api-key:<keyId>`, `jwt:<sub>`, or `loopback` in embedded mode without auth. */
  subject: string;
  kind: 'api-key' | 'jwt' | 'loopback';
  role: Role;
  /** The one workspace this caller can see. */
  scope: Scope;
}

/**
 * Counts projection reads: every resolver reads the projections through `read()` or a DataLoader
 * (which reads once per batch), so a request's reads can be counted and kept constant in the
 * number of rows a page shows.
 */
export class ProjectionReads {
  count = 0;

  constructor(private readonly tables: () => ProjectionTables) {}

  read<T>(fn: (tables: ProjectionTables) => T): T {
    this.count += 1;
    return fn(this.tables());
  }
}

/** One workspace as the API serves it. */
export interface ApiWorkspace {
  readonly scope: Scope;
  /** Commands run through it: append, schedule timers, reach code locations. */
  readonly automation: AutomationContext;
  /** Registers a listener for every fold of new ledger segments (this process's or others'). */
  subscribe(listener: ChangeListener): () => void;
  /** Catches up with segments other processes appended (cheap when there are none). */
  sync(): Promise<void>;
}

/** The virtual clock's controls (embedded mode with `SERVO_CLOCK=virtual` only). */
export interface ClockControl {
  /** Moves the clock forward, running everything that falls due, and resolves once quiet. */
  advance(seconds: number): Promise<Date>;
}

/** Server-wide services the API layer needs besides a workspace. */
export interface ApiServices {
  readonly version: string;
  /** Whether the server runs in embedded mode (one process does everything). */
  readonly mode: 'embedded' | 'distributed';
  workspaceFor(scope: Scope): Promise<ApiWorkspace>;
  readonly clock: ClockControl | undefined;
  /** The limits the API enforces, as configured (shown by `platformLimits`). */
  readonly graphqlLimits: GraphqlLimits;
}

/**
 * What a request's answer depends on besides the projections, the timer queue and the caller: the
 * response cache (server/graphql-response-cache.ts) keeps an answer only while all of it holds.
 * Resolvers that read anything else say so here: the time (through `ApiContext.now`, or
 * `validUntil` with the instant a value changes), or a source no version covers (`volatile`).
 */
export class AnswerDependencies {
  /** The answer is the same while the clock is before this instant (epoch ms). */
  private until = Number.POSITIVE_INFINITY;
  private volatileReason: string | undefined;

  constructor(
    /** The request's "now" (epoch ms). Reading it through here does not mark the answer. */
    readonly nowMs: number,
  ) {}

  /** The answer changes once the clock reaches `instantMs`. */
  validUntil(instantMs: number): void {
    if (instantMs < this.until) this.until = instantMs;
  }

  /** The answer reads something no version tracks (a stored object, live health): never reuse it. */
  volatile(reason: string): void {
    this.volatileReason ??= reason;
  }

  get validUntilMs(): number {
    return this.until;
  }

  /** Why the answer cannot be reused, if it cannot. */
  get notReusable(): string | undefined {
    if (this.volatileReason !== undefined) return this.volatileReason;
    return this.until <= this.nowMs ? 'reads the current time' : undefined;
  }
}

export interface ApiContext {
  readonly principal: Principal;
  readonly services: ApiServices;
  readonly workspace: ApiWorkspace;
  readonly reads: ProjectionReads;
  readonly loaders: Loaders;
  /**
   * The clock's current time, read once per request so every field agrees on "now". Reading it
   * makes the answer depend on the time (`answer`), so it is not reused; a field that knows when
   * its value changes reads `answer.nowMs` and declares `answer.validUntil` instead. (A method, not
   * a getter: envelop copies the context's properties into its own.)
   */
  now(): Date;
  /** What the answer depends on besides the projections (see `AnswerDependencies`). */
  readonly answer: AnswerDependencies;
}

export async function createApiContext(services: ApiServices, principal: Principal): Promise<ApiContext> {
  const workspace = await services.workspaceFor(principal.scope);
  const reads = new ProjectionReads(() => workspace.automation.tables());
  const now = workspace.automation.clock.now();
  const answer = new AnswerDependencies(now.getTime());
  return {
    principal,
    services,
    workspace,
    reads,
    loaders: createLoaders(reads),
    now() {
      answer.validUntil(now.getTime());
      return now;
    },
    answer,
  };
}

export type { DataLoader };
