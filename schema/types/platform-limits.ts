import type { AutomationLimits as AutomationLimitsModel } from '../../engine/automation/limits.js';
import type { AdmissionPolicy as AdmissionPolicyModel } from '../../engine/controllers/admission.js';
import { type PlatformLimitsModel, platformLimitsOf } from '../../resolvers/health.js';
import type { GraphqlLimits as GraphqlLimitsModel } from '../../server/graphql-limits.js';
import { builder } from '../builder.js';

const AutomationLimits = builder.objectRef<AutomationLimitsModel>('AutomationLimits').implement({
  description: 'Limits and defaults of schedules, sensors and backfills (docs/configuration.md).',
  fields: (t) => ({
    maxRunRequestsPerEvaluation: t.exposeInt('maxRunRequestsPerEvaluation'),
    sensorEvaluationTimeoutSeconds: t.float({ resolve: (l) => l.sensorEvaluationTimeoutMs / 1000 }),
    minimumSensorIntervalSeconds: t.exposeInt('minimumSensorIntervalSeconds'),
    defaultCatchupWindowSeconds: t.exposeInt('defaultCatchupWindowSeconds'),
    defaultMaxCatchupTicks: t.exposeInt('defaultMaxCatchupTicks'),
    defaultBackfillChunkSize: t.exposeInt('defaultBackfillChunkSize'),
    defaultBackfillMaxConcurrentRuns: t.exposeInt('defaultBackfillMaxConcurrentRuns'),
    maxBackfillPartitions: t.exposeInt('maxBackfillPartitions'),
    maxPushPayloadBytes: t.exposeInt('maxPushPayloadBytes'),
    controllerBudgetSeconds: t.float({ resolve: (l) => l.controllerBudgetMs / 1000 }),
    maxFutureTicks: t.exposeInt('maxFutureTicks'),
  }),
});

const PoolSlots = builder.objectRef<{ pool: string; slots: number }>('PoolSlots').implement({
  fields: (t) => ({ pool: t.exposeString('pool'), slots: t.exposeInt('slots') }),
});

const LaneRateLimit = builder
  .objectRef<{ lane: string; runs: number; perSeconds: number }>('LaneRateLimit')
  .implement({
    fields: (t) => ({
      lane: t.exposeString('lane'),
      runs: t.exposeInt('runs'),
      perSeconds: t.exposeInt('perSeconds'),
    }),
  });

const TagLimit = builder.objectRef<AdmissionPolicyModel['tagLimits'][number]>('TagLimit').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    value: t.string({ nullable: true, resolve: (limit) => limit.value ?? null }),
    perUniqueValue: t.exposeBoolean('perUniqueValue'),
    maxConcurrentRuns: t.int({ nullable: true, resolve: (limit) => limit.maxConcurrentRuns ?? null }),
    rateRuns: t.int({ nullable: true, resolve: (limit) => limit.rate?.runs ?? null }),
    ratePerSeconds: t.int({ nullable: true, resolve: (limit) => limit.rate?.perSeconds ?? null }),
  }),
});

const AdmissionPolicy = builder.objectRef<AdmissionPolicyModel>('AdmissionPolicy').implement({
  description: 'How queued runs are admitted (docs/admission.md; SERVO_ADMISSION).',
  fields: (t) => ({
    laneOrder: t.stringList({ description: 'Highest first.', resolve: (p) => [...p.laneOrder] }),
    maxConcurrentRuns: t.int({
      description: '-1: unlimited; 0: admission paused.',
      resolve: (p) => p.maxConcurrentRuns,
    }),
    pools: t.field({
      type: [PoolSlots],
      resolve: (p) => Object.entries(p.pools).map(([pool, slots]) => ({ pool, slots })),
    }),
    defaultPoolSlots: t.int({
      nullable: true,
      description: 'Slots of a pool not listed; null: unlimited.',
      resolve: (p) => p.defaultPoolSlots,
    }),
    laneRateLimits: t.field({
      type: [LaneRateLimit],
      resolve: (p) =>
        Object.entries(p.laneRateLimits).flatMap(([lane, limit]) =>
          limit === undefined ? [] : [{ lane, ...limit }],
        ),
    }),
    tagLimits: t.field({ type: [TagLimit], resolve: (p) => p.tagLimits }),
    agingSeconds: t.int({ nullable: true, description: 'null: no aging.', resolve: (p) => p.agingSeconds }),
  }),
});

const GraphqlLimits = builder.objectRef<GraphqlLimitsModel>('GraphqlLimits').implement({
  description: "The API's own limits.",
  fields: (t) => ({
    maxDepth: t.exposeInt('maxDepth'),
    maxCost: t.exposeInt('maxCost'),
    maxPageSize: t.exposeInt('maxPageSize'),
    maxBodyBytes: t.exposeInt('maxBodyBytes'),
    maxWebSocketMessageBytes: t.exposeInt('maxWebSocketMessageBytes'),
    responseCacheBytes: t.exposeInt('responseCacheBytes', {
      description:
        'Memory for answers reused while nothing they depend on changed (SERVO_GRAPHQL_RESPONSE_CACHE_BYTES); 0: answers are never reused.',
    }),
  }),
});

const PlatformLimits = builder.objectRef<PlatformLimitsModel>('PlatformLimits').implement({
  fields: (t) => ({
    automation: t.field({ type: AutomationLimits, resolve: (l) => l.automation }),
    admission: t.field({ type: AdmissionPolicy, resolve: (l) => l.admission }),
    graphql: t.field({ type: GraphqlLimits, resolve: (l) => l.graphql }),
  }),
});

builder.queryField('platformLimits', (t) =>
  t.field({
    type: PlatformLimits,
    description: 'Servo: the limits this server runs with — automation, admission and the API.',
    resolve: (_root, _args, context) => platformLimitsOf(context),
  }),
);
