import { describe, expect, it } from 'vitest';
import { partialAggregate } from '../../../engine/exchange/partial-aggregate.js';
import { count, explain, planStages, readStream, sessionWindow, sum, window } from '../../../engine/index.js';
import { PARTIAL_COLUMN } from '../../../engine/operators/aggregate/partial-row.js';
import type { AggregateNode } from '../../../engine/plan/nodes.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Click {
  user: string;
  campaign: string;
  cost: number;
  ts: number;
}

const s = (seconds: number) => seconds * 1000;

function perCampaignWindow(clicks: MemoryStream<Click>, mode: 'append' | 'update' = 'update') {
  return clicks
    .toStream({ eventTime: 'ts', partitionKey: 'user' })
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '1 minute'), 'campaign')
    .agg({ clicks: count(), cost: sum('cost') })
    .writeStream.queryName('per-campaign')
    .outputMode(mode)
    .build();
}

describe('stage-1 partial aggregation', () => {
  it('folds a batch into one row per window and key, carrying accumulators, rows and max event time', () => {
    const query = perCampaignWindow(new MemoryStream<Click>('clicks'));
    const node = planStages(query).exchange!.partialAggregate as AggregateNode;
    expect(node.kind).toBe('aggregate');
    const rows = [
      { user: 'u0', campaign: 'a', cost: 1, ts: s(1) },
      { user: 'u1', campaign: 'b', cost: 2, ts: s(2) },
      { user: 'u2', campaign: 'a', cost: 3, ts: s(59) },
      { user: 'u3', campaign: 'a', cost: 4, ts: s(61) },
      { user: 'u4', campaign: 'a', cost: 5, ts: 'not a time' as unknown as number },
    ];
    expect(partialAggregate(node, 'ts', rows)).toEqual([
      { campaign: 'a', ts: s(59), [PARTIAL_COLUMN]: { v: 1, a: [2, 4], n: 2, w: 0 } },
      { campaign: 'b', ts: s(2), [PARTIAL_COLUMN]: { v: 1, a: [1, 2], n: 1, w: 0 } },
      { campaign: 'a', ts: s(61), [PARTIAL_COLUMN]: { v: 1, a: [1, 4], n: 1, w: s(60) } },
      // No valid time: passed on as it is, for stage 2 to reject with the usual reason.
      rows[4],
    ]);
  });

  it('puts one row per group and batch into the exchange instead of one per event', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const test = new StreamTest(perCampaignWindow(clicks), [clicks], {
      partitions: ['shard-0', 'shard-1'],
      exchangePartitions: 1,
    });
    const many = Array.from({ length: 1000 }, (_, i) => ({
      user: `u${i}`,
      campaign: ['a', 'b', 'c'][i % 3]!,
      cost: 1,
      ts: s(i % 50),
    }));
    clicks.addDataTo('shard-0', ...many);
    clicks.addDataTo('shard-1', ...many.slice(0, 10));
    await test.processAllAvailable();
    const records = test.exchange!.records('exchange-0');
    const carried = records.flatMap((r) => (r.kind === 'rows' ? r.rows : []));
    expect(carried).toHaveLength(3 + 3);
    expect(records.filter((r) => r.kind === 'marker').map((r) => r.maxEventTimeMs)).toEqual([s(49), s(9)]);
    const totals = test.sink.latestByKey((row) => String(row.campaign));
    expect(Object.fromEntries(totals.map((row) => [row.campaign, row.clicks]))).toEqual({
      a: 338,
      b: 336,
      c: 336,
    });
  });

  it('stage 2 drops a late partial whole: one group for Spark, the rows it folded for numLateInputRows', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const test = new StreamTest(perCampaignWindow(clicks, 'append'), [clicks], {
      partitions: ['shard-0', 'shard-1'],
      exchangePartitions: 1,
    });
    clicks.addDataTo('shard-0', { user: 'u0', campaign: 'a', cost: 1, ts: s(5) });
    clicks.addDataTo('shard-1', { user: 'u1', campaign: 'a', cost: 1, ts: s(200) }); // watermark → 190 s
    await test.processAllAvailable();
    expect(test.allOutput()).toEqual([
      { window: { start: 0, end: s(60) }, campaign: 'a', clicks: 1, cost: 1 },
    ]);
    // Three rows of the closed first minute, folded into one partial by shard 0's stage 1.
    clicks.addDataTo(
      'shard-0',
      { user: 'u0', campaign: 'a', cost: 1, ts: s(6) },
      { user: 'u2', campaign: 'a', cost: 1, ts: s(7) },
      { user: 'u4', campaign: 'a', cost: 1, ts: s(8) },
    );
    await test.processAllAvailable();
    const stage2 = test.progress.filter((p) => p.partition === 'exchange-0').at(-1)!;
    expect(stage2.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
    expect(stage2.stateOperators[0]!.numLateInputRows).toBe(3);
    expect(test.allOutput()).toHaveLength(1);
  });

  it('explain() shows the partial aggregate under the exchange writer', () => {
    const text = explain(perCampaignWindow(new MemoryStream<Click>('clicks')));
    expect(text).toContain(
      [
        'Sink ExchangeWriter per-campaign.exchange routed by [campaign], append mode',
        '+- PartialAggregate [window(ts, 60000 ms), campaign] → clicks=count, cost=sum(cost)',
        '   +- WithWatermark ts, 10000 ms',
        '      +- Source clicks partitioned by user',
      ].join('\n'),
    );
  });

  it('session windows are exchanged as rows (a session is not known until its rows meet)', () => {
    const query = readStream<Click>('clicks', { partitionKey: 'user', eventTime: 'ts' })
      .withWatermark('ts', '10 seconds')
      .groupBy(sessionWindow('ts', '30 seconds'), 'campaign')
      .agg({ n: count() })
      .writeStream.outputMode('append')
      .build();
    const staged = planStages(query);
    expect(staged.exchange).toBeDefined();
    expect(staged.exchange!.partialAggregate).toBeUndefined();
  });
});
