import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { ResourceCreationError } from './errors.js';
import { localName } from './names.js';
import { type CfnTemplate, literalProperty, RESOURCE_TYPES, resourcesOfType } from './template.js';
import type { LocalStream } from './types.js';

/** Shards of an on-demand stream locally (AWS starts an on-demand stream with 4). */
export const DEFAULT_ON_DEMAND_SHARD_COUNT = 4;

/** CloudFormation's default when a provisioned stream has no ShardCount. */
const DEFAULT_SHARD_COUNT = 1;
const ACTIVE_POLL_MS = 10;
const ACTIVE_TIMEOUT_MS = 30_000;

/** A stream to create. */
export type StreamPlan = Omit<LocalStream, 'arn'>;

/** The template's streams: `Name` or a local name, the shard count (on-demand → `onDemandShardCount`). */
export function planStreams(
  template: CfnTemplate,
  naming: { readonly stackName: string; readonly suffix?: string },
  onDemandShardCount: number,
): StreamPlan[] {
  return resourcesOfType(template, RESOURCE_TYPES.stream).map(([logicalId, resource]) => {
    const details = resource.Properties?.StreamModeDetails as { StreamMode?: unknown } | undefined;
    const mode = details?.StreamMode === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
    const named = literalProperty(logicalId, resource, 'Name', '');
    return {
      logicalId,
      name: named !== '' ? named : localName('stream', naming.stackName, logicalId, naming.suffix),
      mode,
      shardCount:
        mode === 'ON_DEMAND'
          ? onDemandShardCount
          : literalProperty(logicalId, resource, 'ShardCount', DEFAULT_SHARD_COUNT),
    };
  });
}

/**
 * Creates the stream (an existing one of that name is reused) and waits until it is ACTIVE.
 * Encryption and retention are not emulated; the ARN is the one the emulator reports.
 */
export async function createStream(client: KinesisClient, plan: StreamPlan): Promise<LocalStream> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: plan.name, ShardCount: plan.shardCount }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException')
      throw new ResourceCreationError('Kinesis stream', plan.name, error);
  }
  const started = performance.now();
  for (;;) {
    const { StreamDescriptionSummary: summary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: plan.name }),
    );
    if (summary?.StreamStatus === 'ACTIVE' && summary.StreamARN !== undefined) {
      return { ...plan, arn: summary.StreamARN, shardCount: summary.OpenShardCount ?? plan.shardCount };
    }
    if (performance.now() - started > ACTIVE_TIMEOUT_MS) {
      throw new ResourceCreationError(
        'Kinesis stream',
        plan.name,
        new Error(`still ${summary?.StreamStatus ?? 'unknown'} after ${ACTIVE_TIMEOUT_MS} ms`),
      );
    }
    await sleep(ACTIVE_POLL_MS);
  }
}
