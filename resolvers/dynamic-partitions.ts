import { changeDynamicPartitions } from '../engine/commands/runs.js';
import { isServoError } from '../engine/errors.js';
import { compositeKey } from '../engine/projections/table-def.js';
import type { ApiContext } from './context.js';
import {
  denied,
  expectedError,
  type PythonErrorModel,
  pythonError,
  type Typed,
  typed,
  type UnauthorizedErrorModel,
} from './errors.js';
import { usesDynamicPartitions } from './partitions.js';

/**
 * Adding and deleting keys of a dynamic partitions definition by hand (Dagster's
 * `addDynamicPartition` / `deleteDynamicPartitions`). Sensors change them too, from their
 * evaluations. Operator role.
 */

export type AddDynamicPartitionResult =
  | Typed<'AddDynamicPartitionSuccess', { partitionsDefName: string; partitionKey: string }>
  | Typed<
      'DuplicateDynamicPartitionError',
      { message: string; partitionsDefName: string; partitionName: string }
    >
  | UnauthorizedErrorModel
  | PythonErrorModel;

export type DeleteDynamicPartitionsResult =
  | Typed<'DeleteDynamicPartitionsSuccess', { partitionsDefName: string }>
  | UnauthorizedErrorModel
  | PythonErrorModel;

/**
 * The definition must be used by an asset of the selected code location: a code location's
 * dynamic partitions are the ones its assets are partitioned by.
 */
function checkLocation(
  context: ApiContext,
  codeLocation: string,
  name: string,
): PythonErrorModel | undefined {
  const used = context.reads.read((tables) =>
    [...tables.assetDefinitions.values()].some(
      (asset) => asset.codeLocation === codeLocation && usesDynamicPartitions(asset, name),
    ),
  );
  if (used) return undefined;
  return pythonError({
    message: `code location ${codeLocation} has no asset partitioned by dynamic partitions '${name}'`,
    className: 'NOT_FOUND',
  });
}

function hasKey(context: ApiContext, name: string, key: string): boolean {
  return context.reads.read((tables) => tables.dynamicPartitions.has(compositeKey(name, key)));
}

export async function addDynamicPartition(
  context: ApiContext,
  args: { partitionsDefName: string; partitionKey: string; codeLocation: string },
): Promise<AddDynamicPartitionResult> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const { partitionsDefName, partitionKey } = args;
  const missing = checkLocation(context, args.codeLocation, partitionsDefName);
  if (missing !== undefined) return missing;
  if (hasKey(context, partitionsDefName, partitionKey)) {
    return typed('DuplicateDynamicPartitionError', {
      message: `dynamic partitions '${partitionsDefName}' already have the key '${partitionKey}'`,
      partitionsDefName,
      partitionName: partitionKey,
    });
  }
  try {
    await changeDynamicPartitions(
      context.workspace.automation,
      { partitionsDefName, added: [partitionKey] },
      context.principal.subject,
    );
    return typed('AddDynamicPartitionSuccess', { partitionsDefName, partitionKey });
  } catch (error) {
    if (isServoError(error)) return expectedError(error);
    throw error;
  }
}

/** Deletes keys; keys the definition does not have are ignored. Their statuses stay recorded. */
export async function deleteDynamicPartitions(
  context: ApiContext,
  args: { partitionsDefName: string; partitionKeys: readonly string[]; codeLocation: string },
): Promise<DeleteDynamicPartitionsResult> {
  const refused = denied(context, 'operator');
  if (refused !== undefined) return refused;
  const { partitionsDefName } = args;
  const missing = checkLocation(context, args.codeLocation, partitionsDefName);
  if (missing !== undefined) return missing;
  try {
    await changeDynamicPartitions(
      context.workspace.automation,
      { partitionsDefName, deleted: [...args.partitionKeys] },
      context.principal.subject,
    );
    return typed('DeleteDynamicPartitionsSuccess', { partitionsDefName });
  } catch (error) {
    if (isServoError(error)) return expectedError(error);
    throw error;
  }
}
