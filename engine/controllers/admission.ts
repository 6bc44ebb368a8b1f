import { z } from 'zod';
import { invalidInput } from '../errors.js';
import { Lane, Name, NonNegativeInt, PositiveInt } from '../model/common.js';

/**
 * Admission control: which queued runs may start now, and why the others wait. A run with a plan is
 * QUEUED until `run.admitted.v1` moves it to STARTING; this module makes that decision, purely, from
 * the queued runs, the runs admitted recently or still active, the policy and the time. The reactor
 * (engine/automation/admission.ts) applies it; the queue view (engine/queries/queue.ts) explains it.
 */

export const RateLimit = z.strictObject({
  /** Admissions allowed in any window of `perSeconds` (a sliding window over `admittedAt`). */
  runs: PositiveInt,
  perSeconds: PositiveInt.max(86_400),
});
export type RateLimit = z.infer<typeof RateLimit>;

/**
 * A limit on runs carrying a tag, as Dagster's `tag_concurrency_limits`, plus an optional rate.
 * With `value`, only runs whose tag has that value count; without it, every run with the tag counts
 * towards one shared budget, or towards one budget per value with `perUniqueValue`
 * (Dagster's `applyLimitPerUniqueValue`, e.g. one per `dagster/concurrency_key`).
 */
export const TagLimit = z
  .strictObject({
    key: z.string().min(1).max(256),
    value: z.string().max(4096).optional(),
    perUniqueValue: z.boolean().default(false),
    /** Most such runs admitted and not ended at once. */
    maxConcurrentRuns: NonNegativeInt.optional(),
    /** Most such runs admitted per window. */
    rate: RateLimit.optional(),
  })
  .refine((limit) => limit.maxConcurrentRuns !== undefined || limit.rate !== undefined, {
    message: 'a tag limit needs maxConcurrentRuns or rate',
  });
export type TagLimit = z.infer<typeof TagLimit>;

export const DEFAULT_LANE_ORDER: readonly Lane[] = ['manual', 'schedule', 'sensor', 'backfill'];

export const AdmissionPolicyInput = z.strictObject({
  /** Lanes from highest to lowest; every lane once. A run's lane comes from its request. */
  laneOrder: z
    .array(Lane)
    .length(DEFAULT_LANE_ORDER.length)
    .refine((lanes) => new Set(lanes).size === lanes.length, 'each lane must appear once')
    .default([...DEFAULT_LANE_ORDER]),
  /** Runs admitted and not ended at once, per workspace. -1: unlimited; 0: admission paused. Default 20. */
  maxConcurrentRuns: z.number().int().min(-1).max(1_000_000).default(20),
  /** Slots per pool: an admitted run that has not ended occupies one slot of each pool its tasks use. */
  pools: z.record(Name, NonNegativeInt).default({}),
  /** Slots of a pool not listed in `pools`; null (the default) leaves such pools unlimited. */
  defaultPoolSlots: NonNegativeInt.nullable().default(null),
  /** Admission rate per lane, e.g. `{ backfill: { runs: 60, perSeconds: 60 } }`. */
  laneRateLimits: z.partialRecord(Lane, RateLimit).default({}),
  tagLimits: z.array(TagLimit).max(100).default([]),
  /**
   * Starvation guard: a lane (or a lane within one pool) that has had runs waiting and no admission
   * for k × agingSeconds has its first waiting run treated k lanes higher. null disables aging.
   * Default 600.
   */
  agingSeconds: PositiveInt.max(86_400).nullable().default(600),
});
export type AdmissionPolicyInput = z.input<typeof AdmissionPolicyInput>;
export type AdmissionPolicy = z.output<typeof AdmissionPolicyInput>;

/** Validates a policy and fills in the defaults; every problem is reported at once. */
export function admissionPolicy(input: AdmissionPolicyInput = {}): AdmissionPolicy {
  const parsed = AdmissionPolicyInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(policy)'}: ${issue.message}`,
  );
  throw invalidInput(`invalid admission policy: ${problems.join('; ')}`, { problems });
}

export const DEFAULT_ADMISSION_POLICY: AdmissionPolicy = admissionPolicy();

/**
 * How far back admissions matter to a decision: the longest rate window, and the aging horizon
 * (a lane cannot be promoted by more lanes than there are above it). Runs admitted earlier and
 * already ended can be left out of `decideAdmissions`' input.
 */
export function admissionLookbackMs(policy: AdmissionPolicy): number {
  const windows = [
    ...Object.values(policy.laneRateLimits).map((limit) => limit.perSeconds),
    ...policy.tagLimits.map((limit) => limit.rate?.perSeconds ?? 0),
    (policy.agingSeconds ?? 0) * (policy.laneOrder.length - 1),
  ];
  return Math.max(0, ...windows) * 1000;
}

