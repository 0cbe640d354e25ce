import { describe, expect, it } from 'vitest';
import { count, IncompatiblePlanError, type ShardWatermarkPolicy, window } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface View {
  page: string;
  ts: number;
}

const s = (seconds: number) => seconds * 1000;
const SHARDS = ['shard-0', 'shard-1', 'shard-2'];

function pageViews(policy?: ShardWatermarkPolicy) {
  const views = new MemoryStream<View>('views');
  const writer = views
    .toStream({ eventTime: 'ts', partitionKey: 'page' })
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '1 minute'), 'page')
    .agg({ views: count() })
    .writeStream.outputMode('append');
  const query = (policy === undefined ? writer : writer.shardWatermark(policy)).build();
  return { views, query, test: new StreamTest(query, [views], { partitions: SHARDS }) };
}

const emitted = (rows: readonly Record<string, unknown>[]) =>
  rows.map((row) => `${row.page}@${(row.window as { start: number }).start / 1000}=${row.views}`).sort();

/** The new user's first try (issue 11): views of three pages, one page per shard, then one much later view. */
function pushViews(views: MemoryStream<View>) {
  views.addDataTo('shard-0', { page: 'home', ts: s(5) }, { page: 'home', ts: s(20) });
  views.addDataTo('shard-1', { page: 'about', ts: s(10) });
  views.addDataTo('shard-2', { page: 'docs', ts: s(30) }, { page: 'docs', ts: s(50) });
}

describe('one watermark per query across shards', () => {
  it("max (default): a quiet shard's windows close when another shard's event time moves on", async () => {
    const { views, test } = pageViews();
    pushViews(views);
    expect(await test.processAllAvailable()).toEqual([]);

    views.addDataTo('shard-0', { page: 'home', ts: s(200) }); // only shard-0 moves on
    expect(emitted(await test.processAllAvailable())).toEqual(['about@0=1', 'docs@0=2', 'home@0=2']);
    // The quiet shards closed their windows in no-data batches that ran with shard-0's watermark.
    const closing = test.progress.filter((p) => p.isNoDataBatch && p.sink.numOutputRows > 0);
    expect(closing.map((p) => p.partition).sort()).toEqual(['shard-0', 'shard-1', 'shard-2']);
    expect(closing.every((p) => p.eventTime.watermark === new Date(s(190)).toISOString())).toBe(true);

    // Rows behind the query's watermark are late on every shard, not only on shard-0.
    views.addDataTo('shard-1', { page: 'about', ts: s(100) });
    expect(await test.processAllAvailable()).toEqual([]);
    const last = test.progress.filter((p) => p.partition === 'shard-1' && !p.isNoDataBatch).at(-1)!;
    expect(last.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
  });

  it('per-shard: only the shard that saw the late view emits (the first design)', async () => {
    const { views, test } = pageViews('per-shard');
    pushViews(views);
    await test.processAllAvailable();
    views.addDataTo('shard-0', { page: 'home', ts: s(200) });
    expect(emitted(await test.processAllAvailable())).toEqual(['home@0=2']);
  });

  it('min: waits for the slowest shard', async () => {
    const { views, test } = pageViews('min');
    pushViews(views);
    await test.processAllAvailable();
    views.addDataTo('shard-0', { page: 'home', ts: s(200) });
    expect(await test.processAllAvailable()).toEqual([]); // shard-1 is still at 10 s
    views.addDataTo('shard-1', { page: 'about', ts: s(150) });
    expect(await test.processAllAvailable()).toEqual([]); // shard-2 is still at 50 s
    views.addDataTo('shard-2', { page: 'docs', ts: s(75) });
    // The slowest is now shard-2 at 75 s − 10 s: the windows ending at 60 s close.
    expect(emitted(await test.processAllAvailable())).toEqual(['about@0=1', 'docs@0=2', 'home@0=2']);
  });

  it('records the watermark a batch used in its WAL entry, so a replay is exact after the others moved on', async () => {
    const { views, test } = pageViews();
    pushViews(views);
    await test.processAllAvailable();
    views.addDataTo('shard-0', { page: 'home', ts: s(200) });
    await test.processAllAvailable();
    const store = test.checkpointsOf('shard-1');
    const closing = test.progress.find((p) => p.partition === 'shard-1' && p.sink.numOutputRows > 0)!;
    expect(test.progress.filter((p) => p.partition === 'shard-1').at(-1)).toBe(closing);
    const before = test.batchOutput(closing.batchId);
    expect(emitted(before)).toEqual(['about@0=1']);

    views.addDataTo('shard-0', { page: 'home', ts: s(900) }); // the query's watermark moves far on
    await test.runOneBatch('shard-0');

    const plan = store.reopenLastBatch();
    expect(plan.watermarkForEvictionMs).toBe(s(190));
    test.stop();
    const replay = await test.runOneBatch('shard-1');
    expect(replay?.progress.isReplay).toBe(true);
    expect(replay?.progress.eventTime.watermark).toBe(new Date(s(190)).toISOString());
    expect(replay?.output).toEqual(before);
  });

  it('stores the policy with the checkpoint: restarting with another one fails fast and names the setting', async () => {
    const { views, test } = pageViews();
    pushViews(views);
    await test.processAllAvailable();
    const { query: perShard } = pageViews('per-shard');
    test.restart(perShard);
    const error = await test.processAllAvailable().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatiblePlanError);
    expect((error as Error).message).toMatch(/shard watermark policy was 'max' and is now 'per-shard'/);
    expect((error as Error).message).toMatch(/shardWatermark\('max'\)/);
  });
});
