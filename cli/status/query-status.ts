import { compareSequenceNumbers } from '../../engine/aws/kinesis/sequence-numbers.js';
import { S3ProgressWriter } from '../../engine/aws/s3/progress-writer.js';
import type { QueryProgress } from '../../engine/runtime/progress.js';
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
   * A two-stage query: stage 1 (`<query>.stage-1` on the source stream) and stage 2 (the query on
   * the internal stream), each with its shards; `shards` is then empty.
   */
  readonly stages?: readonly QueryStatus[];
}

/** The name stage 1 of a two-stage query checkpoints under (as the plan rewrite names it). */
export const stageOneName = (query: string): string => `${query}.stage-1`;

/**
 * What to read for each stage of a query: the query itself, or for a two-stage query its stage 1
 * (own checkpoints, the source stream) and stage 2 (the query's checkpoints, the internal stream).
 */
export function stageLocations(query: QueryLocation): QueryLocation[] {
  const { exchangeStream, ...single } = query;
  if (exchangeStream === undefined) return [single];
  return [
    { ...single, name: stageOneName(query.name) },
    { ...single, stream: exchangeStream },
  ];
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
  if (query.exchangeStream !== undefined) {
    const stages = await Promise.all(
      stageLocations(query).map((stage) => readQueryStatus(target, stage, options)),
    );
    return {
      query: query.name,
      ...(query.stream === undefined ? {} : { stream: query.stream }),
      shards: [],
      stages,
    };
  }
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
  return { query: query.name, ...(stream === undefined ? {} : { stream }), shards: statuses };
}

/** True when the shard's commit covers `seq` (a sequence number of the shard). */
export function covers(checkpoint: ShardCheckpoint | undefined, seq: string): boolean {
  const committed = checkpoint?.committed?.seq;
  return committed !== undefined && compareSequenceNumbers(committed, seq) >= 0;
}
