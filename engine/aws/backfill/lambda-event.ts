import type { KinesisStreamEvent } from 'aws-lambda';
import type { ShardRecord } from '../kinesis/shard-record.js';

/**
 * Records of one shard as the Kinesis event Lambda would deliver, so a backfill runs them through
 * the query's own handler (`kinesisHandler`), exactly as the deployed function would.
 */
export function lambdaEvent(
  records: readonly ShardRecord[],
  where: { readonly streamArn: string; readonly shardId: string; readonly region: string },
): KinesisStreamEvent {
  return {
    Records: records.map((record) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.partitionKey,
        sequenceNumber: record.sequenceNumber,
        data: record.data,
        approximateArrivalTimestamp: (record.approximateArrivalTimestampMs ?? 0) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${where.shardId}:${record.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'sluice-backfill',
      awsRegion: where.region,
      eventSourceARN: where.streamArn,
    })),
  };
}
