import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandOutput,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { HEARTBEAT_PARTITION_KEY } from '../../engine/aws/kinesis/heartbeat.js';
import { isAfter } from '../../engine/aws/kinesis/sequence-numbers.js';
import { UnknownStreamError } from '../errors.js';
import { awsErrorName, withAws } from '../target/aws-errors.js';
import type { Target } from '../target/target.js';

/** A shard of the stream. */
export interface StreamShard {
  readonly shardId: string;
  readonly parents: readonly string[];
  /** A closed shard (after a split or merge) takes no new records. */
  readonly closed: boolean;
}

/** Lists the stream's shards (every page), parents included. */
export async function listShards(target: Target, stream: string): Promise<StreamShard[]> {
  const shards: StreamShard[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await withAws(target, 'kinesis', () =>
        target.clients.kinesis.send(
          new ListShardsCommand(nextToken === undefined ? { StreamName: stream } : { NextToken: nextToken }),
        ),
      );
      for (const shard of page.Shards ?? []) {
        if (shard.ShardId === undefined) continue;
        shards.push({
          shardId: shard.ShardId,
          parents: [shard.ParentShardId, shard.AdjacentParentShardId].filter(
            (id): id is string => id !== undefined,
          ),
          // Presence only: kinesis-mock reports Long.MaxValue for open shards' ends in some versions.
          closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
        });
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException')
      throw new UnknownStreamError(stream, [], target.where);
    throw error;
  }
  return shards;
}

/** What lies in a shard after a position. */
export interface ShardTail {
  /** Data records after the position (heartbeats not counted). */
  readonly records: number;
  /** True when reading stopped at the limit: there are at least `records`. */
  readonly truncated: boolean;
  /** The last data record's sequence number, if any lies after the position. */
  readonly lastSeq?: string;
  /** How far behind the newest record the read ended, as Kinesis reports it. */
  readonly millisBehindLatest: number;
}

/** Records read per status poll before the lag is shown as "at least N". */
export const DEFAULT_TAIL_LIMIT = 100_000;

/**
 * Reads the shard after `afterSeq` (from its start when `undefined`) to its tip and counts the data
 * records there; heartbeat records, which only trigger no-data batches, are not counted. Stops at
 * `limit` records (the lag is then "at least"). On AWS this uses the shard's GetRecords budget
 * (5 calls/s shared with the event source mapping), so callers poll gently.
 */
export async function readShardTail(
  target: Target,
  stream: string,
  shardId: string,
  afterSeq: string | undefined,
  limit: number = DEFAULT_TAIL_LIMIT,
): Promise<ShardTail> {
  const kinesis = target.clients.kinesis;
  const iteratorFrom = (position: string | undefined) =>
    withAws(target, 'kinesis', () =>
      kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ...(position === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position }),
        }),
      ),
    );
  // `sluice checkpoint skip --through N` may commit a position no record holds; Kinesis refuses
  // such a number as a starting point, so the read then starts at the shard's start and counts
  // only what lies after the position.
  let countFrom: string | undefined;
  let start: GetShardIteratorCommandOutput;
  try {
    start = await iteratorFrom(afterSeq);
  } catch (error) {
    if (afterSeq === undefined || awsErrorName(error) !== 'InvalidArgumentException') throw error;
    countFrom = afterSeq;
    start = await iteratorFrom(undefined);
  }
  let iterator = start.ShardIterator;
  let records = 0;
  let lastSeq: string | undefined;
  let millisBehindLatest = 0;
  while (iterator !== undefined && records < limit) {
    const current = iterator;
    const page = await withAws(target, 'kinesis', () =>
      kinesis.send(new GetRecordsCommand({ ShardIterator: current, Limit: 10_000 })),
    );
    for (const record of page.Records ?? []) {
      if (record.PartitionKey === HEARTBEAT_PARTITION_KEY) continue;
      if (countFrom !== undefined && !isAfter(record.SequenceNumber ?? '0', countFrom)) continue;
      records += 1;
      lastSeq = record.SequenceNumber;
    }
    millisBehindLatest = page.MillisBehindLatest ?? 0;
    // An empty page at the tip ends the read (a closed shard's iterator also ends it).
    if ((page.Records ?? []).length === 0 && millisBehindLatest === 0) break;
    iterator = page.NextShardIterator;
  }
  return {
    records,
    truncated: records >= limit,
    ...(lastSeq === undefined ? {} : { lastSeq }),
    millisBehindLatest,
  };
}
