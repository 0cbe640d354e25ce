import {
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { RequestCounter } from '../request-counter.js';
import { KinesisRequestError, KinesisSourceConfigError } from './errors.js';
import type { RecordRange, RefetchRange } from './kinesis-batch-source.js';
import type { SequenceNumber } from './sequence-numbers.js';
import { fromGetRecords, type ShardRecord } from './shard-record.js';

/** `GetRecords` returns at most this many records per call. */
const MAX_RECORDS_PER_CALL = 10_000;

/** Default cap on `GetRecords` calls for one range, so a misbehaving endpoint cannot spin forever. */
export const DEFAULT_MAX_PAGES = 1_000;

export interface RefetchOptions {
  readonly client: KinesisClient;
  /** The stream's name or ARN (requests name the stream by name; an ARN's name part is used). */
  readonly stream: string;
  readonly shardId: string;
  /** Counts the client's requests as `Kinesis.GetShardIterator` / `Kinesis.GetRecords` (attached to the client). */
  readonly requestCounter?: RequestCounter;
  /** @default {@link DEFAULT_MAX_PAGES} */
  readonly maxPages?: number;
}

/**
 * Reads a range of one shard back from Kinesis, for a replay whose Lambda event lacks part of
 * its batch (a bisected retry, or a redelivery that starts elsewhere).
 *
 * ```
 * iterator = GetShardIterator(AT_SEQUENCE_NUMBER from | AFTER_SEQUENCE_NUMBER after | TRIM_HORIZON)
 * loop GetRecords(iterator, Limit = records still missing):
 *   keep records up to `to`; stop on reaching `to`
 *   stop when NextShardIterator is absent (closed shard, read to its end)
 *   stop on an empty page with MillisBehindLatest 0 (nothing more is there)
 *   an empty page behind the tip (MillisBehindLatest > 0) just continues
 *   ExpiredIteratorException: a new iterator after the last record read
 * ```
 * It never compares against a closed shard's EndingSequenceNumber (kinesis-local reports
 * Long.MaxValue there, and kinesalite keeps handing out iterators): the range's own end and the
 * two stop rules above suffice. Throttling is retried by the SDK; a request that still fails
 * becomes a {@link KinesisRequestError}. The caller checks the count.
 *
 * @example
 * const refetch = createRefetch({ client: kinesis, stream: record.eventSourceARN, shardId: shardIdOf(record) });
 * new KinesisBatchSource({ records: event.Records, decode, refetch, shardId });
 */
export function createRefetch(options: RefetchOptions): RefetchRange {
  const streamName = streamNameOf(options.stream);
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  options.requestCounter?.attach(options.client, 'Kinesis');

  const iteratorAt = async (type: ShardIteratorType, sequenceNumber?: SequenceNumber) => {
    try {
      const response = await options.client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: options.shardId,
          ShardIteratorType: type,
          ...(sequenceNumber === undefined ? {} : { StartingSequenceNumber: sequenceNumber }),
        }),
      );
      return response.ShardIterator;
    } catch (error) {
      throw new KinesisRequestError('GetShardIterator', error, {
        stream: streamName,
        shardId: options.shardId,
      });
    }
  };

  return async (range: RecordRange) => {
    const to = BigInt(range.to);
    const records: ShardRecord[] = [];
    const resume = () =>
      records.length > 0
        ? iteratorAt('AFTER_SEQUENCE_NUMBER', records.at(-1)!.sequenceNumber)
        : range.from !== undefined
          ? iteratorAt('AT_SEQUENCE_NUMBER', range.from)
          : range.after !== undefined
            ? iteratorAt('AFTER_SEQUENCE_NUMBER', range.after)
            : iteratorAt('TRIM_HORIZON');
    let iterator = await resume();
    for (let page = 0; iterator !== undefined && page < maxPages; page++) {
      let response: GetRecordsCommandOutput;
      try {
        const missing = range.count - records.length;
        response = await options.client.send(
          new GetRecordsCommand({
            ShardIterator: iterator,
            Limit: Math.min(Math.max(missing, 1), MAX_RECORDS_PER_CALL),
          }),
        );
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          iterator = await resume();
          continue;
        }
        throw new KinesisRequestError('GetRecords', error, { stream: streamName, shardId: options.shardId });
      }
      const fetched = response.Records ?? [];
      for (const raw of fetched) {
        const record = fromGetRecords(raw);
        if (BigInt(record.sequenceNumber) > to) return records;
        records.push(record);
      }
      if (records.length > 0 && BigInt(records.at(-1)!.sequenceNumber) === to) return records;
      if (fetched.length === 0 && response.MillisBehindLatest === 0) return records;
      iterator = response.NextShardIterator ?? undefined;
    }
    return records;
  };
}

/** `my-stream`, or the name in `arn:aws:kinesis:region:account:stream/my-stream`. */
export function streamNameOf(stream: string): string {
  if (!stream.startsWith('arn:')) return stream;
  const match = /:stream\/([^/]+)/.exec(stream);
  if (match === null) {
    throw new KinesisSourceConfigError(
      `${JSON.stringify(stream)} is not a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME); pass the stream name or its ARN.`,
      { stream },
    );
  }
  return match[1]!;
}
