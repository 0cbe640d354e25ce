import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { Context } from 'aws-lambda';
import type { QueryDefinition } from '../../api/writer.js';
import type { Checkpoint } from '../../checkpoint/checkpoint-store.js';
import { DynamoDbCheckpointStore } from '../dynamodb/dynamodb-checkpoint-store.js';
import { type PartitionKeySpec, sourcesOf } from '../kinesis/decode-record.js';
import { KinesisRequestError } from '../kinesis/errors.js';
import { isHeartbeat } from '../kinesis/heartbeat.js';
import { committedSequenceNumber } from '../kinesis/shard-offsets.js';
import type { ShardRecord } from '../kinesis/shard-record.js';
import { type KinesisHandlerOptions, kinesisHandler } from '../lambda/kinesis-handler.js';
import { BackfillFailedError } from './errors.js';
import { lambdaEvent } from './lambda-event.js';
import { readS3Input } from './s3-input.js';
import { readShardRange } from './shard-range.js';

/** What a backfill reads: a range of the query's Kinesis stream, or JSON Lines objects in S3. */
export type BackfillInput =
  | {
      readonly kind: 'kinesis';
      readonly stream: string;
      /** First arrival time read (`AT_TIMESTAMP`) on a shard the backfill has not committed yet. @default the oldest record */
      readonly fromMs?: number;
      /** Last arrival time read. @default when the backfill starts (Trigger.AvailableNow) */
      readonly toMs?: number;
    }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

/** The S3 input's one partition. */
export const S3_INPUT_SHARD = 'shardId-s3input';

export interface BackfillOptions
  extends Omit<KinesisHandlerOptions, 'singleShard' | 'onFailure' | 'adoptParents' | 'reserveMs'> {
  /** The query as deployed. */
  readonly query: QueryDefinition;
  /**
   * The backfill's own query name: its checkpoints, state and outputs (`PREFIX/NAME/`) are its
   * own, so it never touches the running query's. @default `${query.name}-backfill`
   */
  readonly name?: string;
  readonly input: BackfillInput;
  /** For the Lambda-shaped events. @default 'us-east-1' */
  readonly region?: string;
  /** Records handed to the handler per call (one "invocation"). @default 10_000 */
  readonly recordsPerCall?: number;
  /** Called after each handler call with the shard's progress so far. */
  readonly onProgress?: (shard: BackfillShardResult) => void;
}

/** What a backfill did on one shard (or the S3 input's partition). */
export interface BackfillShardResult {
  readonly shardId: string;
  /** Data records read and handed to the query in this run (heartbeats not counted). */
  readonly records: number;
  /** Batches committed in this run (data and no-data batches, a replayed pending batch). */
  readonly batches: number;
  /** The last committed batch id, if any. */
  readonly lastBatchId?: number;
  /** The last committed position (sequence number). */
  readonly committedSeq?: string;
  /** The query's global watermark after the last batch (epoch ms). */
  readonly watermarkMs?: number;
}

export interface BackfillResult {
  readonly name: string;
  readonly shards: readonly BackfillShardResult[];
}

const DEFAULT_RECORDS_PER_CALL = 10_000;
/** Unlimited time: a backfill is not an invocation with a deadline. */
const NO_DEADLINE = { getRemainingTimeInMillis: () => Number.MAX_SAFE_INTEGER } as Context;

