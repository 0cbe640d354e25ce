import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsClients } from '../../../engine/aws/clients.js';
import { createStateTable } from '../../../engine/aws/dynamodb/index.js';
import {
  createClients,
  DEFAULT_REGION,
  destroyClients,
  S3RVER_CREDENTIALS,
  startS3rver,
} from '../../../local/emulators/index.js';
import { type PutEntry, putAll, readWholeShard } from '../../support/kinesis-stream.js';
import { attachFaultInjection } from './fault-middleware.js';

/** Attempts the SDK makes per call in the suite (so 1–2 throttled attempts are retried away, 3 are not). */
export const SDK_MAX_ATTEMPTS = 3;

/** One emulator set shared by every schedule of a test file, with fault-injecting clients. */
export interface FaultEnv {
  /** The runtime's clients: every call made inside an invocation scope can be faulted. */
  readonly clients: AwsClients;
  readonly tableName: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/**
 * The SDK's retry loop with the standard classification (throttling and transient errors are
 * retried) but no backoff delay and no shared retry quota: a schedule's outcome then depends only
 * on its seed, not on timing or on earlier schedules' retries.
 */
function immediateRetries(maxAttempts: number) {
  const token = (retries: number) => ({ getRetryCount: () => retries, getRetryDelay: () => 0 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: { getRetryCount(): number }, info: { errorType: string }) => {
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts) throw new Error('no more retries');
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => {},
  };
}

/** Starts dynalite and kinesalite in a child process (see emulator-host.ts); resolves their endpoints. */
async function startEmulatorHost(): Promise<{
  endpoints: { dynamodb: string; kinesis: string };
  stop(): Promise<void>;
}> {
  const script = fileURLToPath(new URL('./emulator-host.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const endpoints = await new Promise<{ dynamodb: string; kinesis: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator host did not start within 60 s')), 60_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as { dynamodb: string; kinesis: string });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator host exited (code ${code}) before reporting its endpoints`));
    });
  });
  return {
    endpoints,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Starts kinesalite, dynalite and s3rver, the state table and the output bucket. */
export async function startFaultEnv(): Promise<FaultEnv> {
  const launch = { region: DEFAULT_REGION, credentials: S3RVER_CREDENTIALS, startTimeoutMs: 30_000 };
  const [host, s3rver] = await Promise.all([startEmulatorHost(), startS3rver(launch)]);
  const endpoints = { ...host.endpoints, s3: s3rver.endpoint };
  const admin = createClients(endpoints, launch);
  const common = {
    region: launch.region,
    credentials: { ...launch.credentials },
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryStrategy: immediateRetries(SDK_MAX_ATTEMPTS),
  };
  const dynamodb = new DynamoDBClient({
    ...common,
    endpoint: endpoints.dynamodb,
    requestHandler: new NodeHttpHandler(),
  });
  // As engine/aws/clients.ts configures them for an emulator endpoint.
  const clients: AwsClients = {
    dynamodb: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    s3: new S3Client({
      ...common,
      endpoint: endpoints.s3,
      requestHandler: new NodeHttpHandler(),
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    kinesis: new KinesisClient({
      ...common,
      endpoint: endpoints.kinesis,
      requestHandler: new NodeHttpHandler(),
    }),
  };
  attachFaultInjection(clients.dynamodb, 'DynamoDB');
  attachFaultInjection(clients.s3, 'S3');
  attachFaultInjection(clients.kinesis, 'Kinesis');
  const tableName = 'fault-state';
  const bucket = 'fault-outputs';
  await createStateTable(admin.dynamodb, tableName);
  await admin.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  destroyClients(admin);
  return {
    clients,
    tableName,
    bucket,
    stop: async () => {
      clients.dynamodb.destroy();
      dynamodb.destroy();
      clients.s3.destroy();
      clients.kinesis.destroy();
      await Promise.all([host.stop(), s3rver.stop()]);
    },
  };
}

/** A stream's records per shard, as Kinesis holds them. */
export interface StreamRecords {
  readonly shards: ReadonlyArray<{ readonly shardId: string; readonly records: readonly _Record[] }>;
}

/** Creates a stream, puts the entries in order and reads every shard back. */
export async function createFilledStream(
  client: KinesisClient,
  name: string,
  shardCount: number,
  entries: readonly PutEntry[],
): Promise<StreamRecords> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  let shardIds: string[] = [];
  for (let i = 0; i < 200 && shardIds.length === 0; i++) {
    const described = await client.send(new DescribeStreamCommand({ StreamName: name }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') {
      shardIds = (described.StreamDescription.Shards ?? []).map((shard) => shard.ShardId!);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  if (shardIds.length === 0) throw new Error(`stream ${name} did not become ACTIVE`);
  await putAll(client, name, entries);
  const shards = await Promise.all(
    shardIds.map(async (shardId) => ({ shardId, records: await readWholeShard(client, name, shardId) })),
  );
  return { shards };
}

/** Deletes a schedule's stream (kinesalite counts open shards against a limit). */
export async function deleteStream(client: KinesisClient, name: string): Promise<void> {
  await client.send(new DeleteStreamCommand({ StreamName: name }));
}
