/**
 * The exchange section (issue 11): a YSB-shaped query (keep views, join ad → campaign, count per
 * campaign per 10-second window) end to end on the emulators (kinesalite, dynalite, s3rver, real
 * SDK clients) with 4 source shards, run twice over the same events:
 * - exchange: producers key by user, so the count runs after an exchange (stage 1 on the 4 source
 *   shards, stage 2 on an internal stream of 2 shards);
 * - baseline: producers key by campaign, so the same query runs in one stage (no internal stream).
 * The Lambda handler is invoked per shard as the event source mapping would (batches of up to
 * `batchSize` records, until every stream is drained). Printed: events/s (one process, emulators
 * in-process, shared CPU), AWS requests per million events by API, exchange records and bytes, and
 * the exchange's list-price cost per million events (internal stream PUT units, stage-2 invocations
 * and their GB-seconds at the measured duration; shard-hours are per hour, not per event).
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { type AwsClients, createAwsClients } from '../../engine/aws/clients.js';
import { createStateTable } from '../../engine/aws/dynamodb/index.js';
import { kinesisHandler } from '../../engine/aws/lambda/kinesis-handler.js';
import { RequestCounter } from '../../engine/aws/request-counter.js';
import { type QueryDefinition, readStream, staticRows, window } from '../../engine/index.js';
import { startEmulators } from '../../local/emulators/index.js';
import { mulberry32 } from '../../local/seeded-random.js';
import { kinesisEvent } from '../../test/support/kinesis-events.js';
import { readWholeShard } from '../../test/support/kinesis-stream.js';
import { adCampaigns, YSB_ADS_PER_CAMPAIGN, YSB_CAMPAIGNS } from '../handler-path/queries.js';
import { PRICES } from './prices.js';

interface AdEvent {
  user_id: string;
  ad_id: string;
  campaign: string;
  event_type: 'view' | 'click' | 'purchase';
  event_time: number;
}

function ysb(partitionKey: 'user_id' | 'campaign', name: string): QueryDefinition {
  return readStream<AdEvent>('ad-events', { eventTime: 'event_time', partitionKey })
    .filter((event) => event.event_type === 'view')
    .join(staticRows(adCampaigns()), { on: ['ad_id'] })
    .withWatermark('event_time', '10 seconds')
    .groupBy(window('event_time', '10 seconds'), partitionKey === 'campaign' ? 'campaign' : 'campaign_id')
    .count()
    .writeStream.queryName(name)
    .outputMode('append')
    .format('json')
    .build();
}

function events(n: number): AdEvent[] {
  const random = mulberry32(11);
  const start = Date.UTC(2024, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const ad = Math.floor(random() * YSB_CAMPAIGNS * YSB_ADS_PER_CAMPAIGN);
    return {
      user_id: `user-${Math.floor(random() * 100_000)}`,
      ad_id: `ad-${ad}`,
      campaign: `campaign-${Math.floor(ad / YSB_ADS_PER_CAMPAIGN)}`,
      event_type: (['view', 'click', 'purchase'] as const)[Math.floor(random() * 3)]!,
      event_time: start + Math.floor((i / n) * 120_000),
    };
  });
}

/** One run's figures. */
export interface ExchangeRun {
  readonly label: string;
  readonly events: number;
  readonly seconds: number;
  readonly requests: Record<string, number>;
  readonly invocations: { readonly stage1: number; readonly stage2: number };
  readonly stage2Ms: number;
  readonly exchangeRecords: number;
  readonly exchangeBytes: number;
  readonly outputRows: number;
}

