/**
 * Matching what `runStatus` subscribers received against when each change was decided (B6, B8).
 *
 * A subscriber that falls behind gets a run's latest state rather than every intermediate one, so
 * a change "reached" a subscriber at its first delivery of that run in that status or a later one
 * (QUEUED → STARTING → STARTED → a terminal status).
 */

const ORDER: Record<string, number> = {
  QUEUED: 0,
  STARTING: 1,
  STARTED: 2,
  CANCELING: 3,
  SUCCESS: 4,
  FAILURE: 4,
  CANCELED: 4,
};

/** One `runStatus` result as a client received it. */
export interface RunDelivery {
  runId: string;
  status: string;
  receivedAt: number;
}

/**
 * For each change (`runId/status` → decided at) decided at or after `from`, the time from the
 * decision to the subscriber learning of it; changes the subscriber never learned of are left out
 * (and counted by the caller as missing).
 */
export function deliveryLatencies(
  changes: ReadonlyMap<string, number>,
  deliveries: readonly RunDelivery[],
  from: number,
): Map<string, number> {
  const byRun = new Map<string, RunDelivery[]>();
  for (const delivery of deliveries) {
    const list = byRun.get(delivery.runId);
    if (list === undefined) byRun.set(delivery.runId, [delivery]);
    else list.push(delivery);
  }
  const latencies = new Map<string, number>();
  for (const [change, decidedAt] of changes) {
    if (decidedAt < from) continue;
    const slash = change.lastIndexOf('/');
    const runId = change.slice(0, slash);
    const rank = ORDER[change.slice(slash + 1)];
    if (rank === undefined) continue;
    const reached = byRun.get(runId)?.find((delivery) => (ORDER[delivery.status] ?? -1) >= rank);
    if (reached !== undefined) latencies.set(change, Math.max(0, reached.receivedAt - decidedAt));
  }
  return latencies;
}
