import type { Clock } from '../clock.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../fold/context.js';
import { Ledger, type LedgerHead, type Segment } from '../ledger/ledger.js';
import { assertScope, type Scope } from '../ledger/scope.js';
import type { EventDraft } from '../model/catalog.js';
import { runIdFor } from '../model/ids.js';
import type { RandomSource } from '../model/ulid.js';
import type { ParquetCodec } from '../projections/parquet-codec.js';
import {
  type CompactionLimits,
  ProjectionStore,
  type PublishResult,
  type RebuildProgress,
} from '../projections/projection-store.js';
import type { TenantSecrets } from '../secrets.js';
import type { ObjectStore } from '../storage/object-store.js';
import { TaskLogs } from './task-logs.js';

export interface WorkspaceDeps {
  store: ObjectStore;
  codec: ParquetCodec;
  clock: Clock;
  secrets: TenantSecrets;
  retention?: RetentionPolicy;
  limits?: Partial<CompactionLimits>;
  /** Whether this process publishes projections (compacts). Default true. */
  publisher?: boolean;
  random?: RandomSource;
}

export interface WorkspaceHealth {
  ledgerHead: LedgerHead;
  /** Segments folded into this process's in-memory projections. */
  folded: { seq: number; eventId: string | null };
  /** Segments folded into the published Parquet projections. */
  published: { seq: number; eventId: string | null };
  /** Segments written to the ledger but not yet published. */
  compactionLagSegments: number;
  /** Why this process's last compaction failed; null when it succeeded (or none ran yet). */
  lastCompactionError: string | null;
}

/**
 * One workspace's ledger and projections, as a process uses them: append a decision and see it in
 * the projections at once; catch up with what other processes appended; publish (compact).
 */
export class Workspace {
  private compactionError: Error | undefined;

  private constructor(
    readonly scope: Scope,
    readonly ledger: Ledger,
    readonly projections: ProjectionStore,
    private readonly secret: Uint8Array,
    /** The logs task attempts captured (kept beside the ledger, not in it). */
    readonly taskLogs: TaskLogs,
  ) {}

  /** The tenant's secret (run ids, task-token signing keys are derived from it). */
  get tenantSecret(): Uint8Array {
    return this.secret;
  }

  /** The run id a run key maps to in this workspace (the same derivation the fold uses). */
  runIdFor(runKey: string): string {
    return runIdFor(this.secret, this.scope.tenantId, this.scope.workspaceId, runKey);
  }

  static async open(scope: Scope, deps: WorkspaceDeps): Promise<Workspace> {
    assertScope(scope);
    const secret = await deps.secrets.secretFor(scope.tenantId);
    const ledger = new Ledger({
      store: deps.store,
      scope,
      clock: deps.clock,
      ...(deps.random === undefined ? {} : { random: deps.random }),
    });
    const projections = await ProjectionStore.open({
      store: deps.store,
      scope,
      codec: deps.codec,
      ledger,
      clock: deps.clock,
      fold: {
        tenantId: scope.tenantId,
        workspaceId: scope.workspaceId,
        secret,
        retention: deps.retention ?? DEFAULT_RETENTION,
      },
      ...(deps.limits === undefined ? {} : { limits: deps.limits }),
      ...(deps.publisher === undefined ? {} : { publisher: deps.publisher }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
    });
    return new Workspace(scope, ledger, projections, secret, new TaskLogs(deps.store, scope));
  }

  /** Appends one decision (atomically, as one segment) and folds it into the projections. */
  async append(drafts: readonly EventDraft[]): Promise<Segment> {
    const segment = await this.ledger.append(drafts);
    await this.projections.accept(segment);
    return segment;
  }

  /** Folds whatever other processes appended since the last call. Returns segments folded. */
  sync(): Promise<number> {
    return this.projections.catchUp();
  }

  /**
   * Catches up and publishes the projections: a delta of changed rows, or a new base when the
   * deltas have grown past the merge limits.
   */
  async compact(): Promise<PublishResult> {
    try {
      await this.projections.catchUp();
      const result = await this.projections.publish({ merge: this.projections.needsMerge() });
      this.compactionError = undefined;
      return result;
    } catch (error) {
      this.compactionError = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  /** Rebuilds the projections from the ledger alone and publishes them as a new base. */
  rebuild(onProgress?: (progress: RebuildProgress) => void): Promise<PublishResult> {
    return this.projections.rebuild(onProgress);
  }

  async health(): Promise<WorkspaceHealth> {
    const head = await this.ledger.discoverHead();
    return {
      ledgerHead: head,
      folded: this.projections.watermark,
      published: this.projections.published,
      compactionLagSegments: Math.max(0, head.seq - this.projections.published.seq),
      lastCompactionError: this.compactionError?.message ?? null,
    };
  }
}
