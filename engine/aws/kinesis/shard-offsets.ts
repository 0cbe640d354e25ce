import type { Offsets } from '../../checkpoint/checkpoint-store.js';
import { KinesisSourceConfigError } from './errors.js';
import { isSequenceNumber, type SequenceNumber } from './sequence-numbers.js';

/**
 * The key of the shard's position in a batch's offsets. All of a query's sources are read from
 * one shard (records are routed to sources after decoding), so a batch has one position for the
 * whole shard rather than one per source: per-source positions would all name the same sequence
 * numbers, and a record that fails decoding belongs to no source yet still occupies the range.
 */
export const KINESIS_OFFSETS_KEY = 'kinesis';

/**
 * A batch's end position in its shard, as stored in the WAL entry and the commit (format 1):
 *
 * | field | meaning |
 * | --- | --- |
 * | `seq` | sequence number of the batch's last record (inclusive end; compared as a BigInt) |
 * | `count` | how many Kinesis records the batch's range holds: rows, dead letters and heartbeats alike |
 * | `first` | sequence number of the batch's first record |
 *
 * The range of a batch is `[first, seq]`, which is also `(previous seq, seq]` because Lambda
 * delivers a shard's records contiguously. `count` tells a replay whether the event it was given
 * holds the whole range; `first` lets it re-fetch with `AT_SEQUENCE_NUMBER` even for a query's
 * first batch (whose start is empty) and even when the event source mapping skipped records
 * before it (a discarded batch after its retries ran out): the replay reads exactly what the
 * first run read.
 */
export interface ShardOffset {
  readonly seq: SequenceNumber;
  readonly count: number;
  readonly first?: SequenceNumber;
}

/** Wraps a shard position as the batch's {@link Offsets}. */
export function shardOffsets(offset: ShardOffset): Offsets {
  return { [KINESIS_OFFSETS_KEY]: offset };
}

/**
 * Reads the shard position from offsets; `undefined` for the empty offsets of a query that has
 * not committed a batch yet. Throws {@link KinesisSourceConfigError} for offsets this edge did not
 * write (e.g. a checkpoint of a `MemoryStream` query).
 */
export function readShardOffset(offsets: Offsets): ShardOffset | undefined {
  const value = offsets[KINESIS_OFFSETS_KEY] as Partial<ShardOffset> | undefined;
  if (value === undefined) return undefined;
  const wellFormed =
    typeof value === 'object' &&
    value !== null &&
    isSequenceNumber(value.seq) &&
    Number.isInteger(value.count) &&
    (value.count as number) >= 0 &&
    (value.first === undefined || isSequenceNumber(value.first));
  if (!wellFormed) {
    throw new KinesisSourceConfigError(
      `The checkpoint holds offsets ${JSON.stringify(offsets)}, which the Kinesis source did not write (expected { ${KINESIS_OFFSETS_KEY}: { seq, count, first } }). Was the checkpoint written by another kind of source? Use a new query name, or delete this query's checkpoint.`,
      { offsets },
    );
  }
  return value as ShardOffset;
}

/**
 * The last sequence number a checkpoint's offsets cover, if any: records at or before it were
 * processed already (a redelivery), and the first record after it is the one a handler names in
 * `batchItemFailures` when it stops early.
 */
export function committedSequenceNumber(offsets: Offsets): SequenceNumber | undefined {
  return readShardOffset(offsets)?.seq;
}
