import { compareSequenceNumbers } from '../../engine/aws/kinesis/sequence-numbers.js';
import { S3_LAYOUT } from '../../engine/aws/s3/layout.js';
import { S3ProgressWriter } from '../../engine/aws/s3/progress-writer.js';
import { QueryObjects } from '../../engine/aws/s3/s3-objects.js';
import type { QueryProgress } from '../../engine/runtime/progress.js';
import { REPLAY_MARKER_DIR } from '../dead-letters/replay.js';
import { queryStages } from '../target/query-stages.js';
import type { QueryLocation, Target } from '../target/target.js';
import { readCheckpoints, type ShardCheckpoint } from './checkpoints.js';
import { listShards, readShardTail, type ShardTail } from './shard-tip.js';

/** One shard as `sluice status` shows it. */
export interface ShardStatus {
  readonly shard: string;
  readonly closed: boolean;
  readonly checkpoint?: ShardCheckpoint;
  /** Data records after the committed position; `undefined` when the stream is not known. */
  readonly lag?: ShardTail;
  /** The last committed batch's progress record, when the bucket is known and it exists. */
  readonly lastProgress?: QueryProgress;
}

/** A query's status. */
export interface QueryStatus {
  readonly query: string;
  readonly stream?: string;
  readonly shards: readonly ShardStatus[];
  /**
   * Batches with dead letters (objects under `_dead/`, committed or about to be), when the bucket
   * is known; `sluice dead-letters <query>` lists them.
   */
  readonly deadLetterBatches?: number;
  /**
   * A two-stage query: its stage 1s (`<query>.stage-1…` on the source streams) and stage 2 (the
   * query on the internal stream), each with its shards; `shards` is then empty.
   */
  readonly stages?: readonly QueryStatus[];
}

/**
 * What to read for each stage of a query: the query itself, or for a two-stage query its stage 1s
 * (own checkpoints, the source streams), then stage 2 (the query's checkpoints, the internal
 * stream). Stage 1s are found by their name's prefix (see `queryStages`).
 */
export async function stageLocations(target: Target, query: QueryLocation): Promise<QueryLocation[]> {
  return (await queryStages(target, query)).map((stage) => stage.location);
}

/** What to read besides the checkpoints. */
export interface StatusOptions {
  /** Read each shard's tail for the lag. @default true when the stream is known */
  readonly lag?: boolean;
  /** Read the last batch's progress record. @default true when the bucket is known */
  readonly progress?: boolean;
}

/**
 * Reads a query's status: its checkpoints (DynamoDB), and when known, each shard's lag behind the
 * stream tip (Kinesis) and its last batch's progress (S3). Shards of the stream without a
 * checkpoint yet are listed too.
 */
export async function readQueryStatus(
  target: Target,
  query: QueryLocation,
  options: StatusOptions = {},
): Promise<QueryStatus> {
  const locations = await stageLocations(target, query);
  if (locations.length > 1) {
    const stages = await Promise.all(locations.map((stage) => readStageStatus(target, stage, options)));
    return {
      query: query.name,
      ...(query.stream === undefined ? {} : { stream: query.stream }),
      shards: [],
      stages,
    };
  }
  return readStageStatus(target, query, options);
}

/** One stage's (or a one-stage query's) status. */
async function readStageStatus(
  target: Target,
  query: QueryLocation,
  options: StatusOptions,
): Promise<QueryStatus> {
  const checkpoints = await readCheckpoints(target, query);
  const byShard = new Map(checkpoints.map((checkpoint) => [checkpoint.shard, checkpoint]));
  const stream = query.stream;
  const shards: { readonly shardId: string; readonly closed: boolean }[] =
    stream === undefined
      ? checkpoints.map((checkpoint) => ({ shardId: checkpoint.shard, closed: false }))
      : await listShards(target, stream);
  for (const checkpoint of checkpoints) {
    // A checkpoint of a shard the stream no longer lists (trimmed after a reshard).
    if (!shards.some((shard) => shard.shardId === checkpoint.shard)) {
      shards.push({ shardId: checkpoint.shard, closed: true });
    }
  }
  const progressReader =
    query.bucket !== undefined && options.progress !== false
      ? new S3ProgressWriter({
          client: target.clients.s3,
          bucket: query.bucket,
          prefix: query.prefix,
          query: query.name,
        })
      : undefined;
  const statuses = await Promise.all(
    shards.map(async (shard): Promise<ShardStatus> => {
      const checkpoint = byShard.get(shard.shardId);
      const lag =
        stream !== undefined && options.lag !== false
          ? await readShardTail(target, stream, shard.shardId, checkpoint?.committed?.seq)
          : undefined;
      const batchId = checkpoint?.committed?.batchId;
      const lastProgress =
        progressReader !== undefined && batchId !== undefined && batchId >= 0
          ? await progressReader.read(shard.shardId, batchId).catch(() => undefined)
          : undefined;
      return {
        shard: shard.shardId,
        closed: shard.closed,
        ...(checkpoint === undefined ? {} : { checkpoint }),
        ...(lag === undefined ? {} : { lag }),
        ...(lastProgress === undefined ? {} : { lastProgress }),
      };
    }),
  );
  statuses.sort((a, b) => a.shard.localeCompare(b.shard));
  const deadLetterBatches =
    query.bucket !== undefined && options.progress !== false
      ? await countDeadLetterObjects(target, query, query.bucket).catch(() => undefined)
      : undefined;
  return {
    query: query.name,
    ...(stream === undefined ? {} : { stream }),
    shards: statuses,
    ...(deadLetterBatches === undefined ? {} : { deadLetterBatches }),
  };
}

/** Dead-letter objects (one per batch that set letters aside) under the query's `_dead/`. */
async function countDeadLetterObjects(target: Target, query: QueryLocation, bucket: string): Promise<number> {
  const objects = new QueryObjects(target.clients.s3, bucket, query.prefix, query.name);
  const keys = await objects.list(S3_LAYOUT.deadLetterDir);
  return keys.filter((key) => !key.startsWith(REPLAY_MARKER_DIR)).length;
}

/** True when the shard's commit covers `seq` (a sequence number of the shard). */
export function covers(checkpoint: ShardCheckpoint | undefined, seq: string): boolean {
  const committed = checkpoint?.committed?.seq;
  return committed !== undefined && compareSequenceNumbers(committed, seq) >= 0;
}
