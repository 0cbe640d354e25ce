import { describe, expect, it } from 'vitest';
import { lambdaRecord } from '../../../local/runner/lambda-event.js';
import { lambdaRecordFromGetRecords } from '../../support/kinesis-events.js';

describe('lambdaRecord', () => {
  const raw = {
    SequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    PartitionKey: '/home',
    Data: new TextEncoder().encode('{"page":"/home"}'),
    ApproximateArrivalTimestamp: new Date(1_545_084_650_987),
  };
  const source = {
    shardId: 'shardId-000000000006',
    streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
    region: 'us-east-2',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
  };

  it('has the fields and field order of the event AWS documents', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (sample event)
    expect(JSON.stringify(lambdaRecord(raw, source))).toBe(
      JSON.stringify({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: '/home',
          sequenceNumber: raw.SequenceNumber,
          data: Buffer.from('{"page":"/home"}').toString('base64'),
          approximateArrivalTimestamp: 1545084650.987,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000006:${raw.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: source.invokeIdentityArn,
        awsRegion: 'us-east-2',
        eventSourceARN: source.streamArn,
      }),
    );
  });

  it('equals what the test factories build from GetRecords output', () => {
    expect(lambdaRecord(raw, source)).toEqual(
      lambdaRecordFromGetRecords(raw, {
        shardId: source.shardId,
        streamName: 'lambda-stream',
        region: 'us-east-2',
        accountId: '123456789012',
        invokeIdentityArn: source.invokeIdentityArn,
      }),
    );
  });
});
