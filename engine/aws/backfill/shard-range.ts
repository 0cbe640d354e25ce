import {
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { KinesisRequestError } from '../kinesis/errors.js';
import type { SequenceNumber } from '../kinesis/sequence-numbers.js';
import { fromGetRecords, type ShardRecord } from '../kinesis/shard-record.js';

/** `GetRecords` returns at most this many records per call. */
const MAX_RECORDS_PER_CALL = 10_000;

/** Where a backfill reads one shard from, and up to when. */
export interface ShardRangeOptions {
  readonly client: KinesisClient;
  readonly stream: string;
  readonly shardId: string;
  /** Resume after this record (the backfill's committed position); wins over `fromMs`. */
  readonly after?: SequenceNumber;
  /** Start at the first record that arrived at or after this time (`AT_TIMESTAMP`). @default the oldest record */
  readonly fromMs?: number;
  /**
   * The last arrival time read (Trigger.AvailableNow: what was in the stream when the backfill
   * started). Reading stops at the first record that arrived later.
   */
  readonly toMs: number;
  /** Records per page handed out. @default 10_000 */
  readonly pageSize?: number;
}

/**
 * Reads one shard from a start position up to an arrival-time bound, in pages of records in
 * sequence order:
 * ```
 * iterator = AFTER_SEQUENCE_NUMBER after | AT_TIMESTAMP from | TRIM_HORIZON
 * loop GetRecords:
 *   stop at the first record that arrived after `toMs`
 *   stop when NextShardIterator is absent (closed shard) or a page is empty at the tip (MillisBehindLatest 0)
 *   ExpiredIteratorException: a new iterator after the last record read
 * ```
 */
export async function* readShardRange(options: ShardRangeOptions): AsyncGenerator<ShardRecord[]> {
  const pageSize = options.pageSize ?? MAX_RECORDS_PER_CALL;
  let last = options.after;
  const iterator = async () => {
    try {
      const response = await options.client.send(
        new GetShardIteratorCommand({
          StreamName: options.stream,
          ShardId: options.shardId,
          ...(last !== undefined
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last }
            : options.fromMs !== undefined
              ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(options.fromMs) }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      return response.ShardIterator;
    } catch (error) {
      throw new KinesisRequestError('GetShardIterator', error, {
        stream: options.stream,
        shardId: options.shardId,
      });
    }
  };
  let next = await iterator();
  let page: ShardRecord[] = [];
  while (next !== undefined) {
    let response: GetRecordsCommandOutput;
    try {
      response = await options.client.send(
        new GetRecordsCommand({ ShardIterator: next, Limit: MAX_RECORDS_PER_CALL }),
      );
    } catch (error) {
      if (error instanceof ExpiredIteratorException) {
        next = await iterator();
        continue;
      }
      throw new KinesisRequestError('GetRecords', error, {
        stream: options.stream,
        shardId: options.shardId,
      });
    }
    const fetched = response.Records ?? [];
    for (const raw of fetched) {
      const record = fromGetRecords(raw);
      if ((record.approximateArrivalTimestampMs ?? 0) > options.toMs) {
        if (page.length > 0) yield page;
        return;
      }
      page.push(record);
      last = record.sequenceNumber;
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
    if (fetched.length === 0 && response.MillisBehindLatest === 0) break;
    next = response.NextShardIterator ?? undefined;
  }
  if (page.length > 0) yield page;
}
