import { invalidInput } from '../errors.js';
import type { ProjectionTables } from '../fold/state.js';
import type { BackfillState } from '../model/events/backfills.js';
import { isUlid, ulidTime } from '../model/ulid.js';
import type { ChangeSet } from '../projections/projection-store.js';
import type { BackfillRow, RunRow } from '../projections/tables/index.js';
import { ASSET_JOB_NAME, RunTag, runCodeLocation, runInstigatorId, runTags } from './run-tags.js';
import { compareOrder, mergeDescending, type OrderKey, SortedEntries } from './sorted-entries.js';

/**
 * The run history as the API lists it: runs newest first, filtered by status, tags (requested and
 * derived: schedule, sensor, backfill, partition, lane, code location), schedule or sensor, and
 * creation and update time, paged by cursor; and the runs feed, where backfills appear beside the
 * runs that no backfill started.
 *
 * The index keeps every run in creation order once, and in one posting (also in creation order)
 * per status, per tag value, per schedule or sensor, and for runs outside backfills. It follows the
 * projections through their change feed: a new run is placed once (nearly always at the newest
 * end), a status change moves it between two status postings. A query walks the smallest posting
 * its filter names, newest first from the cursor, checks the rest of the filter on each run and
 * stops when the page is full: O(log n + page) when the filter names one thing, and never more
 * than the size of that posting. A run covering several partitions is in the `dagster/partition`
 * posting of each.
 */

/** Most runs one page may hold. */
export const MAX_RUN_PAGE = 1000;

/** A run's last change (its row version's time), in epoch ms. */
export function runUpdatedAt(run: RunRow): number {
  return isUlid(run.rowVersion) ? ulidTime(run.rowVersion) : (run.endedAt ?? run.createdAt);
}

/**
 * A backfill's state on the run-status scale the feed uses for runs and backfills alike, as Dagster
 * maps it: unfinished (REQUESTED, and Servo's PAUSED) is STARTED; the outcomes map to theirs.
 */
export function backfillRunStatus(
  state: BackfillState | string,
): 'STARTED' | 'SUCCESS' | 'FAILURE' | 'CANCELING' | 'CANCELED' {
  switch (state) {
    case 'COMPLETED_SUCCESS':
      return 'SUCCESS';
    case 'COMPLETED_FAILED':
    case 'FAILED':
      return 'FAILURE';
    case 'CANCELING':
    case 'CANCELED':
      return state;
    default:
      return 'STARTED';
  }
}

export interface RunFilter {
  runIds?: readonly string[];
  statuses?: readonly string[];
  /** Every key must have one of the values given for it. */
  tags?: readonly { key: string; value: string }[];
  /** Bounds in epoch ms, exclusive. */
  createdBefore?: number;
  createdAfter?: number;
  updatedBefore?: number;
  updatedAfter?: number;
  /** Servo runs are all `__ASSET_JOB`, mode `default`, and have no snapshot. */
  jobName?: string;
  mode?: string;
  snapshotId?: string;
  /** Runs of one schedule or sensor (`{codeLocation}:{name}`). */
  instigatorId?: string;
}

export type FeedView = 'ROOTS' | 'RUNS' | 'BACKFILLS';

export type FeedEntry = { kind: 'run'; row: RunRow } | { kind: 'backfill'; row: BackfillRow };

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

/** Where the index's rows come from: the projections, and their change feed. */
export interface RunIndexSource {
  tables(): ProjectionTables;
  subscribe(listener: (changes: ChangeSet) => void): () => void;
}

/** The runs with one status, tag value or source, in creation order; dropped when it empties. */
class Posting extends SortedEntries<RunEntry> {
  constructor(private readonly drop: () => void = () => {}) {
    super();
  }

  override remove(entry: OrderKey): void {
    super.remove(entry);
    // Empty postings go, so the tag keys and values listed are those some run still has.
    if (this.size === 0) this.drop();
  }
}

/** The posting under `key`, created (and set to drop itself from `map` when empty) if missing. */
function postingIn(map: Map<string, Posting>, key: string, onDrop?: () => void): Posting {
  let posting = map.get(key);
  if (posting === undefined) {
    const created: Posting = new Posting(() => {
      if (map.get(key) === created) map.delete(key);
      if (map.size === 0) onDrop?.();
    });
    posting = created;
    map.set(key, created);
  }
  return posting;
}

