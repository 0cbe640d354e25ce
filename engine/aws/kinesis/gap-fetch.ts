import {
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { KinesisRequestError } from './errors.js';
import { DEFAULT_MAX_PAGES, streamNameOf } from './refetch.js';
import { compareSequenceNumbers, type SequenceNumber } from './sequence-numbers.js';
import { fromGetRecords, type ShardRecord } from './shard-record.js';

/** `GetRecords` returns at most this many records per call. */
const MAX_RECORDS_PER_CALL = 10_000;

/** What Kinesis holds between a committed position and the first record an event delivered. */
export interface GapFetch {
  /** Records after `after` and before `before`, in sequence order (at most `limit`). */
  readonly records: readonly ShardRecord[];
  /** Whether the read reached `before` (or a later record): `records` is then the whole gap. */
  readonly complete: boolean;
  /**
   * Whether Kinesis still holds the record at `after` itself. When it does not (trimmed: past the
   * stream's retention), records right after it may be gone too, and nothing can tell how many.
   */
  readonly afterHeld: boolean;
}

/**
 * Reads what Kinesis holds strictly between `after` (the committed position) and `before` (the
 * first record a Lambda event delivered after it), at most `limit` records. See `createGapFetch`.
 */
export type FetchGap = (after: SequenceNumber, before: SequenceNumber, limit: number) => Promise<GapFetch>;

export interface GapFetchOptions {
  readonly client: KinesisClient;
  /** The stream's name or ARN. */
  readonly stream: string;
  readonly shardId: string;
  /** Cap on `GetRecords` calls per read. @default {@link DEFAULT_MAX_PAGES} */
  readonly maxPages?: number;
}

/**
 * Reads the records Lambda did not deliver between a shard's committed position and an event:
 *
 * ```
 * iterator = GetShardIterator(AT_SEQUENCE_NUMBER after)         // to see whether `after` is still held
 *   InvalidArgumentException (no record holds it: skipped to, or trimmed) → TRIM_HORIZON
 * loop GetRecords:
 *   record == after → afterHeld; record < after → skip; record ≥ before → complete, stop
 *   keep the rest; stop at `limit` records (incomplete: the caller reads on after the last one)
 *   an empty page behind the tip continues (a trimmed iterator walks empty pages first);
 *   an empty page at the tip, or no next iterator, ends the read
 *   ExpiredIteratorException → a new iterator after the last record seen
 * ```
 * When every record is already delivered (the usual case) this costs one GetShardIterator and one
 * GetRecords of two records.
 */
export function createGapFetch(options: GapFetchOptions): FetchGap {
  const streamName = streamNameOf(options.stream);
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const iteratorAt = async (type: ShardIteratorType, sequenceNumber?: SequenceNumber) => {
    const response = await options.client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: options.shardId,
        ShardIteratorType: type,
        ...(sequenceNumber === undefined ? {} : { StartingSequenceNumber: sequenceNumber }),
      }),
    );
    return response.ShardIterator;
  };
  const context = { stream: streamName, shardId: options.shardId };

  return async (after, before, limit) => {
    const records: ShardRecord[] = [];
    let afterHeld = false;
    let lastSeen: SequenceNumber | undefined;
    let iterator: string | undefined;
    try {
      iterator = await iteratorAt('AT_SEQUENCE_NUMBER', after);
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidArgumentException')
        throw new KinesisRequestError('GetShardIterator', error, context);
      iterator = await iteratorAt('TRIM_HORIZON').catch((cause: unknown) => {
        throw new KinesisRequestError('GetShardIterator', cause, context);
      });
    }
    // Page 0 is a probe of two records (the committed one and its successor): in the usual case
    // the successor is the event's first record and nothing more is read. Reading a full page
    // here would re-read the whole delivered batch and spend the shard's 2 MB/s read throughput,
    // which the event source mapping shares.
    for (let page = 0; iterator !== undefined && page <= maxPages; page++) {
      let response: GetRecordsCommandOutput;
      try {
        response = await options.client.send(
          new GetRecordsCommand({
            ShardIterator: iterator,
            Limit: page === 0 ? 2 : Math.min(limit - records.length + 2, MAX_RECORDS_PER_CALL),
          }),
        );
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          iterator = await iteratorAt(
            lastSeen === undefined ? 'AT_SEQUENCE_NUMBER' : 'AFTER_SEQUENCE_NUMBER',
            lastSeen ?? after,
          ).catch((cause: unknown) => {
            throw new KinesisRequestError('GetShardIterator', cause, context);
          });
          continue;
        }
        throw new KinesisRequestError('GetRecords', error, context);
      }
      const fetched = response.Records ?? [];
      for (const raw of fetched) {
        const record = fromGetRecords(raw);
        lastSeen = record.sequenceNumber;
        const sinceAfter = compareSequenceNumbers(record.sequenceNumber, after);
        if (sinceAfter < 0) continue;
        if (sinceAfter === 0) {
          afterHeld = true;
          continue;
        }
        if (compareSequenceNumbers(record.sequenceNumber, before) >= 0) {
          return { records, complete: true, afterHeld };
        }
        records.push(record);
        if (records.length >= limit) return { records, complete: false, afterHeld };
      }
      if (fetched.length === 0 && response.MillisBehindLatest === 0) break;
      iterator = response.NextShardIterator ?? undefined;
    }
    // The shard ended (or the page cap) before `before`: the event's record is not in this shard.
    return { records, complete: false, afterHeld };
  };
}
