// Round trips through the SDK clients of an `Emulators` handle, shared by the emulator,
// endpoint and LocalStack tests. Each returns what it read back so that tests can assert.

import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Emulators } from '../../local/emulators/index.js';

/** A name no other test uses, valid for streams, tables and buckets. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a stream, puts `count` records with PutRecords and reads them all back with GetRecords. */
export async function kinesisRoundTrip(aws: Emulators, shards: number, count: number): Promise<string[]> {
  const kinesis = aws.clients.kinesis;
  const StreamName = uniqueName('stream');
  await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
  for (;;) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
    await sleep(10);
  }
  const sent = Array.from({ length: count }, (_, i) => `record-${i}`);
  const put = await kinesis.send(
    new PutRecordsCommand({
      StreamName,
      Records: sent.map((data, i) => ({ Data: Buffer.from(data), PartitionKey: `key-${i}` })),
    }),
  );
  if (put.FailedRecordCount) throw new Error(`${put.FailedRecordCount} records failed`);

  const received: string[] = [];
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName }));
  for (const shard of Shards) {
    let { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    // Read until the shard is drained: an empty page once behind the latest record.
    while (ShardIterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      const records = page.Records ?? [];
      for (const record of records) received.push(Buffer.from(record.Data ?? []).toString('utf8'));
      if (records.length === 0 || page.MillisBehindLatest === 0) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return received.sort(byNumber);
}

/**
 * Creates a table with a local secondary index on `expiresAt` (the state store's expiry
 * index) and reads a range of it with a strongly consistent Query.
 */
export async function dynamoDbRoundTrip(aws: Emulators): Promise<Record<string, unknown>[]> {
  const TableName = uniqueName('table');
  await aws.clients.dynamodb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'expiresAt', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byExpiry',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (const [sk, expiresAt] of [
    ['c', 300],
    ['a', 100],
    ['d', 400],
    ['b', 200],
  ] as const) {
    await aws.clients.documents.send(
      new PutCommand({ TableName, Item: { pk: 'q#op#0', sk, expiresAt, v: 1 } }),
    );
  }
  await aws.clients.documents.send(
    new PutCommand({ TableName, Item: { pk: 'other', sk: 'x', expiresAt: 1 } }),
  );
  const { Items = [] } = await aws.clients.documents.send(
    new QueryCommand({
      TableName,
      IndexName: 'byExpiry',
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND expiresAt <= :t',
      ExpressionAttributeValues: { ':pk': 'q#op#0', ':t': 300 },
    }),
  );
  return Items;
}

/** Creates a bucket, puts one object and gets it back. */
export async function s3RoundTrip(aws: Emulators): Promise<{ bucket: string; body: string }> {
  const bucket = uniqueName('bucket');
  await aws.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await aws.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'q/data/batch-1.jsonl', Body: '{"n":1}\n{"n":2}\n' }),
  );
  const got = await aws.clients.s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: 'q/data/batch-1.jsonl' }),
  );
  return { bucket, body: (await got.Body?.transformToString()) ?? '' };
}

/** Puts `count` small objects under `prefix`, `concurrency` at a time; returns their keys in order. */
export async function putMany(
  aws: Emulators,
  bucket: string,
  prefix: string,
  count: number,
): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(5, '0')}.json`);
  const concurrency = 16;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) {
        const Key = keys[next++]!;
        await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }));
      }
    }),
  );
  return keys;
}

/** Lists every key under `prefix` with the paginator; returns the keys and the number of pages. */
export async function listAll(
  aws: Emulators,
  bucket: string,
  prefix: string,
  pageSize?: number,
): Promise<{ keys: string[]; pages: number; tokens: number }> {
  const keys: string[] = [];
  let pages = 0;
  let tokens = 0;
  const input = { Bucket: bucket, Prefix: prefix, ...(pageSize === undefined ? {} : { MaxKeys: pageSize }) };
  for await (const page of paginateListObjectsV2({ client: aws.clients.s3 }, input)) {
    pages++;
    if (page.NextContinuationToken) tokens++;
    for (const object of page.Contents ?? []) keys.push(object.Key!);
  }
  return { keys, pages, tokens };
}

/** One ListObjectsV2 call, for checking a single page. */
export function listPage(aws: Emulators, bucket: string, prefix: string, token?: string) {
  return aws.clients.s3.send(
    new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: prefix,
      ...(token ? { ContinuationToken: token } : {}),
    }),
  );
}

function byNumber(a: string, b: string): number {
  return Number(a.split('-')[1]) - Number(b.split('-')[1]);
}
