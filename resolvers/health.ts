import type { AutomationLimits } from '../engine/automation/limits.js';
import type { AdmissionPolicy } from '../engine/controllers/admission.js';
import { type AutomationHealth, automationHealth } from '../engine/queries/automation-health.js';
import { type ConflictPage, listRunKeyConflicts } from '../engine/queries/run-key-conflicts.js';
import type { GraphqlLimits } from '../server/graphql-limits.js';
import { pageLimit } from './backfills.js';
import type { ApiContext } from './context.js';

/** Servo's operational extensions: automation health, platform limits, run-key conflicts. */

/** `automationHealth`: lane backlogs, compaction lag, conflicts, quarantine, timers. */
export async function automationHealthOf(context: ApiContext): Promise<AutomationHealth> {
  const automation = context.workspace.automation;
  context.answer.volatile('automation health reads the workspace storage');
  const workspace = await automation.workspace.health();
  const pendingTimers = automation.timers.pending?.().length ?? null;
  return context.reads.read((tables) =>
    automationHealth(tables, automation.admission, context.now().getTime(), workspace, pendingTimers),
  );
}

export interface PlatformLimitsModel {
  automation: AutomationLimits;
  admission: AdmissionPolicy;
  graphql: GraphqlLimits;
}

/** `platformLimits`: the limits this server runs with (the GraphQL ones as configured, SERVO_GRAPHQL_*). */
export function platformLimitsOf(context: ApiContext): PlatformLimitsModel {
  const automation = context.workspace.automation;
  return {
    automation: automation.limits,
    admission: automation.admission,
    graphql: context.services.graphqlLimits,
  };
}

const DEFAULT_CONFLICT_PAGE = 50;

/** `runKeyConflicts`: newest first, after the conflict named by `cursor`. */
export function runKeyConflictsPage(
  context: ApiContext,
  args: { limit?: number | null; cursor?: string | null },
): ConflictPage {
  const limit = pageLimit(args.limit, DEFAULT_CONFLICT_PAGE);
  return context.reads.read((tables) => listRunKeyConflicts(tables, args.cursor ?? undefined, limit));
}
