/**
 * The naive handler: how a Kinesis → per-key window counts function is usually written by hand,
 * the baseline the AWS benchmarks compare sluice against. Same input, same emulators, real SDK
 * clients.
 *
 * Per record, per window it falls in (one for a tumbling window), one DynamoDB `UpdateItem`
 * `ADD count :1` (all of the batch's updates in flight at once; the SDK's socket pool bounds
 * them), then one S3 `PutObject` per batch with the counts it touched (JSON Lines).
 *
 * What it does not do, and sluice does: exactly-once (a retried batch counts its records twice;
 * a crash between the updates and the put loses the output), late data and watermarks (a
 * record arriving an hour late still bumps its old window), closing windows, dead letters
 * (one malformed record fails, and retries, the whole batch).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { AwsClients } from '../../engine/aws/clients.js';

export interface NaiveHandlerOptions {
  readonly clients: AwsClients;
  /** A table keyed by `pk` (the key) and `sk` (the window start, a number). */
  readonly tableName: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly windowMs: number;
}

export type NaiveHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

interface PageView {
  key: string;
  ts: number;
}

export function naiveHandler(options: NaiveHandlerOptions): NaiveHandler {
  const { clients, tableName, bucket, prefix, windowMs } = options;
  return async (event) => {
    const records = event.Records;
    if (records.length === 0) return { batchItemFailures: [] };
    const touched = new Map<string, { key: string; windowStart: number; count: number }>();
    await Promise.all(
      records.map(async (record) => {
        const view = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as PageView;
        const windowStart = Math.floor(view.ts / windowMs) * windowMs;
        const { Attributes } = await clients.dynamodb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: view.key, sk: windowStart },
            UpdateExpression: 'ADD #count :one',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const id = `${view.key}|${windowStart}`;
        const count = Number(Attributes?.count ?? 0);
        const seen = touched.get(id);
        if (seen === undefined || seen.count < count) touched.set(id, { key: view.key, windowStart, count });
      }),
    );
    const first = records[0]!;
    const shard = first.eventID.split(':')[0];
    const lines = [...touched.values()].map((row) =>
      JSON.stringify({
        window: {
          start: new Date(row.windowStart).toISOString(),
          end: new Date(row.windowStart + windowMs).toISOString(),
        },
        key: row.key,
        count: row.count,
      }),
    );
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}/counts/${shard}/${first.kinesis.sequenceNumber}.jsonl`,
        Body: `${lines.join('\n')}\n`,
        ContentType: 'application/x-ndjson',
      }),
    );
    return { batchItemFailures: [] };
  };
}

/** The naive handler's table: `pk` (string) + `sk` (number), on demand, no index. */
export function naiveTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'N' as const },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
  };
}