/** Slots of a pool under a policy (Infinity: unlimited). */
export function poolSlots(policy: AdmissionPolicy, pool: string): number {
  return policy.pools[pool] ?? policy.defaultPoolSlots ?? Infinity;
}

/** Runs a workspace may have admitted and not ended at once (Infinity: unlimited). */
export function workspaceLimit(policy: AdmissionPolicy): number {
  return policy.maxConcurrentRuns < 0 ? Infinity : policy.maxConcurrentRuns;
}

/** A run waiting for admission: QUEUED, with a plan, not asked to stop. */
export interface QueuedRun {
  runId: string;
  lane: string;
  priority: number;
  createdAt: number;
  tags: Readonly<Record<string, string>>;
  /** Pools any of its tasks uses, each once. */
  pools: readonly string[];
}

/** A run admitted and not ended (`active`), or admitted within the look-back and ended since. */
export interface AdmittedRun {
  runId: string;
  lane: string;
  tags: Readonly<Record<string, string>>;
  pools: readonly string[];
  admittedAt: number;
  active: boolean;
}

/** What holds a run back (the first that applies, in this order). */
export type WaitCause =
  | { kind: 'paused' }
  | { kind: 'workspace'; limit: number }
  | { kind: 'laneRate'; lane: string; runs: number; perSeconds: number; nextAt: number }
  | { kind: 'tagRate'; tag: string; runs: number; perSeconds: number; nextAt: number }
  | { kind: 'tagConcurrency'; tag: string; used: number; limit: number }
  | { kind: 'pool'; pool: string; used: number; slots: number }
  | { kind: 'poolReserved'; pool: string; heldFor: string };

export interface WaitingRun {
  runId: string;
  /** 1-based place among the waiting runs in admission order. */
  position: number;
  reason: string;
  cause: WaitCause;
  /** Waiting runs ahead of it held back by the same cause. */
  ahead: number;
  /** The lane it competes in: its own, or a higher one after aging. */
  effectiveLane: string;
}

export interface AdmissionDecision {
  /** Runs to admit now, in admission order, with the pools each occupies. */
  admit: { runId: string; pools: string[] }[];
  /** Every other queued run, in admission order. */
  waiting: WaitingRun[];
  /** Earliest time a rate limit that holds a run back lets one more through; null if none does. */
  wakeAt: number | null;
}

/** A queued run with its lane's index in the policy order, before and after aging. */
export interface RankedRun {
  run: QueuedRun;
  lane: number;
  effective: number;
}

interface AgingGroup {
  lastAdmitted: number;
  /** Its first waiting run in admission order, and the creation time of its oldest. */
  head: RankedRun | undefined;
  oldest: number;
}

/** (lane, priority desc, createdAt, runId): the order within and across lanes before aging. */
function compareRanked(a: RankedRun, b: RankedRun): number {
  return (
    a.lane - b.lane ||
    b.run.priority - a.run.priority ||
    a.run.createdAt - b.run.createdAt ||
    (a.run.runId < b.run.runId ? -1 : a.run.runId > b.run.runId ? 1 : 0)
  );
}

/**
 * The admission order: lanes in policy order, then priority (highest first), then oldest first,
 * then run id. Aging: for each group (a lane, or a lane within one pool) that has had runs waiting
 * and no admission for k × agingSeconds, the group's first run is treated k lanes higher (at most
 * the top lane) and goes ahead of that lane's own runs. Only one run per group is promoted, so a
 * large backlog never moves up as a flood; admitting it resets the group's clock.
 */
