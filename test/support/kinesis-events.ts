import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/**
 * Factories for Lambda Kinesis events in the exact shape the event source mapping delivers,
 * built from `GetRecords` output (what the local runner does) or from plain payloads (unit tests).
 *
 * @example
 * const event = kinesisEvent(getRecordsOutput.Records!, { streamName: 'views', shardId });
 * const event2 = eventFromRows([{ page: 'a', ts: 1 }], { partitionKey: 'page' });
 */

/** Where the records come from; every field has a test default. */
export interface KinesisEventOptions {
  /** @default 'events' */
  readonly streamName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default 'shardId-000000000000' */
  readonly shardId?: string;
  /** @default `arn:aws:iam::${accountId}:role/sluice-test` */
  readonly invokeIdentityArn?: string;
  /** Index of the first generated sequence number (plain records without one). @default 0 */
  readonly firstIndex?: number;
}

/** A record given by its payload rather than as `GetRecords` output. */
export interface PlainKinesisRecord {
  /** A string is sent as UTF-8 text, bytes as they are, anything else as JSON. */
  readonly data: unknown;
  /** @default 'pk' */
  readonly partitionKey?: string;
  /** @default {@link fakeSequenceNumber} of the record's index */
  readonly sequenceNumber?: string;
  /** @default 1_700_000_000_000 + index seconds */
  readonly approximateArrivalTimestampMs?: number;
}

/** The ARN Lambda puts in `eventSourceARN`. */
export function streamArn(options: KinesisEventOptions = {}): string {
  return `arn:aws:kinesis:${options.region ?? 'us-east-1'}:${options.accountId ?? '000000000000'}:stream/${options.streamName ?? 'events'}`;
}

/**
 * A realistic-looking sequence number for index `i` (56 digits, increasing with `i`). Real ones
 * vary in length; tests of ordering should also use numbers of different lengths.
 */
export function fakeSequenceNumber(i: number): string {
  return (
    49_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n +
    BigInt(i) * 1_000n
  ).toString();
}

/** The payload bytes of a plain record's `data`. */
export function payloadBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return new TextEncoder().encode(JSON.stringify(data));
}

/** One Lambda event record from a `GetRecords` record. */
export function lambdaRecordFromGetRecords(
  record: _Record,
  options: KinesisEventOptions = {},
): KinesisStreamRecord {
  const bytes = record.Data ?? new Uint8Array();
  return lambdaRecordOf(
    {
      sequenceNumber: record.SequenceNumber!,
      partitionKey: record.PartitionKey ?? '',
      data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      arrivalSeconds: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
    },
    options,
  );
}

/** One Lambda event record from a plain payload; `index` picks the default sequence number. */
export function lambdaRecord(
  record: PlainKinesisRecord,
  index = 0,
  options: KinesisEventOptions = {},
): KinesisStreamRecord {
  const at = index + (options.firstIndex ?? 0);
  const bytes = payloadBytes(record.data);
  return lambdaRecordOf(
    {
      sequenceNumber: record.sequenceNumber ?? fakeSequenceNumber(at),
      partitionKey: record.partitionKey ?? 'pk',
      data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      arrivalSeconds: (record.approximateArrivalTimestampMs ?? 1_700_000_000_000 + at * 1000) / 1000,
    },
    options,
  );
}

/** A Lambda Kinesis event from `GetRecords` records and/or plain records, in the order given. */
export function kinesisEvent(
  records: readonly (_Record | PlainKinesisRecord)[],
  options: KinesisEventOptions = {},
): KinesisStreamEvent {
  return {
    Records: records.map((record, i) =>
      'SequenceNumber' in record
        ? lambdaRecordFromGetRecords(record, options)
        : lambdaRecord(record as PlainKinesisRecord, i, options),
    ),
  };
}

/** A Lambda Kinesis event whose records carry `rows` as JSON, with the partition key taken from each row. */
export function eventFromRows<R extends Record<string, unknown>>(
  rows: readonly R[],
  options: KinesisEventOptions & { readonly partitionKey?: keyof R | ((row: R) => string) } = {},
): KinesisStreamEvent {
  const keyOf = (row: R): string =>
    options.partitionKey === undefined
      ? 'pk'
      : typeof options.partitionKey === 'function'
        ? options.partitionKey(row)
        : String(row[options.partitionKey]);
  return kinesisEvent(
    rows.map((row) => ({ data: row, partitionKey: keyOf(row) })),
    options,
  );
}

function lambdaRecordOf(
  payload: { sequenceNumber: string; partitionKey: string; data: string; arrivalSeconds: number },
  options: KinesisEventOptions,
): KinesisStreamRecord {
  const shardId = options.shardId ?? 'shardId-000000000000';
  const accountId = options.accountId ?? '000000000000';
  return {
    eventID: `${shardId}:${payload.sequenceNumber}`,
    eventSourceARN: streamArn(options),
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: options.invokeIdentityArn ?? `arn:aws:iam::${accountId}:role/sluice-test`,
    awsRegion: options.region ?? 'us-east-1',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: payload.partitionKey,
      sequenceNumber: payload.sequenceNumber,
      data: payload.data,
      approximateArrivalTimestamp: payload.arrivalSeconds,
    },
  };
}
