import type { AutomationContext } from '../engine/automation/context.js';
import { resumeBackfill } from '../engine/commands/backfills.js';
import { requestRun } from '../engine/commands/runs.js';
import { triggerSchedule } from '../engine/commands/schedules.js';

/**
 * One entry per root field of Query, Mutation and Subscription, for server/tenant-isolation.test.ts.
 * That test fails for a root field without an entry here, and for an entry without a root field:
 * add one with the field. Arguments name workspace B's things (its run, its backfill, the
 * schedule only B stopped, …); the test sends them with A's keys and checks that A sees, changes
 * and receives nothing of B's. The selection is generated (everything within `depth`), so new
 * fields of the result types are covered too.
 */

/** B's ids and names, read from the seeded server. */
export interface IsolationFacts {
  b: {
    /** B's manual run (finished). */
    runId: string;
    /** Two more finished runs of B's, other than `runId`. */
    finishedRunIds: [string, string];
    /** B's backfill with runs (A has a backfill of its own, with another id). */
    backfillId: string;
    /** B's paused backfills, one per use: watched by a subscription, resumed, canceled. */
    watchedBackfillId: string;
    resumableBackfillId: string;
    cancelableBackfillId: string;
    /** A tick of every_15_seconds in B (tick ids are derived from the due time, so A has the same one). */
    tickId: string;
    /** A customer (dynamic partition of `customers`) only B has. */
    customer: string;
    /** The cursor B's inbox_files sensor was set to. */
    sensorCursor: string;
    /** A schedule defined through the API in B only. */
    scheduleName: string;
    /** The quarantine id of a push message only B received. */
    quarantineId: string;
  };
  codeLocation: string;
  /** `{codeLocation}:__repository__`, a Repository's id. */
  repositoryId: string;
  repositorySelector: { repositoryLocationName: string; repositoryName: string };
  /** every_15_seconds: RUNNING in A, STOPPED in B. */
  scheduleSelector: { repositoryLocationName: string; repositoryName: string; scheduleName: string };
  /** inbox_files: B's cursor differs. */
  sensorSelector: { repositoryLocationName: string; repositoryName: string; sensorName: string };
}

export interface IsolationWorld {
  facts: IsolationFacts;
  /** A's automation, to compare what A's keys see with A's own state. */
  a: AutomationContext;
  /** B's automation: changes made through it are B's alone. */
  b: AutomationContext;
  /** Runs what is due (the clock does not move) and waits until every workspace is quiet. */
  settle(): Promise<void>;
}

export interface RootFieldFixture {
  /** The root field's arguments (JSON, sent as variables), naming B's things where it takes any. */
  args?: (facts: IsolationFacts) => Record<string, unknown>;
  /**
   * Queries: B's own key, with these arguments, sees B's data (a B-only id or name) — the control
   * showing the arguments do point at B. False for fields that show nothing workspace-specific.
   */
  showsB?: boolean;
  /**
   * Queries: a further check of what A's keys got (the field's value), for what B-only strings
   * cannot show (B's states and counts); returns the problem, or undefined.
   */
  checkA?: (value: unknown, world: IsolationWorld) => string | undefined;
  /** Mutations: B's own operator key, with these arguments, appends to B (the control). */
  changesB?: boolean;
  /** Subscriptions: a change to B that B's subscriber with these arguments receives. */
  changeB?: (world: IsolationWorld) => Promise<void>;
  /** Levels of the generated selection. @default 4 */
  depth?: number;
}

let manualRuns = 0;

/** A new manual run in B, run to the end: changes B's runs and partitions. */
async function newRunInB(world: IsolationWorld): Promise<void> {
  manualRuns += 1;
  await requestRun(
    world.b,
    {
      assetSelection: ['sales/raw_orders'],
      partitionKeys: ['2026-11-10'],
      runKey: `isolation-run-${manualRuns}`,
    },
    'isolation-test',
  );
  await world.settle();
}

const asset = (key: string) => ({ path: key.split('/') });
const repository = (facts: IsolationFacts) => ({ repositorySelector: facts.repositorySelector });
const scheduleSelector = (facts: IsolationFacts) => ({ scheduleSelector: facts.scheduleSelector });
const sensorSelector = (facts: IsolationFacts) => ({ sensorSelector: facts.sensorSelector });
const launchParams = {
  executionParams: {
    selector: {
      repositoryLocationName: 'sales',
      repositoryName: '__repository__',
      jobName: '__ASSET_JOB',
      assetSelection: [asset('sales/raw_orders')],
    },
    executionMetadata: { tags: [{ key: 'dagster/partition', value: '2026-11-07' }] },
  },
};

