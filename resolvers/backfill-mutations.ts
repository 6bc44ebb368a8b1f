import {
  cancelBackfill,
  type LaunchBackfillInput,
  launchBackfill,
  pauseBackfill,
  resumeBackfill,
  retryFailedBackfill,
} from '../engine/commands/backfills.js';
import { ErrorCode, invalidInput, isServoError, notFound } from '../engine/errors.js';
import { canonicalJson } from '../engine/model/canonical-json.js';
import type { PartitionSelector } from '../engine/model/common.js';
import { partitionSetNamed } from '../engine/queries/partition-sets.js';
import { type BackfillNotFoundModel, backfillNotFound } from './backfills.js';
import type { ApiContext } from './context.js';
import {
  denied,
  type PythonErrorModel,
  pythonError,
  type Typed,
  typed,
  type UnauthorizedErrorModel,
} from './errors.js';
import { assetKeyString } from './models.js';
import type { PartitionSetNotFoundModel } from './partition-sets.js';

/**
 * Operator actions on backfills: launch (Dagster's `LaunchBackfillParams` translated to Servo's
 * compact selector), cancel, resume, pause (Servo's own) and re-execute. Each needs the operator
 * role; every refusal says why and records nothing.
 */

interface AssetKeyArg {
  path: readonly string[];
}
interface RangeArg {
  start: string;
  end: string;
}
interface PartitionsSelectorArg {
  range?: RangeArg | null;
  ranges?: readonly RangeArg[] | null;
}

/** Dagster's `LaunchBackfillParams`, with Servo's optional chunking and idempotency fields. */
export interface LaunchBackfillParamsArg {
  selector?: {
    partitionSetName: string;
    repositorySelector: { repositoryLocationName: string; repositoryName: string };
  } | null;
  partitionNames?: readonly string[] | null;
  partitionsByAssets?:
    | readonly ({ assetKey: AssetKeyArg; partitions?: PartitionsSelectorArg | null } | null | undefined)[]
    | null;
  reexecutionSteps?: readonly string[] | null;
  assetSelection?: readonly AssetKeyArg[] | null;
  fromFailure?: boolean | null;
  allPartitions?: boolean | null;
  tags?: readonly { key: string; value: string }[] | null;
  forceSynchronousSubmission?: boolean | null;
  title?: string | null;
  description?: string | null;
  chunkSize?: number | null;
  maxConcurrentRuns?: number | null;
  singleRun?: boolean | null;
  requestId?: string | null;
}

export type LaunchBackfillSuccessModel = Typed<
  'LaunchBackfillSuccess',
  { backfillId: string; launchedRunIds: string[] | null }
>;
type LaunchResult =
  | LaunchBackfillSuccessModel
  | PartitionSetNotFoundModel
  | UnauthorizedErrorModel
  | PythonErrorModel;

type Success<N extends string> = Typed<N, { backfillId: string }>;

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

/** The selector of Dagster's `PartitionsSelector`: exactly one of `range` and `ranges`. */
function selectorOf(
  partitions: PartitionsSelectorArg | null | undefined,
  assetKey: string,
): PartitionSelector {
  if (!present(partitions)) return { kind: 'all' };
  const { range, ranges } = partitions;
  if (present(range) && present(ranges)) {
    throw invalidInput(`the partitions of ${assetKey} give both range and ranges; give one`, { assetKey });
  }
  if (present(range)) return { kind: 'range', start: range.start, end: range.end };
  if (present(ranges)) {
    if (ranges.length === 0)
      throw invalidInput(`the partitions of ${assetKey} give an empty ranges list`, { assetKey });
    return { kind: 'ranges', ranges: ranges.map((r) => ({ start: r.start, end: r.end })) };
  }
  throw invalidInput(
    `the partitions of ${assetKey} give neither range nor ranges (leave partitions out to select every partition)`,
    { assetKey },
  );
}

function tagsOf(tags: LaunchBackfillParamsArg['tags']): Record<string, string> | undefined {
  if (!present(tags)) return undefined;
  const record: Record<string, string> = {};
  for (const { key, value } of tags) {
    if (key in record) throw invalidInput(`the tag ${key} is given twice`, { tag: key });
    record[key] = value;
  }
  return record;
}

