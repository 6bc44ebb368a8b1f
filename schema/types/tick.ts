import { pythonError } from '../../resolvers/errors.js';
import { assetKeyOf } from '../../resolvers/models.js';
import { freshPerEvent } from '../../resolvers/request-caches.js';
import {
  type RequestedMaterializations,
  requestedAssetKeys,
  requestedMaterializationCount,
  requestedMaterializations,
  tickCursor,
  tickEndTimestamp,
  tickIdOf,
  tickRunKeys,
  tickRuns,
  tickStatusOf,
  tickTimestamp,
  tickUpdates,
} from '../../resolvers/ticks.js';
import { builder } from '../builder.js';
import { AssetKeyRef, InstigationTickRef, RunRef } from '../refs.js';
import { InstigationSelector, InstigationTickStatus, InstigationType } from './common.js';
import { PythonError } from './errors.js';
import { InstigationEventConnection } from './instigation-event.js';

/**
 * Dagster's `InstigationTick`: a schedule tick or a sensor evaluation, with the runs it requested.
 * Also the `instigationTicks` subscription and `autoMaterializeTicks` (always empty: Servo has no
 * auto-materialization).
 */

export const DynamicPartitionsRequestType = builder.enumType('DynamicPartitionsRequestType', {
  values: ['ADD_PARTITIONS', 'DELETE_PARTITIONS'] as const,
});

interface DynamicPartitionsRequestResultModel {
  partitionsDefName: string;
  partitionKeys: string[] | null;
  skippedPartitionKeys: string[];
  type: 'ADD_PARTITIONS' | 'DELETE_PARTITIONS';
}

const DynamicPartitionsRequestResult = builder
  .objectRef<DynamicPartitionsRequestResultModel>('DynamicPartitionsRequestResult')
  .implement({
    fields: (t) => ({
      partitionsDefName: t.exposeString('partitionsDefName'),
      partitionKeys: t.exposeStringList('partitionKeys', { nullable: true }),
      skippedPartitionKeys: t.exposeStringList('skippedPartitionKeys'),
      type: t.field({ type: DynamicPartitionsRequestType, resolve: (result) => result.type }),
    }),
  });

const RequestedMaterializationsForAsset = builder
  .objectRef<RequestedMaterializations>('RequestedMaterializationsForAsset')
  .implement({
    fields: (t) => ({
      assetKey: t.field({ type: AssetKeyRef, resolve: (requested) => assetKeyOf(requested.assetKey) }),
      partitionKeys: t.exposeStringList('partitionKeys'),
    }),
  });

InstigationTickRef.implement({
  isTypeOf: (value) =>
    typeof value === 'object' && value !== null && 'row' in value && 'instigationType' in value,
  fields: (t) => ({
    id: t.id({
      description: 'The tick id; pass the last one of a page as `ticks(cursor:)` for the next page.',
      resolve: (tick) => tickIdOf(tick),
    }),
    tickId: t.id({ resolve: (tick) => tickIdOf(tick) }),
    status: t.field({ type: InstigationTickStatus, resolve: (tick) => tickStatusOf(tick) }),
    timestamp: t.float({
      description: "Epoch seconds: a schedule tick's due time, a poll's due time, a push evaluation's time.",
      resolve: (tick) => tickTimestamp(tick),
    }),
    endTimestamp: t.float({
      nullable: true,
      description: 'When the decision was recorded (epoch seconds).',
      resolve: (tick) => tickEndTimestamp(tick),
    }),
    instigationType: t.field({ type: InstigationType, resolve: (tick) => tick.instigationType }),
    runIds: t.stringList({ resolve: (tick) => tick.row.runIds }),
    runKeys: t.stringList({
      description: "The run keys the tick requested (a sensor's as its code chose them).",
      resolve: (tick) => tickRunKeys(tick),
    }),
    runs: t.field({
      type: [RunRef],
      description: 'The runs requested that Servo still keeps (runs expire with retention).',
      resolve: (tick, _args, context) => tickRuns(context, tick),
    }),
    originRunIds: t.stringList({
      description: 'Servo ticks never re-execute runs: always empty.',
      resolve: () => [],
    }),
    skipReason: t.string({ nullable: true, resolve: (tick) => tick.row.skipReason }),
    error: t.field({
      type: PythonError,
      nullable: true,
      resolve: (tick) => (tick.row.error === null ? null : pythonError(tick.row.error)),
    }),
    cursor: t.string({
      nullable: true,
      description: "A sensor evaluation's cursor after it; null for schedule ticks.",
      resolve: (tick) => tickCursor(tick),
    }),
    logKey: t.stringList({
      nullable: true,
      description: 'Servo keeps no captured logs of ticks: always null.',
      resolve: () => null,
    }),
    logEvents: t.field({
      type: InstigationEventConnection,
      description: 'Servo keeps no log lines of ticks: always an empty page.',
      resolve: () => ({ events: [], cursor: '', hasMore: false }),
    }),
    dynamicPartitionsRequestResults: t.field({
      type: [DynamicPartitionsRequestResult],
      description:
        "Not recorded on the tick (a sensor's partition changes are their own events): always empty.",
      resolve: () => [],
    }),
    requestedAssetKeys: t.field({
      type: [AssetKeyRef],
      resolve: (tick, _args, context) => requestedAssetKeys(context, tick),
    }),
    requestedAssetMaterializationCount: t.int({
      description: "Asset materializations requested: each run's assets times its partitions.",
      resolve: (tick, _args, context) => requestedMaterializationCount(context, tick),
    }),
    requestedMaterializationsForAssets: t.field({
      type: [RequestedMaterializationsForAsset],
      resolve: (tick, _args, context) => requestedMaterializations(context, tick),
    }),
    autoMaterializeAssetEvaluationId: t.id({ nullable: true, resolve: () => null }),
  }),
});

builder.queryField('autoMaterializeTicks', (t) =>
  t.field({
    type: [InstigationTickRef],
    description: 'Servo has no auto-materialization: always empty.',
    args: {
      dayRange: t.arg.int(),
      dayOffset: t.arg.int(),
      limit: t.arg.int(),
      cursor: t.arg.string(),
      statuses: t.arg({ type: [InstigationTickStatus] }),
      beforeTimestamp: t.arg.float(),
      afterTimestamp: t.arg.float(),
    },
    resolve: () => [],
  }),
);

builder.subscriptionField('instigationTicks', (t) =>
  t.field({
    type: InstigationTickRef,
    description:
      'Each new or changed tick of one schedule or sensor, as it is recorded — by any Servo process.',
    args: { selector: t.arg({ type: InstigationSelector, required: true }) },
    subscribe: (_root, args, context) => freshPerEvent(context, tickUpdates(context, args.selector)),
    resolve: (tick) => tick,
  }),
);
