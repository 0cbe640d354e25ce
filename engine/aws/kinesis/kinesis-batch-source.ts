import type { Offsets } from '../../checkpoint/checkpoint-store.js';
import type { BatchInput, DeadLetter, RecordOrigin } from '../../runtime/dead-letter.js';
import type { BatchSource } from '../../runtime/stream-execution.js';
import type { Row } from '../../types.js';
import type { RecordDecoder } from './decode-record.js';
import { KinesisRangeMismatchError, KinesisSourceConfigError } from './errors.js';
import type { FetchGap } from './gap-fetch.js';
import { DEFAULT_MAX_GAP_RECORDS, fillGap, type InputGap } from './gap-fill.js';
import { isHeartbeat } from './heartbeat.js';
import {
  compareSequenceNumbers,
  firstIndexAfter,
  firstIndexAtOrAfter,
  inRange,
  orderBySequenceNumber,
  type SequenceNumber,
} from './sequence-numbers.js';
import { readShardOffset, type ShardOffset, shardOffsets } from './shard-offsets.js';
import { type AnyKinesisRecord, type ShardRecord, toShardRecord } from './shard-record.js';

/**
 * A range of one shard to read back from Kinesis: `[from, to]` when `from` is given (iterator
 * `AT_SEQUENCE_NUMBER`), else `(after, to]` (`AFTER_SEQUENCE_NUMBER`), else from the oldest
 * record (`TRIM_HORIZON`). `count` is how many records the range should hold.
 */
export interface RecordRange {
  readonly from?: SequenceNumber;
  readonly after?: SequenceNumber;
  readonly to: SequenceNumber;
  readonly count: number;
}

/** Reads a range of the shard back from Kinesis, in sequence order (see `createRefetch`). */
export type RefetchRange = (range: RecordRange) => Promise<readonly ShardRecord[]>;

export interface KinesisBatchSourceOptions {
  /** The invocation's records of this shard, in any order (Lambda event records or `GetRecords` records). */
  readonly records: readonly AnyKinesisRecord[];
  /** Decodes records into rows and dead letters; see `createRecordDecoder`. */
  readonly decode: RecordDecoder;
  /** Reads back a range the records do not fully hold. Without it such a replay fails. */
  readonly refetch?: RefetchRange;
  /**
   * At most this many records (heartbeats not counted) per batch; the rest go to the next batch
   * of the same invocation. Smaller batches let a handler stop in time and commit more often.
   * @default unlimited (one batch per invocation)
   */
  readonly maxRecordsPerBatch?: number;
  /** For error messages. */
  readonly shardId?: string;
  /**
   * Reads what Kinesis holds between the committed position and the event (see `fillGap`): with
   * it, records Lambda never delivered are found and processed before the event's. Without it the
   * next batch starts at whatever the event delivered.
   */
  readonly fetchGap?: FetchGap;
  /** Cap on the records read back for one gap per invocation. @default {@link DEFAULT_MAX_GAP_RECORDS} */
  readonly maxGapRecords?: number;
  /** Told about a gap found (for logs, metrics and progress). */
  readonly onGap?: (gap: InputGap) => void;
}

/**
 * The engine's {@link BatchSource} over one Kinesis shard in one Lambda invocation.
 *
 * Offsets are {@link ShardOffset}s under one key for the whole shard (`{ kinesis: { seq, count,
 * first } }`). A new batch takes the records after the committed sequence number (a redelivery's
 * older records are skipped) up to the last one that is not a heartbeat; heartbeats alone never
 * make a batch, they only let the execution run a due no-data batch.
 *
 * Reading a batch, possibly a replay of a WAL entry written by an earlier invocation:
 * ```
 * held = records of this invocation in the batch's range
 * if held.length != end.count:                 // a bisected or different redelivery
 *   held = refetch(range)                       // GetShardIterator + GetRecords
 *   if held.length != end.count: throw KinesisRangeMismatchError   // expired? recreated?
 * decode held in sequence order → rows per source, dead letters; heartbeats dropped
 * ```
 * The same range therefore always decodes the same records into the same rows.
 *
 * The committed position, not the event, decides where a new batch starts: before the first new
 * batch of an invocation, when the event holds nothing at or before the committed record, the
 * records Kinesis holds in between and Lambda never delivered are read and processed first
 * (`fetchGap`, see `fillGap`).
 */
export class KinesisBatchSource implements BatchSource {
  private records: readonly ShardRecord[];
  /** The records' sequence numbers (ascending, like `records`), for binary searches. */
  private keys: readonly SequenceNumber[];
  /** Whether the first new batch looked for a gap (later batches of the invocation follow on). */
  private gapChecked = false;

  constructor(private readonly options: KinesisBatchSourceOptions) {
    if (options.maxRecordsPerBatch !== undefined && !(options.maxRecordsPerBatch >= 1)) {
      throw new KinesisSourceConfigError(
        `maxRecordsPerBatch must be at least 1 (got ${options.maxRecordsPerBatch}); leave it out for one batch per invocation.`,
      );
    }
    if (options.maxGapRecords !== undefined && !(options.maxGapRecords >= 1)) {
      throw new KinesisSourceConfigError(
        `maxGapRecords must be at least 1 (got ${options.maxGapRecords}); leave it out for ${DEFAULT_MAX_GAP_RECORDS}.`,
      );
    }
    const ordered = orderBySequenceNumber(
      options.records.map(toShardRecord),
      (record) => record.sequenceNumber,
    );
    this.records = ordered.items;
    this.keys = ordered.keys;
  }

