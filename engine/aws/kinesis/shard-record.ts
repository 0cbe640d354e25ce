import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { KinesisSourceConfigError } from './errors.js';
import { isSequenceNumber, type SequenceNumber } from './sequence-numbers.js';

/**
 * One Kinesis record in the form the edge works with, whichever way it arrived: in a Lambda
 * event (payload base64) or from `GetRecords` (payload bytes). Normalizing both to base64 means a
 * re-fetched record goes through exactly the same decoding as the one Lambda delivered, and dead
 * letters keep the payload as Lambda showed it.
 */
export interface ShardRecord {
  readonly sequenceNumber: SequenceNumber;
  readonly partitionKey: string;
  /** The payload, base64-encoded. */
  readonly data: string;
  /** When Kinesis accepted the record (epoch ms), if known. Never used for event time. */
  readonly approximateArrivalTimestampMs?: number;
}

/** Anything the edge accepts as a record: a Lambda event record, a `GetRecords` record, or a {@link ShardRecord}. */
export type AnyKinesisRecord = KinesisStreamRecord | _Record | ShardRecord;

/** Converts a Lambda event record or a `GetRecords` record to a {@link ShardRecord}. */
export function toShardRecord(record: AnyKinesisRecord): ShardRecord {
  if ('kinesis' in record) return fromLambdaRecord(record);
  if ('SequenceNumber' in record) return fromGetRecords(record);
  return record;
}

/** A record of a Lambda Kinesis event (`approximateArrivalTimestamp` is in seconds there). */
export function fromLambdaRecord(record: KinesisStreamRecord): ShardRecord {
  const payload = record.kinesis;
  const sequenceNumber = checkedSequenceNumber(payload.sequenceNumber);
  const arrival = payload.approximateArrivalTimestamp;
  // Two literals rather than a spread of a conditional object: this runs once per record.
  return typeof arrival === 'number'
    ? {
        sequenceNumber,
        partitionKey: payload.partitionKey,
        data: payload.data,
        approximateArrivalTimestampMs: Math.round(arrival * 1000),
      }
    : { sequenceNumber, partitionKey: payload.partitionKey, data: payload.data };
}

/** A record returned by `GetRecords`. */
export function fromGetRecords(record: _Record): ShardRecord {
  const bytes = record.Data ?? new Uint8Array();
  return {
    sequenceNumber: checkedSequenceNumber(record.SequenceNumber),
    partitionKey: record.PartitionKey ?? '',
    data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    ...(record.ApproximateArrivalTimestamp === undefined
      ? {}
      : { approximateArrivalTimestampMs: record.ApproximateArrivalTimestamp.getTime() }),
  };
}

/**
 * The shard id of a Lambda Kinesis record, from its `eventID` (`shardId-000000000000:<sequence>`):
 * the query partition an invocation owns.
 */
export function shardIdOf(record: Pick<KinesisStreamRecord, 'eventID'>): string {
  const colon = record.eventID.indexOf(':');
  if (colon <= 0) {
    throw new KinesisSourceConfigError(
      `Lambda record eventID ${JSON.stringify(record.eventID)} does not have the form 'shardId-…:<sequence number>'; pass records of a Kinesis event source mapping.`,
      { eventID: record.eventID },
    );
  }
  return record.eventID.slice(0, colon);
}

function checkedSequenceNumber(value: string | undefined): SequenceNumber {
  if (!isSequenceNumber(value)) {
    throw new KinesisSourceConfigError(
      `A Kinesis record has the sequence number ${JSON.stringify(value)}; sequence numbers are decimal strings. Pass records exactly as Lambda or GetRecords return them.`,
      { sequenceNumber: value },
    );
  }
  return value;
}
