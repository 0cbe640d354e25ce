/**
 * End to end on the emulators: events/s from the first `PutRecords` to the moment every record's
 * output is committed (sluice: the batch's checkpoint commit; naive: its S3 put), for sluice and
 * the naive handler on the same emulators and the same input.
 *
 * Driven by the local event-source-mapping runner (`local/runner/`) from the bench CDK stack
 * (bench/aws/stack.ts): each shard is polled with `GetRecords`, batched by the mapping's batch size
 * and batching window, and its function invoked with the exact Lambda event, one invocation per
 * shard in flight, each function instance in its own worker thread. Before the clock starts, one
 * record per shard warms every function instance up (cold starts are not measured). Completion is
 * the runner's `runUntilCaughtUp`: every shard read to its tip and nothing in flight.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { S3OutputReader } from '../../engine/aws/s3/index.js';
import { createClients, type EmulatorClients, S3RVER_CREDENTIALS } from '../../local/emulators/index.js';
import { type LocalResources, provisionApp } from '../../local/provision/index.js';
import { createLocalRunner } from '../../local/runner/index.js';
import { REPORT_KEY, type ReportLine } from '../functions/report-line.js';
import type { BenchEndpoints } from './emulators.js';
import { benchStack } from './stack.js';
import type { SystemName } from './systems.js';
import { E2E_QUERY_NAME, pageViews, type RecordSpec, START_MS } from './workload.js';

const REGION = 'us-east-1';
/** PutRecords calls in flight while pushing. */
const PUT_CONCURRENCY = 4;
const PUT_CHUNK = 500;

export interface EndToEndRun {
  readonly system: SystemName;
  readonly shards: number;
  readonly events: number;
  /** From the first put until every record's output is committed. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** Putting alone (the producer side of the same run). */
  readonly pushSeconds: number;
  readonly invocations: number;
  readonly functionErrors: number;
  /** Time spent inside the handler (summed over shards), from the functions' report lines. */
  readonly handlerSeconds: number;
  /** sluice: the sum of the committed counts equals the events pushed (+ warm-up records). */
  readonly outputChecked?: boolean;
}

export interface EndToEndOptions {
  readonly endpoints: BenchEndpoints;
  readonly shards: number;
  readonly batchSize: number;
  readonly memoryMb: number;
  /** Events pushed per system. */
  readonly events: { readonly sluice: number; readonly naive: number };
  readonly keys: number;
  readonly runId: string;
  readonly log?: (line: string) => void;
}

/** Provisions the bench stack for `shards` and runs sluice, then the naive handler. */
export async function measureEndToEnd(options: EndToEndOptions): Promise<EndToEndRun[]> {
  const clients = createClients(options.endpoints, { region: REGION, credentials: S3RVER_CREDENTIALS });
  const emulators = {
    clients,
    endpoints: options.endpoints,
    region: REGION,
    credentials: S3RVER_CREDENTIALS,
  };
  try {
    const resources = await provisionApp({
      app: (app) =>
        benchStack(app, `SluiceBench${options.shards}`, {
          shards: options.shards,
          batchSize: options.batchSize,
          memoryMb: options.memoryMb,
        }),
      emulators,
      nameSuffix: options.runId,
    });
    const reports: Record<SystemName, ReportLine[]> = { sluice: [], naive: [] };
    const runner = createLocalRunner({
      resources,
      emulators,
      // Lambda polls an idle shard about once a second; a shorter pause keeps the end of each run
      // from being rounded up to the next poll. Both systems get the same.
      pollIntervalMs: 100,
      discoveryIntervalMs: 60_000,
      schedules: false,
      onLog: ({ function: logicalId, line }) => {
        if (process.env.BENCH_DEBUG !== undefined) console.log(logicalId, line.slice(0, 600));
        if (!line.startsWith(`{"${REPORT_KEY}"`)) return;
        const system: SystemName = logicalId.startsWith('NaiveFunction') ? 'naive' : 'sluice';
        reports[system].push((JSON.parse(line) as Record<string, ReportLine>)[REPORT_KEY]!);
      },
    });
    runner.start();
    try {
      const runs: EndToEndRun[] = [];
      for (const system of ['sluice', 'naive'] as const) {
        const stream = streamOf(resources, system);
        runs.push(
          await runOne(system, {
            ...options,
            stream,
            clients,
            runner,
            resources,
            reports: reports[system],
            events: options.events[system],
          }),
        );
        options.log?.(
          `  end to end: ${system}, ${options.shards} shard(s), ${options.events[system].toLocaleString('en-US')} events — ${Math.round(runs.at(-1)!.eventsPerSecond).toLocaleString('en-US')} events/s`,
        );
      }
      return runs;
    } finally {
      await runner.stop();
    }
  } finally {
    clients.documents.destroy();
    clients.dynamodb.destroy();
    clients.kinesis.destroy();
    clients.s3.destroy();
  }
}

