/**
 * Servo's code-location SDK: what a code location module imports to define its assets, schedules
 * and sensors. The module's default export (or its `definitions` export) is a `Definitions`, which
 * Servo loads in-process (embedded mode) or `servo code-server <module>` serves over HTTP.
 *
 * @example
 * import { defineAsset, defineDefinitions, defineSchedule } from '…/engine/code-location/sdk/index.js';
 * const orders = defineAsset({ key: 'sales/orders', async materialize(context) { … } });
 * export default defineDefinitions({
 *   codeLocation: 'sales',
 *   assets: [orders],
 *   schedules: [defineSchedule({ name: 'nightly', cronSchedule: '0 2 * * *', assets: [orders] })],
 * });
 */
export type { PushMessage } from '../code-location.js';
export {
  type AssetDefinition,
  type AssetOptions,
  type AssetRef,
  assetKeyOf,
  defineAsset,
  type JsonValue,
  type MaterializeContext,
  type MaterializeFn,
  type PartitionOutcome,
  type TaskLog,
} from './asset.js';
export {
  type Definitions,
  type DefinitionsOptions,
  defineDefinitions,
  isDefinitions,
} from './definitions.js';
export { isNonRetryable, NonRetryableError } from './non-retryable-error.js';
export { defineSchedule, type ScheduleDefinition, type ScheduleOptions } from './schedule.js';
export {
  defineSensor,
  type SensorAnswer,
  type SensorDefinition,
  type SensorEvaluateFn,
  type SensorEvaluationContext,
  type SensorMessageFn,
  type SensorOptions,
} from './sensor.js';
