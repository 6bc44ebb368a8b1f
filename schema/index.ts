import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
// Each module adds its types and root fields to the builder; the order does not matter.
import './types/asset.js';
import './types/backfill.js';
import './types/clock.js';
import './types/common.js';
import './types/errors.js';
import './types/instigation.js';
import './types/repository.js';
import './types/run.js';
import './types/schedule.js';
import './types/sensor.js';
import './types/version.js';

/** Servo's GraphQL schema. */
export const schema = builder.toSchema({ sortSchema: false });

/** The schema as SDL, sorted, as committed in `schema.graphql`. */
export function printServoSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