function streamOf(resources: LocalResources, system: SystemName): string {
  if (system === 'sluice') return resources.queries[E2E_QUERY_NAME]!.stream;
  const mapping = resources.eventSourceMappings.find((m) => m.functionLogicalId.startsWith('NaiveFunction'));
  if (mapping === undefined) throw new Error('the bench stack has no naive event source mapping');
  return mapping.streamName;
}

interface RunContext extends Omit<EndToEndOptions, 'events'> {
  readonly stream: string;
  readonly clients: EmulatorClients;
  readonly runner: ReturnType<typeof createLocalRunner>;
  readonly resources: LocalResources;
  /** The function's report lines (bench/functions/report-line.ts), as the runner reads them. */
  readonly reports: ReportLine[];
  readonly events: number;
}

async function runOne(system: SystemName, context: RunContext): Promise<EndToEndRun> {
  const { clients, runner, stream, shards, events } = context;
  // Warm-up: one record per shard (explicit hash keys spread over the hash range), an hour before
  // the measured records, so every shard's function instance has started before the clock does.
  const warmups = Array.from({ length: shards }, (_, i) => ({
    Data: Buffer.from(
      JSON.stringify({ key: `warm-up-${i}`, ts: START_MS - 3_600_000, page: '/', durationMs: 0 }),
    ),
    PartitionKey: `warm-up-${i}`,
    ExplicitHashKey: ((2n ** 128n / BigInt(shards)) * BigInt(i) + 1n).toString(),
  }));
  await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: warmups }));
  await runner.runUntilCaughtUp({ timeoutMs: 120_000 });
  const before = runner.stats();
  context.reports.length = 0;

  // Event time moves 10 s per 10,000 records, as in the requests section.
  const spec: RecordSpec = { keys: context.keys, span: 10_000, spanMs: 10_000, seed: 99 };
  const views = pageViews(spec, 0, events);
  const entries = views.map((view) => ({ Data: Buffer.from(JSON.stringify(view)), PartitionKey: view.key }));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PUT_CONCURRENCY }, async () => {
      while (next < entries.length) {
        const from = next;
        next += PUT_CHUNK;
        const response = await clients.kinesis.send(
          new PutRecordsCommand({ StreamName: stream, Records: entries.slice(from, from + PUT_CHUNK) }),
        );
        if (response.FailedRecordCount) throw new Error(`${response.FailedRecordCount} records were not put`);
      }
    }),
  );
  const pushSeconds = (performance.now() - started) / 1000;
  const after = await runner.runUntilCaughtUp({ timeoutMs: 900_000 });
  const seconds = (performance.now() - started) / 1000;

  const invocations = after.invocations - before.invocations;
  const handlerSeconds = context.reports.reduce((total, line) => total + line.ms, 0) / 1000;
  const run: EndToEndRun = {
    system,
    shards,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    pushSeconds,
    invocations,
    functionErrors: after.functionErrors - before.functionErrors,
    handlerSeconds,
  };
  if (system !== 'sluice') return run;
  const query = context.resources.queries[E2E_QUERY_NAME]!;
  const reader = new S3OutputReader({
    client: clients.s3,
    bucket: query.bucket,
    prefix: query.prefix,
    query: E2E_QUERY_NAME,
  });
  const rows = await reader.readRows({ view: 'table' });
  const counted = rows.reduce((total, row) => total + Number(row.count), 0);
  return { ...run, outputChecked: counted === events + shards };
}
