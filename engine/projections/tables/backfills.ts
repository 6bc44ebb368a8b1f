import type { PartitionSelector } from '../../model/common.js';
import { defineTable } from '../table-def.js';

export interface BackfillRow {
  backfillId: string;
  requestId: string;
  assetSelection: string[];
  selector: PartitionSelector;
  totalPartitions: number;
  chunkSize: number;
  maxConcurrentRuns: number;
  singleRun: boolean;
  parentBackfillId: string | null;
  title: string | null;
  description: string | null;
  tags: Record<string, string>;
  codeVersion: string | null;
  requestedBy: string;
  /** A BulkActionStatus (see events/backfills.ts). */
  state: string;
  stateVersion: number;
  terminateRuns: boolean;
  totalChunks: number;
  /** Chunks planned so far; planning resumes at this index. */
  plannedChunks: number;
  chunksRunning: number;
  chunksSucceeded: number;
  chunksFailed: number;
  chunksCanceled: number;
  partitionsSucceeded: number;
  partitionsFailed: number;
  partitionsCanceled: number;
  createdAt: number;
  endedAt: number | null;
  rowVersion: string;
}

export const backfills = defineTable<BackfillRow>(
  'backfills',
  1,
  {
    backfillId: 'utf8',
    requestId: 'utf8',
    assetSelection: 'json',
    selector: 'json',
    totalPartitions: 'int32',
    chunkSize: 'int32',
    maxConcurrentRuns: 'int32',
    singleRun: 'boolean',
    parentBackfillId: 'utf8?',
    title: 'utf8?',
    description: 'utf8?',
    tags: 'json',
    codeVersion: 'utf8?',
    requestedBy: 'utf8',
    state: 'utf8',
    stateVersion: 'int32',
    terminateRuns: 'boolean',
    totalChunks: 'int32',
    plannedChunks: 'int32',
    chunksRunning: 'int32',
    chunksSucceeded: 'int32',
    chunksFailed: 'int32',
    chunksCanceled: 'int32',
    partitionsSucceeded: 'int32',
    partitionsFailed: 'int32',
    partitionsCanceled: 'int32',
    createdAt: 'timestamp',
    endedAt: 'timestamp?',
    rowVersion: 'utf8',
  },
  (row) => row.backfillId,
);

export const ChunkState = {
  Planned: 'PLANNED',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Canceled: 'CANCELED',
} as const;
export type ChunkState = (typeof ChunkState)[keyof typeof ChunkState];

export interface BackfillChunkRow {
  chunkId: string;
  backfillId: string;
  chunkIndex: number;
  partitionKeys: string[];
  runKey: string;
  runId: string;
  state: ChunkState;
  /** Partitions of the chunk whose materialization failed (per-partition attribution). */
  failedPartitions: string[];
  plannedAt: number;
  endedAt: number | null;
  rowVersion: string;
}

export const backfillChunks = defineTable<BackfillChunkRow>(
  'backfill_chunks',
  1,
  {
    chunkId: 'utf8',
    backfillId: 'utf8',
    chunkIndex: 'int32',
    partitionKeys: 'json',
    runKey: 'utf8',
    runId: 'utf8',
    state: 'utf8',
    failedPartitions: 'json',
    plannedAt: 'timestamp',
    endedAt: 'timestamp?',
    rowVersion: 'utf8',
  },
  (row) => row.chunkId,
);