export function admissionOrder(
  queued: readonly QueuedRun[],
  admitted: readonly AdmittedRun[],
  policy: AdmissionPolicy,
  now: number,
): RankedRun[] {
  const laneIndex = new Map(policy.laneOrder.map((lane, index) => [lane as string, index]));
  const ranked = queued.map((run): RankedRun => {
    const lane = laneIndex.get(run.lane) ?? policy.laneOrder.length;
    return { run, lane, effective: lane };
  });
  ranked.sort(compareRanked);
  if (policy.agingSeconds === null) return ranked;
  // Aging groups by lane index: the lane as a whole (pool ''), and the lane within each pool.
  const lanes = policy.laneOrder.length + 1;
  const groups = Array.from({ length: lanes }, () => new Map<string, AgingGroup>());
  const groupOf = (lane: number, pool: string) => {
    let group = groups[lane]!.get(pool);
    if (group === undefined) {
      group = { lastAdmitted: -Infinity, head: undefined, oldest: Infinity };
      groups[lane]!.set(pool, group);
    }
    return group;
  };
  for (const run of admitted) {
    const lane = laneIndex.get(run.lane) ?? policy.laneOrder.length;
    for (const pool of ['', ...run.pools]) {
      const group = groupOf(lane, pool);
      group.lastAdmitted = Math.max(group.lastAdmitted, run.admittedAt);
    }
  }
  for (const entry of ranked) {
    if (entry.lane === 0) continue;
    const join = (group: AgingGroup) => {
      group.head ??= entry;
      group.oldest = Math.min(group.oldest, entry.run.createdAt);
    };
    join(groupOf(entry.lane, ''));
    for (const pool of entry.run.pools) join(groupOf(entry.lane, pool));
  }
  const agingMs = policy.agingSeconds * 1000;
  let promoted = false;
  for (const byPool of groups) {
    for (const { head, oldest, lastAdmitted } of byPool.values()) {
      if (head === undefined) continue;
      const starved = Math.floor((now - Math.max(lastAdmitted, oldest)) / agingMs);
      if (starved < 1) continue;
      head.effective = Math.min(head.effective, Math.max(0, head.lane - starved));
      promoted = promoted || head.effective < head.lane;
    }
  }
  if (!promoted) return ranked;
  // Promoted runs go first in their new lane (by original rank); the rest keep their order.
  const order: RankedRun[] = [];
  for (let level = 0; level < lanes; level++) {
    for (const entry of ranked) if (entry.effective === level && entry.lane !== level) order.push(entry);
    for (const entry of ranked) if (entry.lane === level && entry.effective === level) order.push(entry);
  }
  return order;
}

/** Admission times of one lane or tag bucket (ascending), checked against its sliding window. */
class Window {
  private readonly times: number[] = [];
  /** Memo of `blockedUntil` (null: to compute), so a long queue costs one check per window. */
  private until: number | undefined | null = null;

  constructor(readonly limit: RateLimit) {}

  add(at: number): void {
    this.times.push(at);
    this.until = null;
  }

  /** When one more admission is allowed, or undefined when it is allowed now. */
  blockedUntil(now: number): number | undefined {
    if (this.until !== null) return this.until;
    const perMs = this.limit.perSeconds * 1000;
    const inWindow = this.times.filter((at) => at > now - perMs).length;
    // Ascending times: the (inWindow − runs + 1)-th oldest in the window must leave it first.
    this.until =
      inWindow < this.limit.runs ? undefined : this.times[this.times.length - this.limit.runs]! + perMs;
    return this.until;
  }
}