interface RunEntry extends OrderKey {
  status: string;
  codeLocation: string | null;
  /** The postings it is in besides its status's (fixed: tags, source and partitions never change). */
  postings: Posting[];
}

/** A plan for one query: what to walk (runs named by id, or a union of postings) and what to check. */
interface Plan {
  /** Runs named by id, in creation order; when absent, the postings are walked. */
  named?: RunEntry[];
  postings: Posting[];
  check: (entry: RunEntry, row: RunRow) => boolean;
  /** Whether `check` passes every run of `postings` (counting can add posting sizes). */
  exact: boolean;
  before: OrderKey | undefined;
  after: OrderKey | undefined;
}

const NOTHING: Plan = { postings: [], check: () => false, exact: true, before: undefined, after: undefined };

/** A key before every entry created at `ms` and after every earlier one. */
function startOf(ms: number): OrderKey {
  return { at: ms, id: '' };
}

/** A key after every entry created at `ms` and before every later one. */
function endOf(ms: number): OrderKey {
  return { at: ms, id: '\uffff' };
}

function earlier(a: OrderKey | undefined, b: OrderKey | undefined): OrderKey | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareOrder(a, b) <= 0 ? a : b;
}

export class RunIndex {
  private readonly all = new Posting();
  private readonly roots = new Posting();
  private readonly byId = new Map<string, RunEntry>();
  private readonly byStatus = new Map<string, Posting>();
  private readonly byTag = new Map<string, Map<string, Posting>>();
  private readonly byInstigator = new Map<string, Posting>();
  private readonly backfills = new SortedEntries<OrderKey>();
  private readonly backfillKeys = new Map<string, OrderKey>();
  /** Code location names, each kept once. */
  private readonly locationNames = new Map<string, string>();

  /** Builds the index and follows the change feed for as long as the source lives. */
  constructor(source: RunIndexSource) {
    this.rescan(source.tables());
    source.subscribe((changes) => {
      const tables = source.tables();
      for (const runId of changes.tables.get('runs') ?? []) this.refreshRun(tables, runId);
      for (const backfillId of changes.tables.get('backfills') ?? [])
        this.refreshBackfill(tables, backfillId);
    });
  }

  /** Runs matching the filter, newest first, after the run `cursor` (a run id), one page. */
  page(tables: ProjectionTables, filter: RunFilter, cursor: string | undefined, limit: number): Page<RunRow> {
    this.freshen(tables);
    const before = cursor === undefined ? undefined : this.orderOf(cursor);
    const items: RunRow[] = [];
    for (const { row } of this.matching(tables, this.plan(tables, filter, false, before))) {
      if (items.length === limit) return { items, hasMore: true };
      items.push(row);
    }
    return { items, hasMore: false };
  }

  count(tables: ProjectionTables, filter: RunFilter): number {
    this.freshen(tables);
    return this.countPlan(tables, this.plan(tables, filter, false, undefined));
  }

  /** The newest runs of a schedule or sensor. */
  runsOf(tables: ProjectionTables, instigatorId: string, limit: number): RunRow[] {
    return this.page(tables, { instigatorId }, undefined, limit).items;
  }

  runsCountOf(tables: ProjectionTables, instigatorId: string): number {
    this.freshen(tables);
    return this.byInstigator.get(instigatorId)?.size ?? 0;
  }

  /**
   * The runs feed: runs and backfills merged newest first (ROOTS: backfills and the runs no
   * backfill started; RUNS: every run; BACKFILLS: backfills only), after `cursor`, one page.
   */
  feed(
    tables: ProjectionTables,
    view: FeedView,
    filter: RunFilter,
    cursor: OrderKey | undefined,
    limit: number,
  ): Page<FeedEntry> & { last: OrderKey | undefined } {
    this.freshen(tables);
    const sources: Iterator<OrderKey & { entry: FeedEntry }>[] = [];
    if (view !== 'BACKFILLS' && !(view === 'ROOTS' && this.namesBackfill(filter))) {
      sources.push(this.feedRuns(tables, this.plan(tables, filter, view === 'ROOTS', cursor)));
    }
    if (view !== 'RUNS') sources.push(this.feedBackfills(tables, filter, cursor));
    const items: FeedEntry[] = [];
    let last: OrderKey | undefined;
    for (const { at, id, entry } of mergeDescending(sources)) {
      if (items.length === limit) return { items, hasMore: true, last };
      items.push(entry);
      last = { at, id };
    }
    return { items, hasMore: false, last };
  }

