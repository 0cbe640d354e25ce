import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Discarded } from './shard-batches.js';

/** The record Lambda sends to a Kinesis mapping's on-failure destination (format of AWS). */
export interface KinesisFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: Discarded['condition'];
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** A discarded batch as the runner keeps it: where it would have gone, and the record. */
export interface FailedBatch {
  /** The event source mapping's logical id. */
  readonly mapping: string;
  /** The template's on-failure destination ARN (an SQS queue or SNS topic; not emulated). */
  readonly destination: string | undefined;
  readonly record: KinesisFailureRecord;
}

/**
 * The on-failure destinations of the mappings, kept locally: every discarded batch is appended
 * to an in-memory list and, when a file is given, as one JSON line to it (e.g.
 * `.sluice/failed-batches.jsonl`). The records are the descriptions Lambda sends (shard, sequence
 * range, arrival times), not the data, as on AWS.
 */
export class FailureDestinations {
  private readonly batches: FailedBatch[] = [];

  constructor(private readonly file?: string) {
    if (file !== undefined) mkdirSync(dirname(file), { recursive: true });
  }

  add(
    discarded: Discarded,
    source: {
      readonly mapping: string;
      readonly destination: string | undefined;
      readonly functionArn: string;
      readonly shardId: string;
      readonly streamArn: string;
      readonly requestId: string;
      readonly functionError: string | undefined;
    },
  ): FailedBatch {
    const first = discarded.records[0]!;
    const last = discarded.records.at(-1)!;
    const batch: FailedBatch = {
      mapping: source.mapping,
      destination: source.destination,
      record: {
        requestContext: {
          requestId: source.requestId,
          functionArn: source.functionArn,
          condition: discarded.condition,
          approximateInvokeCount: discarded.attempts,
        },
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          functionError: source.functionError ?? '',
        },
        version: '1.0',
        timestamp: new Date().toISOString(),
        KinesisBatchInfo: {
          shardId: source.shardId,
          startSequenceNumber: first.sequenceNumber,
          endSequenceNumber: last.sequenceNumber,
          approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
          approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
          batchSize: discarded.records.length,
          streamArn: source.streamArn,
        },
      },
    };
    this.batches.push(batch);
    if (this.file !== undefined) appendFileSync(this.file, `${JSON.stringify(batch)}\n`);
    return batch;
  }

  list(): readonly FailedBatch[] {
    return [...this.batches];
  }
}
