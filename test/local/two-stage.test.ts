import { fileURLToPath } from 'node:url';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readQueryStatus } from '../../cli/status/query-status.js';
import { waitUntilCommitted } from '../../cli/status/wait.js';
import type { QueryLocation, Target } from '../../cli/target/target.js';
import { S3OutputReader } from '../../engine/aws/s3/output-reader.js';
import { StreamingQuery } from '../../infra/streaming-query.js';
import { type LocalDeployment, startLocalDeployment } from '../../local/index.js';
import { type Click, perCampaignQuery } from './fixtures/per-campaign-query.js';

/*
 * A two-stage query on the local stack, unchanged from the CDK template: 4 source shards keyed by
 * user, a count per campaign (the construct adds the internal stream and the stage-2 function; the
 * runner runs both mappings), checked against a reference over all input; `sluice status` reads
 * both stages and `--wait` waits for both.
 */

const ENTRY = fileURLToPath(new URL('./fixtures/per-campaign.ts', import.meta.url));
let local: LocalDeployment;

beforeAll(async () => {
  local = await startLocalDeployment({
    app: (app: App) => {
      const stack = new Stack(app, 'TwoStage');
      new StreamingQuery(stack, 'PerCampaign', {
        queryName: 'per-campaign',
        query: perCampaignQuery,
        entry: ENTRY,
        shardCount: 4,
        exchangeShardCount: 2,
      });
      return stack;
    },
    runner: {
      initTimeoutMs: 60_000,
      environment: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
      schedules: false,
    },
  });
}, 180_000);
afterAll(async () => {
  await local?.stop();
});

function clicks(from: number, n: number): Click[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      user: `user-${(i * 7) % 29}`,
      campaign: `c${(i * 5 + Math.floor(i / 3)) % 7}`,
      ts: ((i * 7919) % 90) * 1000,
      cost: (i % 9) + 1,
    };
  });
}

describe('a two-stage query on the local stack', () => {
  it('provisions both stages from the template, runs them, and the result equals the reference', async () => {
    const query = local.resources.queries['per-campaign']!;
    expect(query.shardCount).toBe(4);
    expect(query.exchange).toBeDefined();
    expect(query.exchange!.stream).not.toBe(query.stream);
    const kinesis = local.emulators.clients.kinesis;
    const sent = clicks(0, 600);
    for (let i = 0; i < sent.length; i += 200) {
      const response = await kinesis.send(
        new PutRecordsCommand({
          StreamName: query.stream,
          Records: sent.slice(i, i + 200).map((click) => ({
            PartitionKey: click.user,
            Data: new TextEncoder().encode(JSON.stringify(click)),
          })),
        }),
      );
      expect(response.FailedRecordCount ?? 0).toBe(0);
    }
    const location: QueryLocation = {
      name: 'per-campaign',
      table: query.table,
      bucket: query.bucket,
      prefix: query.prefix,
      stream: query.stream,
      exchangeStream: query.exchange!.stream,
      sources: ['clicks'],
    };
    const target: Target = {
      mode: 'local',
      where: 'on the local stack',
      region: local.emulators.region,
      clients: {
        dynamodb: local.emulators.clients.documents,
        s3: local.emulators.clients.s3,
        kinesis,
      },
      knownQueries: [location],
      query: () => location,
      startHint: '',
      close: () => {},
    };
    // `status --wait`: stage 1 first, then what stage 1 put into the internal stream.
    await waitUntilCommitted(target, [location], { timeoutMs: 120_000, pollMs: 200, settleMs: 1_000 });

    const totals = new Map<string, string>();
    const sums = new Map<string, { n: number; cost: number }>();
    for (const click of sent) {
      const key = `${Math.floor(click.ts / 10_000) * 10_000}/${click.campaign}`;
      const total = sums.get(key) ?? { n: 0, cost: 0 };
      sums.set(key, { n: total.n + 1, cost: total.cost + click.cost });
    }
    for (const [key, total] of sums) totals.set(key, `${total.n}/${total.cost}`);
    const reader = new S3OutputReader({
      client: local.emulators.clients.s3,
      bucket: query.bucket,
      prefix: query.prefix,
      query: 'per-campaign',
    });
    const table = await reader.readRows({ view: 'table' });
    expect(
      new Map(
        table.map((row) => [
          `${(row.window as { start: number }).start}/${row.campaign}`,
          `${row.n}/${row.cost}`,
        ]),
      ),
    ).toEqual(totals);

    const status = await readQueryStatus(target, location);
    expect(status.stages?.map((stage) => [stage.query, stage.stream, stage.shards.length])).toEqual([
      ['per-campaign.stage-1', query.stream, 4],
      ['per-campaign', query.exchange!.stream, 2],
    ]);
    for (const stage of status.stages!) {
      for (const shard of stage.shards) {
        expect(shard.checkpoint?.committed?.seq, `${stage.query} ${shard.shard}`).toMatch(/^\d+$/);
        expect(shard.lag?.records, `${stage.query} ${shard.shard}`).toBe(0);
      }
    }
  }, 240_000);
});