/** Which assets and partitions: from `partitionsByAssets`, or `partitionNames` / `allPartitions`. */
function targetOf(
  context: ApiContext,
  params: LaunchBackfillParamsArg,
): { assetSelection: string[]; selector: PartitionSelector } | PartitionSetNotFoundModel {
  if (params.fromFailure === true) {
    throw invalidInput(
      'fromFailure is not a launch option in Servo: retry the failed partitions of a backfill with reexecutePartitionBackfill (strategy FROM_FAILURE)',
    );
  }
  if (present(params.reexecutionSteps) && params.reexecutionSteps.length > 0) {
    throw invalidInput('reexecutionSteps is not supported: a backfill runs every asset of its selection');
  }
  const byAssets = params.partitionsByAssets;
  if (present(byAssets) && byAssets.length > 0) {
    if (present(params.partitionNames) || params.allPartitions === true || present(params.selector)) {
      throw invalidInput(
        'give partitionsByAssets alone, or partitionNames / allPartitions with assetSelection or a partition set selector',
      );
    }
    const entries = byAssets.map((entry, index) => {
      if (!present(entry)) throw invalidInput(`partitionsByAssets[${index}] is null`);
      const assetKey = assetKeyString(entry.assetKey);
      return { assetKey, selector: selectorOf(entry.partitions, assetKey) };
    });
    const [first] = entries;
    const differing = entries.filter(
      (entry) => canonicalJson(entry.selector) !== canonicalJson(first!.selector),
    );
    if (differing.length > 0) {
      throw invalidInput(
        `every asset of a backfill gets the same partitions: ${differing.map((e) => e.assetKey).join(', ')} ` +
          `${differing.length === 1 ? 'is' : 'are'} given other partitions than ${first!.assetKey}`,
      );
    }
    const assetSelection = entries.map((entry) => entry.assetKey);
    if (present(params.assetSelection)) {
      const given = params.assetSelection.map(assetKeyString).sort();
      if (canonicalJson(given) !== canonicalJson([...assetSelection].sort())) {
        throw invalidInput('assetSelection names other assets than partitionsByAssets');
      }
    }
    return { assetSelection, selector: first!.selector };
  }
  let assetSelection: string[];
  if (present(params.selector)) {
    if (present(params.assetSelection))
      throw invalidInput('give assetSelection or a partition set selector, not both');
    const { partitionSetName, repositorySelector } = params.selector;
    const location = repositorySelector.repositoryLocationName;
    const set = context.reads.read((tables) => partitionSetNamed(tables, location, partitionSetName));
    if (set === undefined) {
      return typed('PartitionSetNotFoundError', {
        message: `code location ${location} has no partition set ${JSON.stringify(partitionSetName)}`,
        partitionSetName,
      });
    }
    assetSelection = set.assetSelection;
  } else if (present(params.assetSelection)) {
    assetSelection = params.assetSelection.map(assetKeyString);
  } else {
    throw invalidInput(
      'say what to backfill: partitionsByAssets, or assetSelection with partitionNames or allPartitions',
    );
  }
  if (present(params.partitionNames) && params.allPartitions === true) {
    throw invalidInput('give partitionNames or allPartitions, not both');
  }
  if (params.allPartitions === true) return { assetSelection, selector: { kind: 'all' } };
  if (present(params.partitionNames)) {
    if (params.partitionNames.length === 0) throw invalidInput('partitionNames is empty');
    return { assetSelection, selector: { kind: 'explicit', keys: [...params.partitionNames] } };
  }
  throw invalidInput('say which partitions: partitionNames or allPartitions (or use partitionsByAssets)');
}

function failure(error: unknown): PythonErrorModel {
  if (isServoError(error)) return pythonError(error);
  throw error;
}

/** `launchPartitionBackfill`: a backfill of the selected partitions, stored as a compact selector. */
export async function launchPartitionBackfill(
  context: ApiContext,
  params: LaunchBackfillParamsArg,
): Promise<LaunchResult> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  try {
    const target = targetOf(context, params);
    if ('__typename' in target) return target;
    const tags = tagsOf(params.tags);
    const input: LaunchBackfillInput = {
      ...target,
      ...(present(params.chunkSize) ? { chunkSize: params.chunkSize } : {}),
      ...(present(params.maxConcurrentRuns) ? { maxConcurrentRuns: params.maxConcurrentRuns } : {}),
      ...(present(params.singleRun) ? { singleRun: params.singleRun } : {}),
      ...(present(params.title) ? { title: params.title } : {}),
      ...(present(params.description) ? { description: params.description } : {}),
      ...(tags === undefined ? {} : { tags }),
      ...(present(params.requestId) ? { requestId: params.requestId } : {}),
    };
    const backfillId = await launchBackfill(context.workspace.automation, input, context.principal.subject);
    return typed('LaunchBackfillSuccess', { backfillId, launchedRunIds: null });
  } catch (error) {
    return failure(error);
  }
}