  feedCount(tables: ProjectionTables, view: FeedView, filter: RunFilter): number {
    this.freshen(tables);
    let count = 0;
    if (view !== 'BACKFILLS' && !(view === 'ROOTS' && this.namesBackfill(filter))) {
      count += this.countPlan(tables, this.plan(tables, filter, view === 'ROOTS', undefined));
    }
    if (view !== 'RUNS') for (const _ of this.feedBackfills(tables, filter, undefined)) count += 1;
    return count;
  }

  /** The code location recorded for a run when it was indexed. */
  codeLocationOf(tables: ProjectionTables, runId: string): string | null {
    this.freshen(tables);
    return this.byId.get(runId)?.codeLocation ?? null;
  }

  /** Every tag key some run has, sorted (`servo/run_key` is looked up, not listed). */
  tagKeys(tables: ProjectionTables): string[] {
    this.freshen(tables);
    return [...this.byTag.keys()].sort();
  }

  /** The values each tag key has (all keys, or `keys`), sorted, each list at most `limit` long. */
  tagValues(
    tables: ProjectionTables,
    keys: readonly string[] | undefined,
    valuePrefix: string | undefined,
    limit: number,
  ): { key: string; values: string[] }[] {
    this.freshen(tables);
    return (keys ?? this.tagKeys(tables)).flatMap((key) => {
      const values = this.byTag.get(key);
      if (values === undefined) return [];
      const matching = [...values.keys()].filter(
        (value) => valuePrefix === undefined || value.startsWith(valuePrefix),
      );
      return [{ key, values: matching.sort().slice(0, limit) }];
    });
  }

  /** The creation-order key of a run; a cursor naming an unknown run is refused. */
  private orderOf(runId: string): OrderKey {
    const entry = this.byId.get(runId);
    if (entry === undefined) throw invalidInput(`the cursor names run ${runId}, which does not exist`);
    return entry;
  }

  private namesBackfill(filter: RunFilter): boolean {
    return filter.tags?.some((tag) => tag.key === RunTag.backfill) ?? false;
  }

  private plan(
    tables: ProjectionTables,
    filter: RunFilter,
    rootsOnly: boolean,
    cursor: OrderKey | undefined,
  ): Plan {
    if (filter.jobName != null && filter.jobName !== ASSET_JOB_NAME) return NOTHING;
    if (filter.mode != null && filter.mode !== 'default') return NOTHING;
    if (filter.snapshotId != null) return NOTHING;
    const before = earlier(
      cursor,
      filter.createdBefore === undefined ? undefined : startOf(filter.createdBefore),
    );
    const after = filter.createdAfter === undefined ? undefined : endOf(filter.createdAfter);

    // Run ids, named directly or by Servo run key, are looked up rather than scanned for.
    let runIds: Set<string> | undefined = filter.runIds === undefined ? undefined : new Set(filter.runIds);
    const groups = new Map<string, Posting[]>();
    for (const { key, value } of filter.tags ?? []) {
      if (key === RunTag.runKey) {
        const runId = tables.runKeyIndex.get(value)?.runId;
        const named = new Set(runId === undefined ? [] : [runId]);
        runIds = runIds === undefined ? named : new Set([...runIds].filter((id) => named.has(id)));
        continue;
      }
      const posting = this.byTag.get(key)?.get(value);
      const group = groups.get(key) ?? [];
      if (posting !== undefined) group.push(posting);
      groups.set(key, group);
    }
    const constraints: Posting[][] = [...groups.values()];
    if (filter.instigatorId !== undefined) {
      const posting = this.byInstigator.get(filter.instigatorId);
      constraints.push(posting === undefined ? [] : [posting]);
    }
    if (rootsOnly) constraints.push([this.roots]);
    const statusGroup =
      filter.statuses === undefined
        ? undefined
        : [...new Set(filter.statuses)].flatMap((status) => {
            const posting = this.byStatus.get(status);
            return posting === undefined ? [] : [posting];
          });
    if (statusGroup !== undefined) constraints.push(statusGroup);
    if (constraints.some((group) => group.length === 0) || runIds?.size === 0) return NOTHING;

    const updated = filter.updatedBefore !== undefined || filter.updatedAfter !== undefined;
    const check = (entry: RunEntry, row: RunRow): boolean => {
      if (runIds !== undefined && !runIds.has(entry.id)) return false;
      for (const group of constraints) {
        if (!group.some((posting) => this.contains(posting, entry))) return false;
      }
      if (updated) {
        const at = runUpdatedAt(row);
        if (filter.updatedBefore !== undefined && at >= filter.updatedBefore) return false;
        if (filter.updatedAfter !== undefined && at <= filter.updatedAfter) return false;
      }
      return true;
    };

    if (runIds !== undefined) {
      const entries = [...runIds].flatMap((id) => {
        const entry = this.byId.get(id);
        return entry === undefined ? [] : [entry];
      });
      return { named: entries.sort(compareOrder), postings: [], check, exact: false, before, after };
    }
    let driver: Posting[] = [this.all];
    let smallest = this.all.size;
    for (const group of constraints) {
      const size = group.reduce((sum, posting) => sum + posting.size, 0);
      if (size < smallest) {
        driver = group;
        smallest = size;
      }
    }
    // Counting may add up posting sizes when nothing but the driver constrains the runs and its
    // postings are disjoint: one posting, or statuses (the partitions of one run are not disjoint).
    const exact =
      !updated &&
      before === undefined &&
      after === undefined &&
      constraints.length <= 1 &&
      (driver.length === 1 || driver === statusGroup);
    return { postings: driver, check, exact, before, after };
  }