export const ROOT_FIELD_FIXTURES: Record<string, RootFieldFixture> = {
  // Queries. `showsB` marks those where B's own key sees a B-only id or name with these arguments.
  'Query.version': { showsB: false },
  'Query.instance': { showsB: false },
  'Query.scheduler': { showsB: false },
  'Query.platformLimits': { showsB: false },
  'Query.automationHealth': {
    showsB: false,
    // B has a run-key conflict and a quarantined message; A has neither.
    checkA: (value) => {
      const health = value as { runKeyConflicts?: number; quarantinedMessages?: number } | null;
      return health?.runKeyConflicts === 0 && health.quarantinedMessages === 0
        ? undefined
        : `counts B's conflicts or quarantine: ${JSON.stringify(health).slice(0, 200)}`;
    },
  },
  'Query.workspaceOrError': { showsB: false },
  'Query.locationStatusesOrError': { showsB: false },
  'Query.workspaceLocationEntryOrError': { args: (facts) => ({ name: facts.codeLocation }), showsB: false },
  'Query.repositoriesOrError': { args: repository, showsB: true },
  'Query.repositoryOrError': { args: repository, showsB: true },
  'Query.runsOrError': { showsB: true },
  'Query.pipelineRunsOrError': { showsB: true },
  'Query.runIdsOrError': { showsB: true },
  'Query.runOrError': { args: (facts) => ({ runId: facts.b.runId }), showsB: true },
  'Query.pipelineRunOrError': { args: (facts) => ({ runId: facts.b.runId }), showsB: true },
  'Query.runTagKeysOrError': { showsB: false },
  'Query.runTagsOrError': { showsB: true },
  // A variable page size counts as the largest page in the cost estimate: a shallower selection.
  'Query.runsFeedOrError': { args: () => ({ limit: 50, view: 'RUNS' }), showsB: true, depth: 3 },
  'Query.runsFeedCountOrError': {
    args: () => ({ view: 'RUNS' }),
    showsB: false,
    checkA: (value, world) => {
      const count = (value as { RunsFeedCount_count?: number } | null)?.RunsFeedCount_count;
      const own = world.a.tables().runs.size;
      return count === own ? undefined : `counts ${count} runs; A has ${own}`;
    },
  },
  'Query.runKeyConflicts': { showsB: true },
  'Query.capturedLogs': {
    // The step of B's manual run: B's key reads its lines; A's must read nothing.
    args: (facts) => ({ logKey: [facts.b.runId, 'compute_logs', 'sales/raw_orders[2026-11-18]'] }),
    showsB: true,
    checkA: (value) => {
      const logs = value as { stdout?: string | null } | null;
      return logs?.stdout === null ? undefined : `read B's log: ${JSON.stringify(logs).slice(0, 200)}`;
    },
  },
  'Query.quarantinedMessages': { showsB: true },
  'Query.partitionBackfillOrError': { args: (facts) => ({ backfillId: facts.b.backfillId }), showsB: true },
  'Query.partitionBackfillsOrError': { showsB: true },
  'Query.partitionSetOrError': {
    args: (facts) => ({ ...repository(facts), partitionSetName: '__ASSET_JOB_partition_set' }),
    showsB: false,
  },
  'Query.partitionSetsOrError': { args: (facts) => ({ ...repository(facts), pipelineName: '__ASSET_JOB' }) },
  'Query.scheduleOrError': {
    args: scheduleSelector,
    showsB: true,
    checkA: (value) => {
      // Fields of union members are aliased `{Type}_{field}` in the generated selection.
      const status = (value as { Schedule_scheduleState?: { status?: string } } | null)
        ?.Schedule_scheduleState?.status;
      return status === 'RUNNING'
        ? undefined
        : `every_15_seconds is ${status} (B's state), not RUNNING (A's)`;
    },
  },
  'Query.schedulesOrError': { args: repository, showsB: true },
  'Query.sensorOrError': { args: sensorSelector, showsB: true },
  // B's cursor is five levels down (results → sensorState → typeSpecificData → lastCursor).
  'Query.sensorsOrError': { args: repository, showsB: true, depth: 5 },
  'Query.instigationStateOrError': {
    args: (facts) => ({
      instigationSelector: {
        repositoryLocationName: facts.codeLocation,
        repositoryName: '__repository__',
        name: 'every_15_seconds',
      },
    }),
    showsB: true,
  },
  'Query.instigationStatesOrError': { args: (facts) => ({ repositoryID: facts.repositoryId }), showsB: true },
  'Query.autoMaterializeTicks': { showsB: false },
  'Query.assetNodes': { showsB: true },
  'Query.assetNodeOrError': { args: () => ({ assetKey: asset('sales/customer_profiles') }), showsB: true },
  'Query.assetOrError': { args: () => ({ assetKey: asset('sales/customer_profiles') }), showsB: true },
  'Query.assetsOrError': { showsB: true },

  // Mutations. `changesB` marks those where B's own key, with these arguments, appends to B.
  // The clock is the server's: advancing it is admin-only, and A's keys are viewer and operator.
  'Mutation.advanceClock': { args: () => ({ seconds: 60 }) },
  'Mutation.launchRun': { args: () => launchParams, changesB: true },
  'Mutation.launchPipelineExecution': { args: () => launchParams, changesB: true },
  'Mutation.terminateRun': { args: (facts) => ({ runId: facts.b.runId }) },
  'Mutation.terminatePipelineExecution': { args: (facts) => ({ runId: facts.b.runId }) },
  'Mutation.terminateRuns': { args: (facts) => ({ runIds: [facts.b.runId] }) },
  'Mutation.deletePipelineRun': { args: (facts) => ({ runId: facts.b.finishedRunIds[0] }), changesB: true },
  'Mutation.deleteRun': { args: (facts) => ({ runId: facts.b.finishedRunIds[1] }), changesB: true },
  'Mutation.launchPartitionBackfill': {
    args: () => ({
      backfillParams: {
        partitionsByAssets: [
          {
            assetKey: asset('sales/raw_orders'),
            partitions: { range: { start: '2026-10-01', end: '2026-10-03' } },
          },
        ],
        title: 'Isolation launch',
      },
    }),
    changesB: true,
  },
  'Mutation.cancelPartitionBackfill': {
    args: (facts) => ({ backfillId: facts.b.cancelableBackfillId }),
    changesB: true,
  },
  'Mutation.resumePartitionBackfill': {
    args: (facts) => ({ backfillId: facts.b.resumableBackfillId }),
    changesB: true,
  },
  'Mutation.pausePartitionBackfill': { args: (facts) => ({ backfillId: facts.b.watchedBackfillId }) },
  'Mutation.reexecutePartitionBackfill': {
    args: (facts) => ({ reexecutionParams: { parentRunId: facts.b.backfillId, strategy: 'ALL_STEPS' } }),
    changesB: true,
  },
  'Mutation.addDynamicPartition': {
    args: (facts) => ({
      ...repository(facts),
      partitionsDefName: 'customers',
      partitionKey: 'isolation-customer',
    }),
    changesB: true,
  },
  'Mutation.deleteDynamicPartitions': {
    args: (facts) => ({
      ...repository(facts),
      partitionsDefName: 'customers',
      partitionKeys: [facts.b.customer],
    }),
    changesB: true,
  },
  'Mutation.startSchedule': { args: scheduleSelector, changesB: true },
  'Mutation.stopRunningSchedule': { args: () => ({ id: 'sales:every_15_seconds' }) },
  'Mutation.resetSchedule': { args: scheduleSelector, changesB: true },
  'Mutation.scheduleDryRun': { args: (facts) => ({ selectorData: facts.scheduleSelector }) },
  'Mutation.triggerSchedule': { args: scheduleSelector, changesB: true },
  'Mutation.upsertSchedule': {
    args: (facts) => ({
      input: {
        repositoryLocationName: facts.codeLocation,
        name: 'isolation_upsert',
        cronSchedule: '0 4 * * *',
        executionTimezone: 'UTC',
        assetSelection: [asset('sales/raw_orders')],
      },
    }),
    changesB: true,
  },
  'Mutation.deleteSchedule': {
    args: (facts) => ({
      scheduleSelector: { ...facts.scheduleSelector, scheduleName: facts.b.scheduleName },
    }),
    changesB: true,
  },
  'Mutation.startSensor': { args: sensorSelector },
  'Mutation.stopSensor': { args: () => ({ id: 'sales:inbox_files' }), changesB: true },
  'Mutation.resetSensor': { args: sensorSelector },
  'Mutation.setSensorCursor': {
    args: (facts) => ({ ...sensorSelector(facts), cursor: 'isolation' }),
    changesB: true,
  },
  'Mutation.replayQuarantinedMessage': { args: (facts) => ({ id: facts.b.quarantineId }) },
  'Mutation.sensorDryRun': { args: (facts) => ({ selectorData: facts.sensorSelector }) },
  'Mutation.upsertSensor': {
    args: (facts) => ({
      input: { repositoryLocationName: facts.codeLocation, name: 'inbox_files', minIntervalSeconds: 120 },
    }),
    changesB: true,
  },
  'Mutation.deleteSensor': {
    args: (facts) => ({ sensorSelector: { ...facts.sensorSelector, sensorName: 'nope' } }),
  },

  // Subscriptions: `changeB` makes a change only B's subscriber may see.
  'Subscription.runStatus': { args: () => ({ runId: null }), changeB: newRunInB },
  'Subscription.assetPartitionStatus': {
    args: () => ({ assetKey: asset('sales/raw_orders') }),
    changeB: newRunInB,
  },
  'Subscription.backfillProgress': {
    args: (facts) => ({ backfillId: facts.b.watchedBackfillId }),
    changeB: async (world) => {
      await resumeBackfill(world.b, world.facts.b.watchedBackfillId, 'isolation-test');
      await world.settle();
    },
  },
  'Subscription.instigationTicks': {
    args: (facts) => ({
      selector: {
        repositoryLocationName: facts.codeLocation,
        repositoryName: '__repository__',
        name: 'every_15_seconds',
      },
    }),
    changeB: async (world) => {
      await triggerSchedule(world.b, 'sales:every_15_seconds', 'isolation-test');
      await world.settle();
    },
  },
};
