import { InstigationStateRef, SensorRef } from '../refs.js';
import { DefinitionTag, InstigationStatus, tagsOf } from './common.js';

/** Dagster's `Sensor`: a poll or push sensor whose logic lives in a code location. */
SensorRef.implement({
  fields: (t) => ({
    id: t.id({ resolve: (sensor) => sensor.sensorId }),
    name: t.exposeString('name'),
    description: t.string({ nullable: true, resolve: (sensor) => sensor.description }),
    minIntervalSeconds: t.int({ resolve: (sensor) => sensor.minimumIntervalSeconds }),
    defaultStatus: t.field({
      type: InstigationStatus,
      resolve: (sensor) => (sensor.defaultStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED'),
    }),
    sensorState: t.field({
      type: InstigationStateRef,
      resolve: (sensor) => ({
        instigationType: 'SENSOR' as const,
        instigatorId: sensor.sensorId,
        codeLocation: sensor.codeLocation,
        name: sensor.name,
      }),
    }),
    tags: t.field({ type: [DefinitionTag], resolve: (sensor) => tagsOf(sensor.tags) }),
  }),
});