  /** Whether a run is in a posting (its status's, or one of the fixed ones). */
  private contains(posting: Posting, entry: RunEntry): boolean {
    return this.byStatus.get(entry.status) === posting || entry.postings.includes(posting);
  }

  /** The runs a plan selects, newest first, with their index entries. */
  private *matching(tables: ProjectionTables, plan: Plan): Generator<{ entry: RunEntry; row: RunRow }> {
    for (const entry of this.walk(plan)) {
      const row = tables.runs.get(entry.id);
      if (row !== undefined && plan.check(entry, row)) yield { entry, row };
    }
  }

  private walk(plan: Plan): Iterable<RunEntry> {
    const { named, postings, before, after } = plan;
    if (named !== undefined) {
      return named
        .filter(
          (entry) =>
            (before === undefined || compareOrder(entry, before) < 0) &&
            (after === undefined || compareOrder(entry, after) > 0),
        )
        .reverse();
    }
    if (postings.length === 1) return (postings[0] as Posting).descending(before, after);
    return mergeDescending(postings.map((posting) => posting.descending(before, after)));
  }

  private countPlan(tables: ProjectionTables, plan: Plan): number {
    if (plan.exact) return plan.postings.reduce((sum, posting) => sum + posting.size, 0);
    let count = 0;
    for (const _ of this.matching(tables, plan)) count += 1;
    return count;
  }

  private *feedRuns(tables: ProjectionTables, plan: Plan): Generator<OrderKey & { entry: FeedEntry }> {
    for (const { entry, row } of this.matching(tables, plan)) {
      yield { at: entry.at, id: entry.id, entry: { kind: 'run', row } };
    }
  }

  /**
   * Backfills the filter can apply to, newest first: run ids, update times and snapshots say
   * nothing about backfills (none match); statuses match on the backfill's run status; a
   * `dagster/backfill` tag names backfill ids; other tags match the backfill's own tags.
   */
  private *feedBackfills(
    tables: ProjectionTables,
    filter: RunFilter,
    cursor: OrderKey | undefined,
  ): Generator<OrderKey & { entry: FeedEntry }> {
    if (
      (filter.runIds?.length ?? 0) > 0 ||
      filter.updatedAfter !== undefined ||
      filter.updatedBefore !== undefined
    )
      return;
    if (filter.snapshotId != null || filter.jobName != null) return;
    const statuses = filter.statuses === undefined ? undefined : new Set(filter.statuses);
    const tags = new Map<string, Set<string>>();
    for (const { key, value } of filter.tags ?? []) tags.set(key, (tags.get(key) ?? new Set()).add(value));
    const before = earlier(
      cursor,
      filter.createdBefore === undefined ? undefined : startOf(filter.createdBefore),
    );
    const after = filter.createdAfter === undefined ? undefined : endOf(filter.createdAfter);
    for (const key of this.backfills.descending(before, after)) {
      const row = tables.backfills.get(key.id);
      if (row === undefined) continue;
      if (statuses !== undefined && !statuses.has(backfillRunStatus(row.state as BackfillState))) continue;
      let matches = true;
      for (const [tag, values] of tags) {
        const value = tag === RunTag.backfill ? row.backfillId : row.tags[tag];
        if (value === undefined || !values.has(value)) matches = false;
      }
      if (matches) yield { at: key.at, id: key.id, entry: { kind: 'backfill', row } };
    }
  }