/**
 * `cancelPartitionBackfill`: no new chunks, and the backfill's runs that have not ended are asked
 * to stop (as Dagster cancels an asset backfill's runs); CANCELING until none is active.
 */
export async function cancelPartitionBackfill(
  context: ApiContext,
  backfillId: string,
): Promise<Success<'CancelBackfillSuccess'> | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  try {
    await cancelBackfill(
      context.workspace.automation,
      backfillId,
      { terminateRuns: true },
      context.principal.subject,
    );
    return typed('CancelBackfillSuccess', { backfillId });
  } catch (error) {
    return failure(error);
  }
}

/** `resumePartitionBackfill`: a PAUSED or FAILED backfill plans its next chunks again. */
export async function resumePartitionBackfill(
  context: ApiContext,
  backfillId: string,
): Promise<Success<'ResumeBackfillSuccess'> | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  try {
    await resumeBackfill(context.workspace.automation, backfillId, context.principal.subject);
    return typed('ResumeBackfillSuccess', { backfillId });
  } catch (error) {
    return failure(error);
  }
}

/** `pausePartitionBackfill` (Servo): a REQUESTED backfill plans no new chunks; running ones finish. */
export async function pausePartitionBackfill(
  context: ApiContext,
  backfillId: string,
): Promise<
  Success<'PauseBackfillSuccess'> | BackfillNotFoundModel | UnauthorizedErrorModel | PythonErrorModel
> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  try {
    await pauseBackfill(context.workspace.automation, backfillId, context.principal.subject);
    return typed('PauseBackfillSuccess', { backfillId });
  } catch (error) {
    if (isServoError(error, ErrorCode.NotFound)) return backfillNotFound(backfillId);
    return failure(error);
  }
}

export interface ReexecutionParamsArg {
  parentRunId: string;
  strategy: 'FROM_FAILURE' | 'FROM_ASSET_FAILURE' | 'ALL_STEPS';
  extraTags?: readonly { key: string; value: string }[] | null;
  useParentRunTags?: boolean | null;
}

/** Tag naming the backfill a re-execution (ALL_STEPS) was made from, as Dagster names it. */
export const PARENT_BACKFILL_TAG = 'dagster/parent_backfill_id';

/**
 * `reexecutePartitionBackfill` (`parentRunId` is the backfill id). FROM_FAILURE and
 * FROM_ASSET_FAILURE retry exactly the failed partitions in a child backfill; ALL_STEPS launches a
 * new backfill over the same assets and selector, with the parent's chunking and tags (unless
 * `useParentRunTags` is false) plus `extraTags` and `dagster/parent_backfill_id`.
 */
export async function reexecutePartitionBackfill(
  context: ApiContext,
  params: ReexecutionParamsArg | null | undefined,
): Promise<LaunchBackfillSuccessModel | UnauthorizedErrorModel | PythonErrorModel> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const automation = context.workspace.automation;
  const actor = context.principal.subject;
  try {
    if (!present(params))
      throw invalidInput('reexecutionParams is required: the backfill (parentRunId) and a strategy');
    const parentId = params.parentRunId;
    const extraTags = tagsOf(params.extraTags);
    if (params.strategy !== 'ALL_STEPS') {
      if (extraTags !== undefined || params.useParentRunTags === false) {
        throw invalidInput(
          `a ${params.strategy} re-execution retries the failed partitions with the parent's tags; extraTags and useParentRunTags apply to ALL_STEPS only`,
        );
      }
      const backfillId = await retryFailedBackfill(automation, parentId, {}, actor);
      return typed('LaunchBackfillSuccess', { backfillId, launchedRunIds: null });
    }
    await automation.sync();
    const parent = context.reads.read((tables) => tables.backfills.get(parentId));
    if (parent === undefined) throw notFound(`backfill ${parentId} does not exist`, { backfillId: parentId });
    const input: LaunchBackfillInput = {
      assetSelection: parent.assetSelection,
      selector: parent.selector,
      ...(parent.singleRun ? { singleRun: true } : { chunkSize: parent.chunkSize }),
      maxConcurrentRuns: parent.maxConcurrentRuns,
      ...(parent.title === null ? {} : { title: parent.title }),
      ...(parent.description === null ? {} : { description: parent.description }),
      tags: {
        ...(params.useParentRunTags === false ? {} : parent.tags),
        ...extraTags,
        [PARENT_BACKFILL_TAG]: parentId,
      },
    };
    const backfillId = await launchBackfill(automation, input, actor);
    return typed('LaunchBackfillSuccess', { backfillId, launchedRunIds: null });
  } catch (error) {
    return failure(error);
  }
}
