/**
 * The two systems under test, each set up on the emulators with its own table, bucket, stream
 * and metered clients: sluice (the engine's `kinesisHandler` with the bench query) and the naive
 * handler.
 */
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { AwsClients } from '../../engine/aws/clients.js';
import { stateTableDefinition, TABLE_LAYOUT } from '../../engine/aws/dynamodb/index.js';
import { kinesisHandler, type StateBackend } from '../../engine/aws/lambda/kinesis-handler.js';
import { S3ProgressWriter } from '../../engine/aws/s3/index.js';
import type { QueryProgress } from '../../engine/index.js';
import { S3RVER_CREDENTIALS } from '../../local/emulators/index.js';
import { naiveHandler, naiveTableDefinition } from '../naive/handler.js';
import type { BenchEndpoints } from './emulators.js';
import { benchClients } from './emulators.js';
import { TrafficMeter } from './traffic-meter.js';
import { benchQuery, WINDOW_MS } from './workload.js';

export type SystemName = 'sluice' | 'naive';

/** A handler ready to be invoked, with the meter on its clients. */
export interface SystemUnderTest {
  readonly system: SystemName;
  readonly name: string;
  readonly stream: string;
  readonly meter: TrafficMeter;
  readonly clients: AwsClients;
  invoke(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse>;
  /** sluice only: replaces the handler by a new one, as a cold Lambda container would start. */
  coldStart(): void;
  /** sluice only: the progress records a shard wrote, in batch order. */
  progress(shard: string): Promise<QueryProgress[]>;
}

/** A Lambda context with plenty of time left (the handler stops early only when time runs low). */
export const LONG_CONTEXT = { getRemainingTimeInMillis: () => 900_000 } as Context;

export interface SetupOptions {
  readonly endpoints: BenchEndpoints;
  readonly system: SystemName;
  /** Unique per run: names the query, table, bucket and stream. */
  readonly name: string;
  /** Shards of the stream (created here). @default 1 */
  readonly shards?: number;
  /** Count DynamoDB capacity units (parses bodies; costs CPU in this process). @default true */
  readonly units?: boolean;
  /** sluice's state backend. @default the handler's default ('s3') */
  readonly state?: StateBackend;
}

/** Creates the system's table, bucket and stream, and its handler on fresh, metered clients. */
export async function setUpSystem(options: SetupOptions): Promise<SystemUnderTest> {
  const { endpoints, system, name } = options;
  const clients = benchClients(endpoints);
  const tableName = `${name}-table`;
  const bucket = `${name}-out`.toLowerCase();
  const stream = `${name}-stream`;
  const admin = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: endpoints.dynamodb,
    credentials: { ...S3RVER_CREDENTIALS },
  });
  try {
    await admin.send(
      new CreateTableCommand(
        system === 'sluice' ? stateTableDefinition(tableName) : naiveTableDefinition(tableName),
      ),
    );
    await waitUntilTableExists(
      { client: admin, maxWaitTime: 60, minDelay: 1, maxDelay: 1 },
      { TableName: tableName },
    );
  } finally {
    admin.destroy();
  }
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createStream(clients, stream, options.shards ?? 1);

  const meter = new TrafficMeter({
    units: options.units ?? true,
    indexed: system === 'sluice' ? { [tableName]: TABLE_LAYOUT.expiryAttribute } : {},
  });
  meter.attachAll(clients);
  const prefix = 'bench';
  if (system === 'sluice') {
    const query = benchQuery(name);
    const newHandler = () =>
      kinesisHandler(query, {
        clients,
        tableName,
        bucket,
        prefix,
        reserveMs: 1000,
        ...(options.state === undefined ? {} : { state: options.state }),
      });
    let handler = newHandler();
    const progressReader = new S3ProgressWriter({
      client: benchClients(endpoints).s3,
      bucket,
      prefix,
      query: query.name,
    });
    return {
      system,
      name,
      stream,
      meter,
      clients,
      invoke: (event) => handler(event, LONG_CONTEXT),
      coldStart: () => {
        handler = newHandler();
      },
      async progress(shard) {
        const ids = await progressReader.batchIds(shard);
        return Promise.all(ids.map((id) => progressReader.read(shard, id)));
      },
    };
  }
  const handler = naiveHandler({ clients, tableName, bucket, prefix, windowMs: WINDOW_MS });
  return {
    system,
    name,
    stream,
    meter,
    clients,
    invoke: handler,
    coldStart: () => undefined,
    progress: async () => [],
  };
}

async function createStream(clients: AwsClients, stream: string, shards: number): Promise<void> {
  await clients.kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  for (let i = 0; i < 400; i++) {
    const described = await clients.kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`stream ${stream} did not become ACTIVE`);
}
