import {
  CreateStreamCommand,
  DescribeStreamCommand,
  PutRecordCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { HEARTBEAT_PARTITION_KEY, heartbeatRecordData } from '../../../../engine/aws/kinesis/index.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { hashKeyOf } from '../../../../engine/aws/resharding/hash-key.js';
import { S3OutputReader } from '../../../../engine/aws/s3/index.js';
import { count, readStream, type ShardWatermarkPolicy, window } from '../../../../engine/index.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import { putAll, readWholeShard } from '../../../support/kinesis-stream.js';

/*
 * One watermark per query on the emulators (kinesalite, dynalite, s3rver): two shards, real SDK
 * clients, the Lambda handler invoked per shard as the event source mapping would, and the quiet
 * shard woken by a heartbeat record as the heartbeat ticker puts it (explicit hash key).
 */

let emulators: Emulators;
let clients: AwsClients;
const tableName = 'sluice';
const bucket = 'outputs';
const s = (seconds: number) => seconds * 1000;
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

beforeAll(async () => {
  emulators = await startEmulators();
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
  await createStateTable(emulators.clients.dynamodb, tableName);
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await emulators?.stop();
});

interface View {
  page: string;
  ts: number;
}

async function twoShardStream(name: string): Promise<Shard[]> {
  const kinesis = emulators.clients.kinesis;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  for (let i = 0; i < 200; i++) {
    const described = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') return described.StreamDescription.Shards!;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/** A page name whose partition key Kinesis routes to `shard` (MD5 of the key in its hash range). */
function pageOn(shard: Shard): string {
  const low = BigInt(shard.HashKeyRange!.StartingHashKey!);
  const high = BigInt(shard.HashKeyRange!.EndingHashKey!);
  for (let i = 0; ; i++) {
    const hash = hashKeyOf(`/page-${i}`);
    if (hash >= low && hash <= high) return `/page-${i}`;
  }
}

/** Runs the scenario of issue 11 under a policy; returns the windows written to S3 as `page@start=views`. */
async function quietShardScenario(policy: ShardWatermarkPolicy): Promise<string[]> {
  const name = `views-${policy}`;
  const shards = await twoShardStream(name);
  const [busy, quiet] = shards as [Shard, Shard];
  const [busyPage, quietPage] = [pageOn(busy), pageOn(quiet)];
  const query = readStream<View>('views', { eventTime: 'ts', partitionKey: 'page' })
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '1 minute'), 'page')
    .agg({ views: count() })
    .writeStream.queryName(name)
    .outputMode('append')
    .format('json')
    .shardWatermark(policy)
    .build();
  const handler = kinesisHandler(query, { clients, tableName, bucket, prefix: 'qw' });
  const kinesis = emulators.clients.kinesis;
  let seen = { [busy.ShardId!]: 0, [quiet.ShardId!]: 0 };
  /** Invokes the handler for a shard with the records put since its last invocation. */
  const invoke = async (shard: Shard) => {
    const records = await readWholeShard(kinesis, name, shard.ShardId!);
    const fresh = records.slice(seen[shard.ShardId!]);
    seen = { ...seen, [shard.ShardId!]: records.length };
    const response = await handler(
      kinesisEvent(fresh, { streamName: name, shardId: shard.ShardId! }),
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
  };
  const put = (views: View[]) =>
    putAll(
      kinesis,
      name,
      views.map((view) => ({ data: view, partitionKey: view.page })),
    );

  await put([
    { page: busyPage, ts: s(5) },
    { page: busyPage, ts: s(20) },
    { page: quietPage, ts: s(10) },
    { page: quietPage, ts: s(30) },
  ]);
  await invoke(busy);
  await invoke(quiet);
  await put([{ page: busyPage, ts: s(200) }]); // only the busy shard's event time moves on
  await invoke(busy);
  // The heartbeat ticker's record for the quiet shard (explicit hash key: it lands there).
  await kinesis.send(
    new PutRecordCommand({
      StreamName: name,
      PartitionKey: HEARTBEAT_PARTITION_KEY,
      ExplicitHashKey: quiet.HashKeyRange!.StartingHashKey!,
      Data: heartbeatRecordData(Date.now()),
    }),
  );
  await invoke(quiet);

  const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'qw', query: name });
  const rows = await reader.readRows();
  const label = (page: unknown) => (page === busyPage ? 'busy' : page === quietPage ? 'quiet' : String(page));
  return rows
    .map((row) => `${label(row.page)}@${(row.window as { start: number }).start}=${row.views}`)
    .sort();
}

describe('one watermark per query, on the emulators', () => {
  it("max (default): the quiet shard's windows close on its heartbeat because the other shard's event time moved on", async () => {
    expect(await quietShardScenario('max')).toEqual(['busy@0=2', 'quiet@0=2']);
  });

  it("per-shard: the quiet shard's window stays open (the behaviour the default replaces)", async () => {
    expect(await quietShardScenario('per-shard')).toEqual(['busy@0=2']);
  });
});
