import {
  CreateStreamCommand,
  DescribeStreamCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import type { AwsClients } from '../../engine/aws/clients.js';
import { createStateTable } from '../../engine/aws/dynamodb/index.js';
import { type Emulators, startEmulators } from '../../local/emulators/index.js';

/** The state table and output bucket {@link useHandlerEmulators} creates. */
export const HANDLER_TABLE = 'sluice';
export const HANDLER_BUCKET = 'outputs';
/** A Lambda context with a minute left: enough for any batch of these tests. */
export const HANDLER_CONTEXT = { getRemainingTimeInMillis: () => 60_000 } as Context;

/**
 * Starts the emulators before the file's tests (kinesalite, dynalite, s3rver), creates the state
 * table and the output bucket, hands the emulators and the handler's clients to `started`, and
 * stops them after the file's tests.
 */
export function useHandlerEmulators(started: (emulators: Emulators, clients: AwsClients) => void): void {
  let emulators: Emulators | undefined;
  beforeAll(async () => {
    emulators = await startEmulators();
    await createStateTable(emulators.clients.dynamodb, HANDLER_TABLE);
    await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: HANDLER_BUCKET }));
    started(emulators, {
      dynamodb: emulators.clients.documents,
      s3: emulators.clients.s3,
      kinesis: emulators.clients.kinesis,
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });
}

/** Creates a stream of `shards` shards and waits until it is ACTIVE; returns its shards. */
export async function createActiveStream(
  kinesis: KinesisClient,
  name: string,
  shards: number,
): Promise<Shard[]> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 200; i++) {
    const described = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') return described.StreamDescription.Shards!;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}
