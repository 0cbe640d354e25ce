import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** Where a shard's records come from, as each Lambda event record names it. */
export interface EventSource {
  readonly shardId: string;
  readonly streamArn: string;
  readonly region: string;
  /** The function's execution role (Lambda's `invokeIdentityArn`). */
  readonly invokeIdentityArn: string;
}

/**
 * One record of a Lambda Kinesis event, exactly as the event source mapping delivers it (same
 * fields, same order): `eventID` is `shardId:sequenceNumber`, `data` is base64, and
 * `approximateArrivalTimestamp` is in seconds with millisecond decimals.
 */
export function lambdaRecord(record: _Record, source: EventSource): KinesisStreamRecord {
  const bytes = record.Data ?? new Uint8Array();
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber: record.SequenceNumber!,
      data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${record.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
}

/** The invocation payload of a batch. */
export function lambdaEvent(records: readonly KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: [...records] };
}

/** Bytes a record adds to the invocation payload (its JSON plus the separating comma). */
export function payloadBytes(record: KinesisStreamRecord): number {
  return Buffer.byteLength(JSON.stringify(record)) + 1;
}

/** Lambda's limit on a synchronous invocation's payload: the mapping cuts batches to fit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The envelope `{"Records":[]}` around the records. */
export const EVENT_ENVELOPE_BYTES = Buffer.byteLength('{"Records":[]}');
