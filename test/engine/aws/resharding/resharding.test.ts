import { DescribeStreamCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { hashKeyOf } from '../../../../engine/aws/resharding/hash-key.js';
import { S3OutputReader } from '../../../../engine/aws/s3/index.js';
import { pageViewsQuery } from '../../../../functions/queries/page-views.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import {
  createOneShardStream,
  mergeShards,
  putAll,
  readWholeShard,
  splitShard,
} from '../../../support/kinesis-stream.js';

const engine = (process.env.SLUICE_TEST_KINESIS ?? 'kinesalite') as 'kinesalite' | 'kinesis-local';
let emulators: Emulators;
let clients: AwsClients;
const bucket = 'reshard';
const minute = 60_000;
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

beforeAll(async () => {
  emulators = await startEmulators({ kinesis: engine });
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await emulators?.stop();
});

interface View {
  page: string;
  user: string;
  ts: number;
}

const pages = ['/a', '/b', '/c', '/d', '/e', '/f', '/g', '/h'];
/** Views of every page at the given minutes (each page once per minute, in page order). */
const viewsAt = (...minutes: number[]): View[] =>
  minutes.flatMap((m) => pages.map((page, i) => ({ page, user: `u${i}`, ts: m * minute + i * 1000 })));

async function shards(stream: string) {
  const described = await emulators.clients.kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
  return described.StreamDescription!.Shards!;
}

/** Invokes the handler once per shard (parents first), with all of the shard's records after `seen`. */
async function drain(stream: string, handler: ReturnType<typeof kinesisHandler>, seen: Map<string, number>) {
  for (const shard of await shards(stream)) {
    const records = await readWholeShard(emulators.clients.kinesis, stream, shard.ShardId!);
    const fresh = records.slice(seen.get(shard.ShardId!) ?? 0);
    if (fresh.length === 0) continue;
    const response = await handler(
      kinesisEvent(fresh, { streamName: stream, shardId: shard.ShardId! }),
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    seen.set(shard.ShardId!, records.length);
  }
}

/** Every (window start, page) → count of the views, the result of a run without resharding. */
function reference(views: readonly View[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const view of views) {
    const key = `${Math.floor(view.ts / minute) * minute}|${view.page}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function emitted(prefix: string): Promise<Array<[string, number]>> {
  const reader = new S3OutputReader({ client: clients.s3, bucket, prefix, query: 'page-views' });
  return (await reader.readRows()).map((row) => [
    `${(row.window as { start: number }).start}|${row.page}`,
    Number(row.views),
  ]);
}

const put = (stream: string, views: readonly View[]) =>
  putAll(
    emulators.clients.kinesis,
    stream,
    views.map((view) => ({ data: view, partitionKey: view.page })),
  );

describe('resharding', () => {
  it('a split loses and duplicates nothing: each child adopts its half of the open windows', async () => {
    const stream = 'reshard-split';
    const prefix = 'split';
    await createOneShardStream(emulators.clients.kinesis, stream);
    // Checkpoints and state are keyed by query and shard id: each stream gets its own table here.
    const tableName = `state-${prefix}`;
    await createStateTable(emulators.clients.dynamodb, tableName);
    const handler = kinesisHandler(pageViewsQuery, { clients, tableName, bucket, prefix });
    const seen = new Map<string, number>();
    const before = viewsAt(0, 1, 2);
    await put(stream, before);
    await drain(stream, handler, seen);

    await splitShard(emulators.clients.kinesis, stream, 'shardId-000000000000');
    const children = (await shards(stream)).filter((shard) => shard.ParentShardId === 'shardId-000000000000');
    expect(children).toHaveLength(2);
    // The pages must spread over both children for the test to mean anything.
    const owners = new Set(
      pages.map((page) => {
        const hash = hashKeyOf(page);
        return children.find(
          (c) =>
            hash >= BigInt(c.HashKeyRange!.StartingHashKey!) &&
            hash <= BigInt(c.HashKeyRange!.EndingHashKey!),
        )!.ShardId;
      }),
    );
    expect(owners.size).toBe(2);

    const after = viewsAt(2.5, 3, 4); // minute 2 is still open: its window spans the split
    const flush = viewsAt(100);
    await put(stream, after);
    await drain(stream, handler, seen);
    await put(stream, flush);
    await drain(stream, handler, seen);

    const rows = await emitted(prefix);
    const expected = reference([...before, ...after]);
    expect(new Map(rows)).toEqual(expected);
    expect(rows).toHaveLength(expected.size); // every window once
  });

  it('a merge loses and duplicates nothing: the child adopts both parents', async () => {
    const stream = 'reshard-merge';
    const prefix = 'merge';
    await createOneShardStream(emulators.clients.kinesis, stream);
    // Checkpoints and state are keyed by query and shard id: each stream gets its own table here.
    const tableName = `state-${prefix}`;
    await createStateTable(emulators.clients.dynamodb, tableName);
    const handler = kinesisHandler(pageViewsQuery, { clients, tableName, bucket, prefix });
    const seen = new Map<string, number>();
    await splitShard(emulators.clients.kinesis, stream, 'shardId-000000000000');
    const [left, right] = (await shards(stream)).filter((shard) => shard.ParentShardId !== undefined);
    const before = viewsAt(0, 1);
    await put(stream, before);
    await drain(stream, handler, seen);

    await mergeShards(emulators.clients.kinesis, stream, left!.ShardId!, right!.ShardId!);
    const after = viewsAt(1.5, 2);
    await put(stream, after);
    await drain(stream, handler, seen);
    await put(stream, viewsAt(100));
    await drain(stream, handler, seen);

    const rows = await emitted(prefix);
    const expected = reference([...before, ...after]);
    expect(new Map(rows)).toEqual(expected);
    expect(rows).toHaveLength(expected.size);
  });
});
