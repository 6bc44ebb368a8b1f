/**
 * Partitions: time windows, static and dynamic keys and their two-dimensional products as
 * indexable spaces, selectors resolved lazily against them, and contiguous key ranges. Pure: no
 * I/O and no clock — functions that need the current time take it as `now`.
 */

export { DEFAULT_KEY_FORMATS } from './key-format.js';
export {
  createPartitionSpace,
  type KeyListPartitionSpace,
  MULTI_KEY_SEPARATOR,
  type MultiPartitionSpace,
  type PartitionDimension,
  type PartitionSpace,
  type PartitionSpaceOptions,
  type PartitionsDefinitionInput,
  type SingleDimensionPartitionsInput,
  type SingleDimensionSpace,
  type TimePartitionSpace,
} from './partitions.js';
export {
  indexRanges,
  type PartitionKeyRange,
  rangesWhere,
  type TimePartitionKeyRange,
  toRanges,
} from './ranges.js';
export { type ResolvedSelection, resolveSelector } from './selectors.js';
export type {
  TimeWindow,
  TimeWindowDefinition,
  TimeWindowPartition,
  TimeWindows,
} from './time-windows.js';
/** `timeWindows.count(def, now)`, `.keyAt`, `.indexOf`, `.windowOf`, `.keysBetween`, `.latestWindowBefore`. */
export * as timeWindows from './time-windows.js';