/**
 * Spark's `Trigger.AvailableNow` for a deployed query: runs the query over what the input holds
 * when it starts, under its own name, then stops.
 * ```
 * query' = query renamed (own checkpoints, state, outputs); handler = kinesisHandler(query', ...)
 * for each shard in id order (parents before children, so a child adopts its parents' state):
 *   after = the shard's committed position in query'   // a rerun resumes; a pending batch replays
 *   for each page of records after `after` (up to the arrival-time bound; S3: every line):
 *     handler(page as a Lambda event)                    // batches, WAL, commits, no-data batch
 *     a failure stops the backfill (BackfillFailedError); rerunning continues from the WAL
 * ```
 * Every batch goes through the deployed function's code path (edge decoding, dead letters,
 * exactly-once sinks, progress records), so the outputs equal what the function would have
 * written for those records.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const name = options.name ?? `${options.query.name}-backfill`;
  const query: QueryDefinition = { ...options.query, name };
  const { input } = options;
  const region = options.region ?? 'us-east-1';
  const pageSize = options.recordsPerCall ?? DEFAULT_RECORDS_PER_CALL;
  const shardIds = input.kind === 's3' ? [S3_INPUT_SHARD] : await listShardIds(options, input.stream);
  const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/${input.kind === 's3' ? 'sluice-backfill-s3-input' : input.stream}`;
  let failure: unknown;
  let committedBatches = 0;
  const handler = kinesisHandler(query, {
    ...options,
    hook: async (phase, batch) => {
      if (phase === 'commitOffsets') committedBatches++;
      await options.hook?.(phase, batch);
    },
    singleShard: shardIds.length === 1,
    adoptParents: input.kind === 'kinesis',
    // Pages start right after the committed position: there is no gap to look for (and S3 input has no stream).
    gapCheck: false,
    reserveMs: 0,
    onFailure: (error) => {
      failure = error;
    },
  });
  const toMs = input.kind === 'kinesis' ? (input.toMs ?? Date.now()) : 0;
  const results: BackfillShardResult[] = [];
  for (const shardId of shardIds) {
    const checkpoints = new DynamoDbCheckpointStore({
      client: options.clients.dynamodb,
      tableName: options.tableName,
      query: name,
      partition: shardId,
    });
    const before = await checkpoints.load();
    const after = committedSeq(before);
    const pages: AsyncIterable<ShardRecord[]> =
      input.kind === 's3'
        ? readS3Input({
            client: options.clients.s3,
            bucket: input.bucket,
            prefix: input.prefix,
            pageSize,
            ...(after === undefined ? {} : { after }),
            ...partitionKeyOf(query),
          })
        : readShardRange({
            client: options.clients.kinesis,
            stream: input.stream,
            shardId,
            toMs,
            pageSize,
            ...(after === undefined ? {} : { after }),
            ...(input.fromMs === undefined ? {} : { fromMs: input.fromMs }),
          });
    let records = 0;
    committedBatches = 0;
    let result: BackfillShardResult = summary(shardId, before, 0, 0);
    for await (const page of pages) {
      failure = undefined;
      const response = await handler(lambdaEvent(page, { streamArn, shardId, region }), NO_DEADLINE);
      records += page.filter((record) => !isHeartbeat(record)).length;
      result = summary(shardId, await checkpoints.load(), records, committedBatches);
      options.onProgress?.(result);
      if (failure !== undefined || response.batchItemFailures.length > 0) {
        throw new BackfillFailedError(
          name,
          shardId,
          failure ?? `records from ${response.batchItemFailures[0]!.itemIdentifier} on were not committed.`,
        );
      }
    }
    results.push(result);
  }
  return { name, shards: results };
}

function committedSeq(checkpoint: Checkpoint | undefined): string | undefined {
  const end = checkpoint?.committed?.endOffsets;
  return end === undefined ? undefined : committedSequenceNumber(end);
}

function summary(
  shardId: string,
  now: Checkpoint | undefined,
  records: number,
  batches: number,
): BackfillShardResult {
  const committed = now?.committed;
  const seq = committedSeq(now);
  return {
    shardId,
    records,
    batches,
    ...(committed === undefined
      ? {}
      : { lastBatchId: committed.batchId, watermarkMs: committed.watermark.globalMs }),
    ...(seq === undefined ? {} : { committedSeq: seq }),
  };
}

/** The declared partition key of the query's (first) source, for S3 input records. */
function partitionKeyOf(query: QueryDefinition): { partitionKey?: PartitionKeySpec } {
  const key = sourcesOf(query).find((source) => source.partitionKey !== undefined)?.partitionKey;
  return key === undefined ? {} : { partitionKey: key };
}

async function listShardIds(options: BackfillOptions, stream: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    try {
      const page = await options.clients.kinesis.send(
        new ListShardsCommand(token === undefined ? { StreamName: stream } : { NextToken: token }),
      );
      for (const shard of page.Shards ?? []) if (shard.ShardId !== undefined) ids.push(shard.ShardId);
      token = page.NextToken;
    } catch (error) {
      throw new KinesisRequestError('ListShards', error, { stream });
    }
  } while (token !== undefined);
  return ids.sort();
}
