/**
 * (flat)mapGroupsWithState by any key through the exchange: events keyed by user, state per
 * campaign. With `keyColumns` declared the planner sees that the key does not follow the
 * partition key and routes rows by the group key; the result equals the same query run in one
 * stage over one partition. Without `keyColumns` the key function is trusted, as before.
 */
import { describe, expect, it } from 'vitest';
import { explain, type GroupState, planStages, type Row } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Click {
  user: string;
  campaign: string;
  cost: number;
  ts: number;
}

const SHARDS = ['shard-0', 'shard-1', 'shard-2'];

/** Running spend per campaign; one output row per campaign per batch with clicks. */
function spendPerCampaign(declareKey: boolean) {
  const clicks = new MemoryStream<Click>('clicks');
  const query = clicks
    .toStream({ eventTime: 'ts', partitionKey: 'user' })
    .groupByKey((click) => click.campaign.toUpperCase(), declareKey ? { keyColumns: ['campaign'] } : {})
    .mapGroupsWithState(
      (campaign: string, rows: readonly Click[], state: GroupState<{ spent: number; n: number }>) => {
        const before = state.exists ? state.get() : { spent: 0, n: 0 };
        const after = {
          spent: before.spent + rows.reduce((sum, row) => sum + row.cost, 0),
          n: before.n + rows.length,
        };
        state.update(after);
        return { campaign, spent: after.spent, clicks: after.n };
      },
    )
    .writeStream.queryName('spend')
    .outputMode('update')
    .build();
  return { clicks, query };
}

const CLICKS: Click[] = Array.from({ length: 60 }, (_, i) => ({
  user: `u${i % 7}`,
  campaign: ['a', 'b', 'c', 'd'][(i * 5) % 4]!,
  cost: (i % 9) + 1,
  ts: i * 1000,
}));
const shardOf = (user: string) => SHARDS[Number(user.slice(1)) % SHARDS.length]!;

/** The last value of each campaign after all batches. */
const finalSpend = (rows: readonly Row[]) => {
  const last = new Map<string, string>();
  for (const row of rows) last.set(String(row.campaign), `${row.campaign}=${row.spent}/${row.clicks}`);
  return [...last.values()].sort();
};

async function run(test: StreamTest, clicks: MemoryStream<Click>, partitioned: boolean): Promise<Row[]> {
  for (let round = 0; round < 4; round++) {
    for (const click of CLICKS.slice(round * 15, round * 15 + 15))
      clicks.addDataTo(partitioned ? shardOf(click.user) : '0', click);
    await test.processAllAvailable();
  }
  return test.allOutput();
}

describe('(flat)mapGroupsWithState by a key the producers do not partition by', () => {
  it('plans an exchange routed by the group key when keyColumns do not include the partition key', () => {
    const staged = planStages(spendPerCampaign(true).query);
    expect(staged.stages.map((stage) => stage.query.name)).toEqual(['spend.stage-1', 'spend']);
    expect(explain(spendPerCampaign(true).query)).toContain('routed by group key');
    // Undeclared, the key function is trusted to follow the partition key: one stage, as before.
    expect(planStages(spendPerCampaign(false).query).stages).toHaveLength(1);
  });

  it('keeps one state per campaign across shards: the same result as one stage', async () => {
    const reference = spendPerCampaign(false);
    const expected = finalSpend(
      await run(new StreamTest(reference.query, [reference.clicks]), reference.clicks, false),
    );
    expect(expected).toHaveLength(4);
    const { clicks, query } = spendPerCampaign(true);
    const test = new StreamTest(query, [clicks], { partitions: SHARDS, exchangePartitions: 2 });
    const actual = finalSpend(await run(test, clicks, true));
    expect(actual).toEqual(expected);
    // Every click counted exactly once, whichever shard its user is on.
    const total = actual.reduce((sum, row) => sum + Number(row.split('/')[1]), 0);
    expect(total).toBe(CLICKS.length);
  });
});
