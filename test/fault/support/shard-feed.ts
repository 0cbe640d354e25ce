import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { HEARTBEAT_PARTITION_KEY, readShardOffset } from '../../../engine/aws/kinesis/index.js';
import type { Checkpoint, PlannedBatch } from '../../../engine/index.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import type { IndexRange } from './fault-choice.js';
import type { FaultEnv } from './fault-env.js';
import { readCheckpoint } from './observed-results.js';

/**
 * One shard as the simulated event source mapping sees it: every record Kinesis holds, Lambda's
 * position (the next record it would deliver), and the last event it delivered.
 */
export class ShardFeed {
  private readonly indexes: Map<string, number>;
  /** Index of the last record that is not a heartbeat (-1 when none): a batch never ends after it. */
  readonly lastDataIndex: number;
  position = 0;
  last: IndexRange | undefined;

  constructor(
    readonly stream: string,
    readonly shardId: string,
    readonly records: readonly _Record[],
  ) {
    this.indexes = new Map(records.map((record, i) => [record.SequenceNumber!, i]));
    this.lastDataIndex = records.findLastIndex((record) => record.PartitionKey !== HEARTBEAT_PARTITION_KEY);
  }

  get size(): number {
    return this.records.length;
  }

  /** The index of a sequence number of this shard. */
  indexOf(sequenceNumber: string): number {
    const index = this.indexes.get(sequenceNumber);
    if (index === undefined) throw new Error(`${sequenceNumber} is not a record of ${this.shardId}`);
    return index;
  }

  /** The index of a batch's last record (-1 for offsets before any record). */
  endIndexOf(batch: Pick<PlannedBatch, 'endOffsets'>): number {
    const end = readShardOffset(batch.endOffsets);
    return end === undefined ? -1 : this.indexOf(end.seq);
  }

  /** The inclusive index range of a data batch. */
  rangeOf(batch: PlannedBatch): IndexRange {
    const end = readShardOffset(batch.endOffsets)!;
    return { from: this.indexOf(end.first!), to: this.indexOf(end.seq) };
  }

  /** A Lambda event holding the records of `range`, as the event source mapping builds it. */
  event(range: IndexRange): KinesisStreamEvent {
    return kinesisEvent(this.records.slice(range.from, range.to + 1), {
      streamName: this.stream,
      shardId: this.shardId,
    });
  }
}

/** Where a shard stands in the protocol, read straight from the checkpoint item (no faults). */
export interface ShardProgress {
  readonly checkpoint: Checkpoint | undefined;
  /** Index of the last committed record (-1 when none). */
  readonly committedIndex: number;
  /** The first record after the last planned or committed batch. */
  readonly resumeAt: number;
  /** Every data record committed and nothing pending. */
  readonly done: boolean;
}

export async function shardProgress(env: FaultEnv, query: string, feed: ShardFeed): Promise<ShardProgress> {
  const checkpoint = await readCheckpoint(env, query, feed.shardId);
  const committedIndex = checkpoint?.committed === undefined ? -1 : feed.endIndexOf(checkpoint.committed);
  const planned = checkpoint?.pending ?? checkpoint?.committed;
  return {
    checkpoint,
    committedIndex,
    resumeAt: planned === undefined ? 0 : feed.endIndexOf(planned) + 1,
    done: checkpoint?.pending === undefined && committedIndex >= feed.lastDataIndex,
  };
}