  /** Rebuilds the index when the projections were reloaded or rebuilt behind the change feed. */
  private freshen(tables: ProjectionTables): void {
    if (this.byId.size !== tables.runs.size || this.backfillKeys.size !== tables.backfills.size) {
      this.rescan(tables);
    }
  }

  private rescan(tables: ProjectionTables): void {
    this.all.clear();
    this.roots.clear();
    this.byId.clear();
    this.byStatus.clear();
    this.byTag.clear();
    this.byInstigator.clear();
    this.backfills.clear();
    this.backfillKeys.clear();
    const runs = [...tables.runs.values()].sort((a, b) => a.createdAt - b.createdAt);
    for (const row of runs) this.refreshRun(tables, row.runId);
    for (const row of tables.backfills.values()) this.refreshBackfill(tables, row.backfillId);
  }

  private statusPosting(status: string): Posting {
    return postingIn(this.byStatus, status);
  }

  private tagPosting(key: string, value: string): Posting {
    let values = this.byTag.get(key);
    if (values === undefined) {
      values = new Map();
      this.byTag.set(key, values);
    }
    const owner = values;
    return postingIn(owner, value, () => {
      if (this.byTag.get(key) === owner) this.byTag.delete(key);
    });
  }

  private refreshRun(tables: ProjectionTables, runId: string): void {
    const row = tables.runs.get(runId);
    const entry = this.byId.get(runId);
    if (row === undefined) {
      if (entry !== undefined) this.remove(entry);
      return;
    }
    if (entry === undefined) {
      this.add(tables, row);
      return;
    }
    if (entry.status !== row.status) {
      this.byStatus.get(entry.status)?.remove(entry);
      entry.status = row.status;
      this.statusPosting(row.status).insert(entry);
    }
  }

  private add(tables: ProjectionTables, row: RunRow): void {
    const location = runCodeLocation(tables, row);
    const codeLocation = location === null ? null : (this.locationNames.get(location) ?? location);
    if (codeLocation !== null) this.locationNames.set(codeLocation, codeLocation);
    const entry: RunEntry = {
      at: row.createdAt,
      id: row.runId,
      status: row.status,
      codeLocation,
      postings: [],
    };
    const postings = new Set<Posting>();
    for (const [key, value] of Object.entries(runTags(row, codeLocation))) {
      if (key !== RunTag.runKey) postings.add(this.tagPosting(key, value));
    }
    for (const partition of row.partitionKeys ?? [])
      postings.add(this.tagPosting(RunTag.partition, partition));
    const instigator = runInstigatorId(row);
    if (instigator !== null) postings.add(postingIn(this.byInstigator, instigator));
    if (row.backfillId === null) postings.add(this.roots);
    entry.postings = [...postings];
    for (const posting of entry.postings) posting.insert(entry);
    this.statusPosting(row.status).insert(entry);
    this.all.insert(entry);
    this.byId.set(entry.id, entry);
  }

  private remove(entry: RunEntry): void {
    for (const posting of entry.postings) posting.remove(entry);
    this.byStatus.get(entry.status)?.remove(entry);
    this.all.remove(entry);
    this.byId.delete(entry.id);
  }

  private refreshBackfill(tables: ProjectionTables, backfillId: string): void {
    const row = tables.backfills.get(backfillId);
    const key = this.backfillKeys.get(backfillId);
    if (row === undefined) {
      if (key !== undefined) {
        this.backfills.remove(key);
        this.backfillKeys.delete(backfillId);
      }
      return;
    }
    if (key !== undefined) return;
    const added = { at: row.createdAt, id: row.backfillId };
    this.backfills.insert(added);
    this.backfillKeys.set(backfillId, added);
  }
}
