/**
 * Platform limits and defaults (SPEC §8). Every value is configurable; the API exposes them
 * (`platformLimits`) and docs/limits.md documents them.
 */
export interface AutomationLimits {
  /** Run requests one sensor evaluation may make; beyond it the evaluation fails. Default 100. */
  maxRunRequestsPerEvaluation: number;
  /** Time a sensor evaluation may take. Default 60 s. */
  sensorEvaluationTimeoutMs: number;
  /** Shortest poll interval a sensor may ask for. Default 30 s. */
  minimumSensorIntervalSeconds: number;
  /** Default catch-up window of a schedule. Default 24 h. */
  defaultCatchupWindowSeconds: number;
  /** Default number of due times a schedule runs after downtime. Default 5. */
  defaultMaxCatchupTicks: number;
  /** Default partitions per backfill chunk (one run each). Default 25. */
  defaultBackfillChunkSize: number;
  /** Default chunk runs in flight per backfill. Default 10. */
  defaultBackfillMaxConcurrentRuns: number;
  /** Largest selection a backfill may cover. Default 10,000,000 partitions. */
  maxBackfillPartitions: number;
  /** Largest push message body. Default 1 MiB. */
  maxPushPayloadBytes: number;
  /** Time budget of one controller invocation. Default 30 s. */
  controllerBudgetMs: number;
  /** Future ticks a preview may ask for. Default 100. */
  maxFutureTicks: number;
}

export const DEFAULT_LIMITS: AutomationLimits = {
  maxRunRequestsPerEvaluation: 100,
  sensorEvaluationTimeoutMs: 60_000,
  minimumSensorIntervalSeconds: 30,
  defaultCatchupWindowSeconds: 86_400,
  defaultMaxCatchupTicks: 5,
  defaultBackfillChunkSize: 25,
  defaultBackfillMaxConcurrentRuns: 10,
  maxBackfillPartitions: 10_000_000,
  maxPushPayloadBytes: 1024 * 1024,
  controllerBudgetMs: 30_000,
  maxFutureTicks: 100,
};
