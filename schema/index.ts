import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
// Each module adds its types and root fields to the builder; the order does not matter.
import './types/asset-partitions.js';
import './types/asset-selection.js';
import './types/asset.js';
import './types/automation-health.js';
import './types/backfill-mutations.js';
import './types/backfill-progress.js';
import './types/backfill.js';
import './types/captured-logs.js';
import './types/clock.js';
import './types/common.js';
import './types/definition-errors.js';
import './types/definition-owner.js';
import './types/dry-run.js';
import './types/dynamic-partitions.js';
import './types/errors.js';
import './types/execution-errors.js';
import './types/execution-plan.js';
import './types/instance.js';
import './types/instigation-event.js';
import './types/instigation-runs.js';
import './types/instigation.js';
import './types/metadata-entry.js';
import './types/partition-definition.js';
import './types/partition-set.js';
import './types/partition-status.js';
import './types/pipeline.js';
import './types/platform-limits.js';
import './types/quarantine.js';
import './types/repository.js';
import './types/run-key-conflicts.js';
import './types/run-mutations.js';
import './types/run-queries.js';
import './types/run.js';
import './types/runs-feed.js';
import './types/schedule-mutations.js';
import './types/schedule.js';
import './types/sensor-mutations.js';
import './types/sensor.js';
import './types/step-stats.js';
import './types/tick.js';
import './types/version.js';
import './types/workspace.js';

/** Servo's GraphQL schema. */
export const schema = builder.toSchema({ sortSchema: false });

/** The schema as SDL, sorted, as committed in `schema.graphql`. */
export function printServoSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
