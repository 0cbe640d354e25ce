// The parents-before-children check shared by the kinesalite and kinesis-local runner tests.
import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
} from '@aws-sdk/client-kinesis';
import { expect } from 'vitest';
import type { LocalRunner } from '../../../local/runner/index.js';
import { splitShard } from '../../support/kinesis-stream.js';
import { HIGH_HASH_KEY, LOW_HASH_KEY, type ProbeCall, put } from './probe-stack.js';

/**
 * On a fresh one-shard stream: puts records, splits the shard, puts into both children, merges
 * them, puts again; then checks every record reached the probe once, from its own shard, and no
 * shard's first invocation started before its parents' last one ended.
 */
export async function expectParentsBeforeChildren(
  kinesis: KinesisClient,
  runner: LocalRunner,
  stream: string,
  calls: () => ProbeCall[],
): Promise<void> {
  const slow = (n: number) => Array.from({ length: n }, () => ({ sleepMs: 60 }));
  const parent = await put(kinesis, stream, slow(6));
  await splitShard(kinesis, stream, 'shardId-000000000000');
  const low = await put(kinesis, stream, slow(3), LOW_HASH_KEY);
  const high = await put(kinesis, stream, slow(3), HIGH_HASH_KEY);
  await kinesis.send(
    new MergeShardsCommand({
      StreamName: stream,
      ShardToMerge: 'shardId-000000000001',
      AdjacentShardToMerge: 'shardId-000000000002',
    }),
  );
  // The merge completes asynchronously (updateStreamMs): put only once the merged shard exists,
  // or the records would still land in the closing children.
  for (let i = 0; i < 200; i++) {
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    if (Shards.length === 4 && (await isActive(kinesis, stream))) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const merged = await put(kinesis, stream, slow(2));
  await runner.runUntilCaughtUp({ timeoutMs: 20_000 });

  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  expect(Shards.map((shard) => [shard.ShardId, shard.ParentShardId, shard.AdjacentParentShardId])).toEqual([
    ['shardId-000000000000', undefined, undefined],
    ['shardId-000000000001', 'shardId-000000000000', undefined],
    ['shardId-000000000002', 'shardId-000000000000', undefined],
    ['shardId-000000000003', 'shardId-000000000001', 'shardId-000000000002'],
  ]);
  const all = calls();
  const of = (shard: number) => all.filter((call) => call.shard === `shardId-00000000000${shard}`);
  expect([0, 1, 2, 3].map((shard) => of(shard).flatMap((call) => call.seqs))).toEqual([
    parent,
    low,
    high,
    merged,
  ]);
  const lastEnd = (shard: number) => Math.max(...of(shard).map((call) => call.endedAt!));
  const firstStart = (shard: number) => Math.min(...of(shard).map((call) => call.startedAt));
  expect(firstStart(1)).toBeGreaterThanOrEqual(lastEnd(0));
  expect(firstStart(2)).toBeGreaterThanOrEqual(lastEnd(0));
  expect(firstStart(3)).toBeGreaterThanOrEqual(Math.max(lastEnd(1), lastEnd(2)));
}

async function isActive(kinesis: KinesisClient, stream: string): Promise<boolean> {
  const { StreamDescriptionSummary } = await kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: stream }),
  );
  return StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
}
