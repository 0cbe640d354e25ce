import { describe, expect, it } from 'vitest';
import {
  count,
  explain,
  InvalidQueryError,
  planStages,
  readStream,
  staticRows,
  sum,
  window,
} from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Click {
  user: string;
  campaign: string;
  cost: number;
  ts: number;
}

const s = (seconds: number) => seconds * 1000;
const SHARDS = ['shard-0', 'shard-1', 'shard-2', 'shard-3'];

function campaignCounts() {
  const clicks = new MemoryStream<Click>('clicks');
  const query = clicks
    .toStream({ eventTime: 'ts', partitionKey: 'user' })
    .withWatermark('ts', '10 seconds')
    .filter((click) => click.cost > 0)
    .groupBy(window('ts', '1 minute'), 'campaign')
    .agg({ clicks: count(), cost: sum('cost') })
    .writeStream.queryName('per-campaign')
    .outputMode('append')
    .build();
  return { clicks, query };
}

const rowsOf = (rows: readonly Record<string, unknown>[]) =>
  rows
    .map((r) => `${r.campaign}@${(r.window as { start: number }).start / 1000}=${r.clicks}/${r.cost}`)
    .sort();

describe('two-stage queries in the test kit (events keyed by user, counted per campaign)', () => {
  it('plans an exchange routed by the campaign, and explain() shows both stages', () => {
    const { query } = campaignCounts();
    const staged = planStages(query);
    expect(staged.stages.map((stage) => stage.query.name)).toEqual(['per-campaign.stage-1', 'per-campaign']);
    expect(staged.exchange?.routeColumns).toEqual(['campaign']);
    const text = explain(query);
    expect(text).toContain('== Stage 2: per-campaign (per internal shard) ==');
    expect(text).toContain('+- ExchangeReader per-campaign.exchange');
    expect(text).toContain('Sink ExchangeWriter per-campaign.exchange routed by [campaign], append mode');
    expect(text).toMatch(
      /Exchange planned: aggregation by \[window\(ts\), campaign\] does not follow 'user'/,
    );
  });

  it('counts each campaign once across shards, whichever shard its users are on', async () => {
    const { clicks, query } = campaignCounts();
    const test = new StreamTest(query, [clicks], { partitions: SHARDS, exchangePartitions: 3 });
    clicks.addDataTo(
      'shard-0',
      { user: 'u0', campaign: 'a', cost: 1, ts: s(1) },
      { user: 'u0', campaign: 'b', cost: 2, ts: s(2) },
    );
    clicks.addDataTo('shard-1', { user: 'u1', campaign: 'a', cost: 3, ts: s(3) });
    clicks.addDataTo('shard-2', { user: 'u2', campaign: 'a', cost: 0, ts: s(4) }); // filtered in stage 1
    clicks.addDataTo('shard-3', { user: 'u3', campaign: 'b', cost: 5, ts: s(50) });
    expect(await test.processAllAvailable()).toEqual([]);
    clicks.addDataTo('shard-1', { user: 'u1', campaign: 'c', cost: 1, ts: s(200) }); // closes the first minute
    expect(rowsOf(await test.processAllAvailable())).toEqual(['a@0=2/4', 'b@0=2/7']);
    // Stage 1's progress is there too, under its own name.
    expect(new Set(test.progress.map((p) => p.name))).toEqual(
      new Set(['per-campaign.stage-1', 'per-campaign']),
    );
  });

  it('a global count per window: windows close on every exchange partition, driven by the markers', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const query = clicks
      .toStream({ eventTime: 'ts', partitionKey: 'user' })
      .withWatermark('ts', '5 seconds')
      .groupBy(window('ts', '10 seconds'))
      .agg({ n: count() })
      .writeStream.outputMode('append')
      .build();
    expect(planStages(query).exchange?.routeWindow).toEqual({ column: 'ts', durationMs: 10_000, startMs: 0 });
    const test = new StreamTest(query, [clicks], { partitions: SHARDS, exchangePartitions: 2 });
    const times = [1, 3, 12, 14, 15, 27, 31, 33, 38, 44];
    times.forEach((t, i) => {
      clicks.addDataTo(SHARDS[i % SHARDS.length]!, { user: `u${i}`, campaign: 'a', cost: 1, ts: s(t) });
    });
    await test.processAllAvailable();
    clicks.addDataTo('shard-0', { user: 'late-mover', campaign: 'a', cost: 1, ts: s(100) });
    await test.processAllAvailable();
    const counts = test.allOutput().map((r) => [(r.window as { start: number }).start / 1000, r.n]);
    expect(counts.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [0, 2],
      [10, 3],
      [20, 1],
      [30, 3],
      [40, 1],
    ]);
    // Both exchange partitions ran stage 2 with the watermark the markers carried (100 s − 5 s).
    for (const partition of test.exchangePartitionIds) {
      const last = test.progress.filter((p) => p.partition === partition).at(-1)!;
      expect(last.eventTime.watermark).toBe(new Date(s(95)).toISOString());
    }
  });

  it('drops the records and marker a stage-1 replay re-puts after stage 2 applied them', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const query = clicks
      .toStream({ partitionKey: 'user' })
      .groupBy('campaign')
      .agg({ n: count() })
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [clicks], { partitions: ['shard-0'], exchangePartitions: 1 });
    clicks.addDataTo(
      'shard-0',
      { user: 'u0', campaign: 'a', cost: 1, ts: 0 },
      { user: 'u1', campaign: 'a', cost: 1, ts: 0 },
    );
    expect(await test.processAllAvailable()).toEqual([{ campaign: 'a', n: 2 }]);
    const before = test.exchange!.records('exchange-0').length;
    await test.replayLastBatch(); // replays the stage-2 batch: same output
    expect(test.lastOutput()).toEqual([{ campaign: 'a', n: 2 }]);
    // Now replay stage 1's batch: it re-puts its records and marker into the exchange.
    test.checkpointsOf('shard-0').reopenLastBatch();
    test.stop();
    await test.runOneBatch('shard-0');
    expect(test.exchange!.records('exchange-0').length).toBe(before * 2);
    expect(await test.processAllAvailable()).toEqual([]); // nothing new for stage 2
    clicks.addDataTo('shard-0', { user: 'u2', campaign: 'a', cost: 1, ts: 0 });
    expect(await test.processAllAvailable()).toEqual([{ campaign: 'a', n: 3 }]);
  });

  it('the rule stays an error for a query that opts out of exchanges', () => {
    const build = () =>
      readStream<Click>('clicks', { partitionKey: 'user' })
        .groupBy('campaign')
        .agg({ n: count() })
        .writeStream.outputMode('update')
        .exchanges('off')
        .build();
    expect(build).toThrow(InvalidQueryError);
    expect(build).toThrow(/GROUPING_IGNORES_PARTITION_KEY.*turned exchanges off/);
  });

  it('runs a stream-static join in stage 1 (the YSB shape): ad → campaign, count per campaign', async () => {
    interface Ad {
      user: string;
      ad: string;
      kind: 'view' | 'click';
      ts: number;
    }
    const campaigns = Array.from({ length: 12 }, (_, i) => ({ ad: `ad-${i}`, campaign: `c${i % 4}` }));
    const events = new MemoryStream<Ad>('ads');
    const query = events
      .toStream({ eventTime: 'ts', partitionKey: 'user' })
      .filter((event) => event.kind === 'view')
      .join(staticRows(campaigns), { on: ['ad'] })
      .withWatermark('ts', '10 seconds')
      .groupBy(window('ts', '10 seconds'), 'campaign')
      .count()
      .writeStream.queryName('ysb')
      .outputMode('append')
      .build();
    const staged = planStages(query);
    expect(staged.stages).toHaveLength(2);
    expect(staged.exchange!.routeColumns).toEqual(['campaign']);
    const test = new StreamTest(query, [events], { partitions: SHARDS, exchangePartitions: 3 });
    const sent: Ad[] = [];
    for (let i = 0; i < 240; i++) {
      const event: Ad = {
        user: `u${i % 17}`,
        ad: `ad-${(i * 7) % 13}`, // ad-12 has no campaign: the inner join drops it
        kind: i % 3 === 0 ? 'click' : 'view',
        ts: s(Math.floor(i / 4)), // in order across batches: nothing is late
      };
      sent.push(event);
      events.addDataTo(SHARDS[i % 4]!, event);
      if (i % 60 === 59) await test.processAllAvailable();
    }
    // Moves the watermark past every window (a view: the watermark follows the rows after the filter).
    events.addDataTo('shard-0', { user: 'u0', ad: 'ad-0', kind: 'view', ts: s(600) });
    await test.processAllAvailable();
    await test.processAllAvailable();
    const expected = new Map<string, number>();
    const campaignOf = new Map(campaigns.map((row) => [row.ad, row.campaign]));
    for (const event of sent) {
      const campaign = campaignOf.get(event.ad);
      if (event.kind !== 'view' || campaign === undefined) continue;
      const key = `${campaign}@${Math.floor(event.ts / 10_000) * 10}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const actual = new Map(
      test.sink
        .allRows()
        .map((r) => [`${r.campaign}@${(r.window as { start: number }).start / 1000}`, r.count]),
    );
    expect(actual).toEqual(expected);
  });

  it('a query whose operators follow the partition key stays one stage, unchanged', () => {
    const query = readStream<Click>('clicks', { partitionKey: 'campaign' })
      .groupBy('campaign')
      .agg({ n: count() })
      .writeStream.outputMode('update')
      .build();
    const staged = planStages(query);
    expect(staged.stages).toHaveLength(1);
    expect(staged.stages[0]!.query).toBe(query);
  });
});