function tagBucket(limit: TagLimit, tags: Readonly<Record<string, string>>): string | undefined {
  const value = tags[limit.key];
  if (value === undefined || (limit.value !== undefined && value !== limit.value)) return undefined;
  return limit.perUniqueValue || limit.value !== undefined ? `${limit.key}=${value}` : limit.key;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The sentence a queued-run view shows for a cause. */
export function describeCause(cause: WaitCause): string {
  switch (cause.kind) {
    case 'paused':
      return 'admission is paused (maxConcurrentRuns is 0)';
    case 'workspace':
      return `workspace limit of ${plural(cause.limit, 'concurrent run')} reached`;
    case 'laneRate':
      return `lane ${cause.lane} rate limit: ${plural(cause.runs, 'run')} per ${cause.perSeconds} s reached`;
    case 'tagRate':
      return `tag ${cause.tag} rate limit: ${plural(cause.runs, 'run')} per ${cause.perSeconds} s reached`;
    case 'tagConcurrency':
      return `tag ${cause.tag} limit of ${plural(cause.limit, 'concurrent run')} reached (${cause.used}/${cause.limit})`;
    case 'pool':
      return `pool ${cause.pool} is full (${cause.used}/${cause.slots})`;
    case 'poolReserved':
      return `the last free slot of pool ${cause.pool} is held for run ${cause.heldFor}, which is ahead of it`;
  }
}

/** What runs held back together share (for "N runs ahead wait for it too"). */
function causeKey(cause: WaitCause): string {
  if ('pool' in cause) return `pool:${cause.pool}`;
  if ('tag' in cause) return `tag:${cause.tag}`;
  return 'lane' in cause ? `lane:${cause.lane}` : cause.kind;
}

/**
 * Decides which queued runs start now. Walking the admission order (see `admissionOrder`), a run is
 * admitted when the workspace limit, its lane's rate limit, its tag limits and every pool it uses
 * have room, counting the runs admitted before it in the same pass. Fairness between pools: a run
 * that waits for a full pool or tag limit holds the last free slot of each other pool it needs, so
 * runs behind it cannot keep taking that pool while it waits for the rest. Pure and deterministic:
 * the same inputs, in any order, give the same decision.
 */
export function decideAdmissions(
  queued: readonly QueuedRun[],
  admitted: readonly AdmittedRun[],
  policy: AdmissionPolicy,
  now: number,
): AdmissionDecision {
  const order = admissionOrder(queued, admitted, policy, now);
  const maxRuns = workspaceLimit(policy);
  let activeRuns = 0;
  const poolUsed = new Map<string, number>();
  const tagUsed = new Map<string, number>();
  const laneWindows = new Map<string, Window>();
  const tagWindows = new Map<string, Window>();
  for (const [lane, limit] of Object.entries(policy.laneRateLimits)) laneWindows.set(lane, new Window(limit));
  const tagWindow = (index: number, bucket: string): Window | undefined => {
    const rate = policy.tagLimits[index]?.rate;
    if (rate === undefined) return undefined;
    const key = `${index}\u0000${bucket}`;
    let window = tagWindows.get(key);
    if (window === undefined) {
      window = new Window(rate);
      tagWindows.set(key, window);
    }
    return window;
  };
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const occupy = (
    run: { lane: string; tags: Readonly<Record<string, string>>; pools: readonly string[] },
    at: number,
    active: boolean,
  ) => {
    laneWindows.get(run.lane)?.add(at);
    policy.tagLimits.forEach((limit, index) => {
      const bucket = tagBucket(limit, run.tags);
      if (bucket === undefined) return;
      tagWindow(index, bucket)?.add(at);
      if (active) bump(tagUsed, `${index}\u0000${bucket}`);
    });
    if (!active) return;
    activeRuns += 1;
    for (const pool of run.pools) bump(poolUsed, pool);
  };
  for (const run of [...admitted].sort((a, b) => a.admittedAt - b.admittedAt))
    occupy(run, run.admittedAt, run.active);

  const reserved = new Map<string, string>();
  const aheadBy = new Map<string, number>();
  const decision: AdmissionDecision = { admit: [], waiting: [], wakeAt: null };
  for (const { run, effective } of order) {
    const causes: WaitCause[] = [];
    if (maxRuns === 0) causes.push({ kind: 'paused' });
    else if (activeRuns >= maxRuns) causes.push({ kind: 'workspace', limit: maxRuns });
    const laneWindow = laneWindows.get(run.lane);
    const laneUntil = laneWindow?.blockedUntil(now);
    if (laneWindow !== undefined && laneUntil !== undefined) {
      causes.push({ kind: 'laneRate', lane: run.lane, ...laneWindow.limit, nextAt: laneUntil });
    }
    policy.tagLimits.forEach((limit, index) => {
      const bucket = tagBucket(limit, run.tags);
      if (bucket === undefined) return;
      const window = tagWindow(index, bucket);
      const until = window?.blockedUntil(now);
      if (window !== undefined && until !== undefined) {
        causes.push({ kind: 'tagRate', tag: bucket, ...window.limit, nextAt: until });
      }
      const used = tagUsed.get(`${index}\u0000${bucket}`) ?? 0;
      if (limit.maxConcurrentRuns !== undefined && used >= limit.maxConcurrentRuns) {
        causes.push({ kind: 'tagConcurrency', tag: bucket, used, limit: limit.maxConcurrentRuns });
      }
    });
    const pools = run.pools.length > 1 ? [...run.pools].sort() : run.pools;
    const free: string[] = [];
    for (const pool of pools) {
      const used = poolUsed.get(pool) ?? 0;
      const slots = poolSlots(policy, pool);
      const holder = reserved.get(pool);
      if (used >= slots) causes.push({ kind: 'pool', pool, used, slots });
      else if (holder !== undefined && slots - used <= 1)
        causes.push({ kind: 'poolReserved', pool, heldFor: holder });
      else free.push(pool);
    }
    const primary = causes[0];
    if (primary === undefined) {
      occupy({ ...run, pools }, now, true);
      decision.admit.push({ runId: run.runId, pools: [...pools] });
      continue;
    }
    if (causes.some((cause) => cause.kind === 'pool' || cause.kind === 'tagConcurrency')) {
      for (const pool of free) if (!reserved.has(pool)) reserved.set(pool, run.runId);
    }
    for (const cause of causes) {
      if ('nextAt' in cause) decision.wakeAt = Math.min(decision.wakeAt ?? Infinity, cause.nextAt);
    }
    const key = causeKey(primary);
    const ahead = aheadBy.get(key) ?? 0;
    aheadBy.set(key, ahead + 1);
    const sentence = describeCause(primary);
    decision.waiting.push({
      runId: run.runId,
      position: decision.waiting.length + 1,
      reason: ahead === 0 ? sentence : `${sentence}; ${plural(ahead, 'run')} ahead wait for it too`,
      cause: primary,
      ahead,
      effectiveLane: policy.laneOrder[effective] ?? run.lane,
    });
  }
  return decision;
}
