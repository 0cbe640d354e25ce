/**
 * Kinesis-shaped Lambda events for benchmarks: the exact shape the event source mapping hands a
 * function (`{ Records: [{ eventID, eventSourceARN, kinesis: { data: base64(JSON), ... } }] }`),
 * filled with deterministic page-view records so every run measures the same bytes.
 */
import { mulberry32 } from '../local/seeded-random.js';

/** The `kinesis` part of one record of a Lambda Kinesis event. */
export interface KinesisPayload {
  readonly kinesisSchemaVersion: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  /** The record's bytes, base64. */
  readonly data: string;
  /** Seconds since the epoch, with a fraction. */
  readonly approximateArrivalTimestamp: number;
}

/** One record of a Lambda Kinesis event. */
export interface KinesisEventRecord {
  readonly kinesis: KinesisPayload;
  readonly eventSource: 'aws:kinesis';
  readonly eventVersion: string;
  readonly eventID: string;
  readonly eventName: 'aws:kinesis:record';
  readonly invokeIdentityArn: string;
  readonly awsRegion: string;
  readonly eventSourceARN: string;
}

/** The event a Kinesis-triggered Lambda function receives. */
export interface KinesisStreamEvent {
  readonly Records: readonly KinesisEventRecord[];
}

/** The JSON each benchmark record carries. */
export interface PageView {
  readonly key: string;
  readonly ts: number;
  readonly page: string;
  readonly durationMs: number;
}

export interface EventSpec {
  /** Number of events (one batch each). */
  readonly events: number;
  /** Records per event. */
  readonly recordsPerEvent: number;
  /** Distinct grouping keys, drawn uniformly. */
  readonly keys: number;
  /** Event time covered by one event; times advance event by event. */
  readonly eventSpanMs: number;
  /** Event time of the first record. */
  readonly startMs: number;
}

const SHARD = 'shardId-000000000000';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/page-views';
const SEQUENCE_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/** The seeded PRNG: the same seed always yields the same numbers. */
export const prng = mulberry32;

/** Builds `spec.events` Kinesis events of page views, time moving forward, a little out of order. */
export function makeKinesisEvents(spec: EventSpec): KinesisStreamEvent[] {
  const random = prng(42);
  const events: KinesisStreamEvent[] = [];
  let sequence = SEQUENCE_BASE;
  for (let e = 0; e < spec.events; e++) {
    const records: KinesisEventRecord[] = new Array(spec.recordsPerEvent);
    const eventStart = spec.startMs + e * spec.eventSpanMs;
    for (let r = 0; r < spec.recordsPerEvent; r++) {
      const key = `user-${Math.floor(random() * spec.keys)}`;
      // Mostly in order within the event's span, with some records up to 5 s behind.
      const ts = Math.floor(eventStart + (r / spec.recordsPerEvent) * spec.eventSpanMs - random() * 5000);
      const view: PageView = {
        key,
        ts,
        page: `/products/${Math.floor(random() * 500)}`,
        durationMs: Math.floor(random() * 30_000),
      };
      sequence += 1n;
      records[r] = {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: key,
          sequenceNumber: sequence.toString(),
          data: Buffer.from(JSON.stringify(view)).toString('base64'),
          approximateArrivalTimestamp: (eventStart + spec.eventSpanMs) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${SHARD}:${sequence}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/page-views-fn',
        awsRegion: 'us-east-1',
        eventSourceARN: STREAM_ARN,
      };
    }
    events.push({ Records: records });
  }
  return events;
}

const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * The decode floor's unit of work: base64 → UTF-8 → JSON, per record, the fastest way known here:
 * `atob` straight to a string, which is the UTF-8 text when every byte is ASCII (about 30% less
 * CPU than `Buffer.from(…, 'base64').toString()`); other payloads through a Buffer. The edge
 * decodes the same way, so the floor stays a floor.
 */
export function decodeEvent(event: KinesisStreamEvent): Record<string, unknown>[] {
  const records = event.Records;
  const rows: Record<string, unknown>[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const text = atob(records[i]!.kinesis.data);
    rows[i] = JSON.parse(NON_ASCII.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text);
  }
  return rows;
}