async function createStream(kinesis: KinesisClient, name: string, shards: number) {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 400; i++) {
    const described = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') return described.StreamDescription.Shards!;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/** Runs both configurations; `log` prints progress lines. */
export async function measureExchange(options: {
  readonly events: number;
  readonly batchSize: number;
  readonly log: (line: string) => void;
}): Promise<ExchangeRun[]> {
  const emulators = await startEmulators();
  try {
    const clients: AwsClients = {
      dynamodb: emulators.clients.documents,
      s3: emulators.clients.s3,
      kinesis: emulators.clients.kinesis,
    };
    await createStateTable(emulators.clients.dynamodb, 'bench');
    await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    // Its own counter names (the handler counts for its progress records under other names).
    const counter = new RequestCounter();
    counter.attach(clients.dynamodb, 'bench-DynamoDB');
    counter.attach(clients.s3, 'bench-S3');
    counter.attach(clients.kinesis, 'bench-Kinesis');
    const takeCounts = () =>
      Object.fromEntries(Object.entries(counter.take()).map(([api, n]) => [api.replace(/^bench-/, ''), n]));
    // The event source mapping's reads are Lambda's, not the query's: a client of their own, not counted.
    const mapping = createAwsClients({
      region: emulators.region,
      credentials: emulators.credentials,
      endpoints: emulators.endpoints,
    }).kinesis;
    const input = events(options.events);
    const runs: ExchangeRun[] = [];
    for (const twoStage of [true, false]) {
      const label = twoStage ? 'exchange (keyed by user)' : 'baseline (keyed by campaign)';
      const name = twoStage ? 'ysb-exchange' : 'ysb-baseline';
      const source = await createStream(clients.kinesis, name, 4);
      const internal = twoStage ? await createStream(clients.kinesis, `${name}-internal`, 2) : [];
      const key = twoStage ? 'user_id' : 'campaign';
      for (let i = 0; i < input.length; i += 500) {
        await clients.kinesis.send(
          new PutRecordsCommand({
            StreamName: name,
            Records: input.slice(i, i + 500).map((event) => ({
              PartitionKey: event[key],
              Data: new TextEncoder().encode(JSON.stringify(event)),
            })),
          }),
        );
      }
      const handler = kinesisHandler(ysb(key, name), {
        clients,
        tableName: 'bench',
        bucket: 'bench',
        prefix: 'bench',
        ...(twoStage ? { exchangeStream: `${name}-internal` } : {}),
      });
      const context = { getRemainingTimeInMillis: () => 600_000 } as Context;
      takeCounts();
      const delivered = new Map<string, number>();
      const invocations = { stage1: 0, stage2: 0 };
      let stage2Ms = 0;
      let outputRows = 0;
      const started = performance.now();
      const invoke = async (stream: string, shardId: string, stage: 'stage1' | 'stage2') => {
        const all = await readWholeShard(mapping, stream, shardId);
        const from = delivered.get(`${stream}/${shardId}`) ?? 0;
        if (from >= all.length) return false;
        const records = all.slice(from, from + options.batchSize);
        const t0 = performance.now();
        const { batchItemFailures } = await handler(
          kinesisEvent(records, { streamName: stream, shardId }),
          context,
        );
        if (stage === 'stage2') stage2Ms += performance.now() - t0;
        invocations[stage]++;
        if (batchItemFailures.length > 0) throw new Error(`${stream}/${shardId}: a batch failed`);
        delivered.set(`${stream}/${shardId}`, from + records.length);
        return true;
      };
      for (let round = 0; ; round++) {
        let any = false;
        for (const shard of source) any = (await invoke(name, shard.ShardId!, 'stage1')) || any;
        for (const shard of internal)
          any = (await invoke(`${name}-internal`, shard.ShardId!, 'stage2')) || any;
        if (!any) break;
        if (round > 10_000) throw new Error('did not drain');
      }
      const seconds = (performance.now() - started) / 1000;
      const requests = takeCounts();
      let exchangeRecords = 0;
      let exchangeBytes = 0;
      for (const shard of internal) {
        const records = await readWholeShard(clients.kinesis, `${name}-internal`, shard.ShardId!);
        exchangeRecords += records.length;
        exchangeBytes += records.reduce((total, r) => total + (r.Data?.byteLength ?? 0), 0);
      }
      const { S3OutputReader } = await import('../../engine/aws/s3/output-reader.js');
      outputRows = (
        await new S3OutputReader({
          client: clients.s3,
          bucket: 'bench',
          prefix: 'bench',
          query: name,
        }).readRows()
      ).length;
      const run = {
        label,
        events: input.length,
        seconds,
        requests,
        invocations,
        stage2Ms,
        exchangeRecords,
        exchangeBytes,
        outputRows,
      };
      options.log(
        `${label}: ${input.length} events in ${seconds.toFixed(1)} s (${Math.round(input.length / seconds)} events/s), ${invocations.stage1} + ${invocations.stage2} invocations, ${exchangeRecords} exchange records (${Math.round(exchangeBytes / 1024)} KiB), ${outputRows} output rows`,
      );
      runs.push(run);
    }
    return runs;
  } finally {
    await emulators.stop();
  }
}

/** The section as Markdown. */
export function exchangeMarkdown(runs: readonly ExchangeRun[], memoryMb: number): string {
  const perMillion = (n: number, events: number) => Math.round((n / events) * 1_000_000);
  const apis = [...new Set(runs.flatMap((run) => Object.keys(run.requests)))].sort();
  const lines = [
    '## Exchange: YSB-shaped query on 4 shards (issue 11)',
    '',
    'filter views → join ad → campaign → count per campaign per 10-second window, on the emulators,',
    'handler invoked per shard as the event source mapping would; same events in both runs.',
    '',
    `| | ${runs.map((run) => run.label).join(' | ')} |`,
    `| --- | ${runs.map(() => '---:').join(' | ')} |`,
    `| events/s (one process, shared CPU) | ${runs.map((run) => Math.round(run.events / run.seconds)).join(' | ')} |`,
    `| invocations (stage 1 + stage 2) | ${runs.map((run) => `${run.invocations.stage1} + ${run.invocations.stage2}`).join(' | ')} |`,
    `| exchange records / KiB | ${runs.map((run) => `${run.exchangeRecords} / ${Math.round(run.exchangeBytes / 1024)}`).join(' | ')} |`,
    `| output rows | ${runs.map((run) => run.outputRows).join(' | ')} |`,
    ...apis.map(
      (api) =>
        `| ${api} per million events | ${runs.map((run) => perMillion(run.requests[api] ?? 0, run.events).toLocaleString('en-US')).join(' | ')} |`,
    ),
  ];
  const exchange = runs[0]!;
  const baseline = runs[1]!;
  // The exchange's own cost: PUT payload units (25 KiB each) into the internal stream, stage-2
  // invocations and their GB-seconds, and its extra DynamoDB/S3/Kinesis requests are in the table.
  const putUnits = Math.ceil(exchange.exchangeBytes / (25 * 1024)) + exchange.exchangeRecords;
  const dollars =
    (perMillion(putUnits, exchange.events) / 1e6) * PRICES.kinesis.perMillionPutUnits +
    (perMillion(exchange.invocations.stage2, exchange.events) / 1e6) * PRICES.lambda.perMillionRequests +
    ((exchange.stage2Ms / 1000) * (memoryMb / 1024) * PRICES.lambda.armGbSecond * 1e6) / exchange.events;
  lines.push(
    '',
    `Exchange cost per million events at ${PRICES.asOf}: about $${dollars.toFixed(4)} (internal-stream PUT units ≤ ${putUnits} for ${exchange.events} events, ${exchange.invocations.stage2} stage-2 invocations, ${(exchange.stage2Ms / 1000).toFixed(1)} s of stage-2 handler time at ${memoryMb} MB), plus ${2 * PRICES.kinesis.shardHour * PRICES.hoursPerMonth} $/month for 2 internal shards. Added latency: stage 2 runs after stage 1's batch commits: one event-source poll (about 1 s on AWS, not emulated here) plus a stage-2 invocation, ${Math.round(exchange.stage2Ms / Math.max(1, exchange.invocations.stage2))} ms on average here. Throughput: ${(exchange.events / exchange.seconds / (baseline.events / baseline.seconds)).toFixed(2)}× the baseline's events/s in this single-process run.`,
  );
  return lines.join('\n');
}