  /** The invocation's records after `offsets` (all of them for empty offsets), in sequence order. */
  recordsAfter(offsets: Offsets): readonly ShardRecord[] {
    const committed = readShardOffset(offsets)?.seq;
    return committed === undefined ? this.records : this.records.slice(firstIndexAfter(this.keys, committed));
  }

  async nextEndOffsets(committed: Offsets): Promise<Offsets | undefined> {
    await this.checkGap(committed);
    const pending = this.recordsAfter(committed);
    const limit = this.options.maxRecordsPerBatch ?? Number.POSITIVE_INFINITY;
    let lastData = -1;
    let data = 0;
    for (let i = 0; i < pending.length && data < limit; i++) {
      if (isHeartbeat(pending[i]!)) continue;
      lastData = i;
      data++;
    }
    if (lastData < 0) return undefined;
    return shardOffsets({
      seq: pending[lastData]!.sequenceNumber,
      count: lastData + 1,
      first: pending[0]!.sequenceNumber,
    });
  }

  async getBatch(start: Offsets, end: Offsets): Promise<BatchInput> {
    const to = readShardOffset(end);
    const after = readShardOffset(start)?.seq;
    if (to === undefined || to.seq === after) return { rows: new Map(), deadLetters: [] };
    const records = await this.recordsOf(after, to);
    const rows = new Map<string, Row[]>();
    // Per source, the record of each row (references, no copy): origins only for poison isolation.
    const recordsOfRows = new Map<string, ShardRecord[]>();
    const deadLetters: DeadLetter[] = [];
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      // Decoders answer synchronously unless a schema validates asynchronously: await only those.
      let item = this.options.decode(record);
      if (item instanceof Promise) item = await item;
      if (item.kind === 'row') {
        const list = rows.get(item.source);
        if (list === undefined) {
          rows.set(item.source, [item.row]);
          recordsOfRows.set(item.source, [record]);
        } else {
          list.push(item.row);
          recordsOfRows.get(item.source)!.push(record);
        }
      } else if (item.kind === 'dead') {
        deadLetters.push(item.deadLetter);
      }
    }
    const originOf = (source: string, index: number): RecordOrigin | undefined => {
      const record = recordsOfRows.get(source)?.[index];
      if (record === undefined) return undefined;
      return {
        position: record.sequenceNumber,
        partitionKey: record.partitionKey,
        data: record.data,
        ...(record.approximateArrivalTimestampMs === undefined
          ? {}
          : { arrivalMs: record.approximateArrivalTimestampMs }),
      };
    };
    return { rows, deadLetters, originOf };
  }

  /**
   * Once per invocation, before its first new batch: records between the committed position and
   * the event that Lambda never delivered are put in front of the event's (see `fillGap`).
   */
  private async checkGap(committed: Offsets): Promise<void> {
    if (this.gapChecked || this.options.fetchGap === undefined) return;
    const seq = readShardOffset(committed)?.seq;
    // No committed position (a new query, or a shard that adopted its parents): nothing to follow.
    if (seq === undefined) return;
    const filled = await fillGap(
      this.records,
      this.keys,
      seq,
      this.options.fetchGap,
      this.options.maxGapRecords ?? DEFAULT_MAX_GAP_RECORDS,
    );
    this.gapChecked = true;
    if (filled.gap === undefined) return;
    this.records = filled.records;
    this.keys = filled.records.map((record) => record.sequenceNumber);
    this.options.onGap?.(filled.gap);
  }

  /** The records of the range: this invocation's if it holds them all, else read back from Kinesis. */
  private async recordsOf(
    after: SequenceNumber | undefined,
    to: ShardOffset,
  ): Promise<readonly ShardRecord[]> {
    const held = this.heldInBatch(after, to);
    if (held.length === to.count) return held;
    const refetch = this.options.refetch;
    const range: RecordRange = {
      ...(to.first !== undefined ? { from: to.first } : after !== undefined ? { after } : {}),
      to: to.seq,
      count: to.count,
    };
    const describe = (found: number, refetched: boolean) => ({
      ...(this.options.shardId === undefined ? {} : { shardId: this.options.shardId }),
      from: range.from ?? (range.after === undefined ? 'the oldest record' : `after ${range.after}`),
      to: to.seq,
      expected: to.count,
      found,
      refetched,
    });
    if (refetch === undefined) throw new KinesisRangeMismatchError(describe(held.length, false));
    const fetched = orderBySequenceNumber(
      await refetch(range),
      (record) => record.sequenceNumber,
    ).items.filter((record) => inBatch(record.sequenceNumber, after, to));
    if (fetched.length !== to.count) throw new KinesisRangeMismatchError(describe(fetched.length, true));
    return fetched;
  }

  /** This invocation's records in the batch range: one contiguous run of the ordered records. */
  private heldInBatch(after: SequenceNumber | undefined, to: ShardOffset): readonly ShardRecord[] {
    const keys = this.keys;
    let start = after === undefined ? 0 : firstIndexAfter(keys, after);
    if (to.first !== undefined) start = Math.max(start, firstIndexAtOrAfter(keys, to.first));
    const end = firstIndexAfter(keys, to.seq);
    return start < end ? this.records.slice(start, end) : [];
  }
}

/** In the batch range: after the previous end, at or after the batch's first record, at or before its last. */
function inBatch(seq: SequenceNumber, after: SequenceNumber | undefined, to: ShardOffset): boolean {
  return (
    inRange(seq, after, to.seq) && (to.first === undefined || compareSequenceNumbers(seq, to.first) >= 0)
  );
}
