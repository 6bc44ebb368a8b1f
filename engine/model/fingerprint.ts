import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './hashing.js';

/** What a run request asks to do; the inputs of its fingerprint. */
export interface RunRequestContent {
  assetSelection: readonly string[];
  partitionKeys?: readonly string[] | undefined;
  singleRun?: boolean | undefined;
}

/**
 * The request fingerprint: lowercase hex SHA-256 of the canonical JSON of
 * `{v: 1, assets, partitions, singleRun}` where `assets` and `partitions` are sorted and
 * de-duplicated (`partitions` is null when the run is unpartitioned). Order never matters; tags,
 * priority and the requesting source do not count, so the same work requested by a schedule, a
 * sensor, a backfill and an operator under one run key is one request, and different work under
 * one run key is a conflict. Every path that requests runs (API, schedules, sensors, backfills)
 * uses this function.
 */
export function requestFingerprint(content: RunRequestContent): string {
  const assets = [...new Set(content.assetSelection)].sort();
  const partitions =
    content.partitionKeys === undefined || content.partitionKeys.length === 0
      ? null
      : [...new Set(content.partitionKeys)].sort();
  return sha256Hex(canonicalJson({ v: 1, assets, partitions, singleRun: content.singleRun === true }));
}
