// A CDK stack of small probe functions, one Kinesis stream and event source mapping per runner
// scenario, plus a scheduled probe: the runner tests provision it once and run every scenario.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type App, Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import {
  type CfnFunction,
  Code,
  EventSourceMapping,
  type EventSourceMappingOptions,
  Function as LambdaFn,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
export const ESM_PROBE = fixture('esm-probe.ts');
export const TICK_PROBE = fixture('tick-probe.ts');

/** One scenario: a stream, a probe function and the mapping between them. */
export interface Scenario {
  readonly shards?: number;
  /** Function timeout. @default 30 s */
  readonly timeout?: Duration;
  readonly mapping: Omit<EventSourceMappingOptions, 'eventSourceArn'>;
  /** Give the mapping an SQS on-failure destination. */
  readonly onFailureQueue?: boolean;
}

/** A function of the test stack that runs `entry` locally (what the StreamingQuery construct marks). */
export function probeFunction(
  stack: Stack,
  id: string,
  entry: string,
  environment: Record<string, string>,
  timeout = Duration.seconds(30),
): LambdaFn {
  const fn = new LambdaFn(stack, id, {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {};'),
    timeout,
    environment,
  });
  (fn.node.defaultChild as CfnFunction).addMetadata('sluice:entry', entry);
  return fn;
}

/** The probe stack: scenario `X` has stream `XStream`, function `XFunction` logging to `logDir/X.jsonl`. */
export function probeStack(app: App, logDir: string, scenarios: Readonly<Record<string, Scenario>>): Stack {
  const stack = new Stack(app, 'Probes');
  for (const [id, scenario] of Object.entries(scenarios)) {
    const stream = new Stream(stack, `${id}Stream`, { shardCount: scenario.shards ?? 1 });
    const fn = probeFunction(
      stack,
      `${id}Function`,
      ESM_PROBE,
      { PROBE_LOG: join(logDir, `${id}.jsonl`), PROBE_TAG: id },
      scenario.timeout,
    );
    new EventSourceMapping(stack, `${id}Mapping`, {
      target: fn,
      eventSourceArn: stream.streamArn,
      ...scenario.mapping,
      ...(scenario.onFailureQueue ? { onFailure: new SqsDlq(new Queue(stack, `${id}Failed`)) } : {}),
    });
    stream.grantRead(fn);
  }
  const ticker = probeFunction(stack, 'TickFunction', TICK_PROBE, { PROBE_LOG: join(logDir, 'Tick.jsonl') });
  new Rule(stack, 'TickRule', {
    schedule: Schedule.rate(Duration.minutes(1)),
    targets: [new LambdaFunction(ticker)],
  });
  return stack;
}

/** A logged invocation of the probe: its start line merged with its end line (absent if it never ended). */
export interface ProbeCall {
  readonly instance: string;
  readonly requestId: string;
  readonly shard: string;
  readonly seqs: string[];
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly remainingAtStart: number;
  readonly remainingAtEnd?: number;
  readonly first: Record<string, any>;
  readonly functionName: string;
  readonly tag?: string;
  readonly parentOnly?: string;
}

/** The probe's invocations in the order they started. */
export function probeCalls(logDir: string, id: string): ProbeCall[] {
  const file = join(logDir, `${id}.jsonl`);
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
  const ends = new Map(lines.filter((l) => l.phase === 'end').map((l) => [l.requestId as string, l]));
  return lines
    .filter((line) => line.phase === 'start')
    .map((start) => ({ ...start, ...ends.get(start.requestId) }) as ProbeCall);
}

/** Lines the tick probe logged. */
export function tickEvents(logDir: string): { at: number; event: Record<string, any> }[] {
  const file = join(logDir, 'Tick.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** Hash keys at the low and high end of the key space: shard 0 and the last shard of a fresh stream. */
export const LOW_HASH_KEY = '0';
export const HIGH_HASH_KEY = ((1n << 128n) - 1n).toString();

/** Puts payloads (as JSON) in one PutRecords call and returns their sequence numbers, in order. */
export async function put(
  client: KinesisClient,
  stream: string,
  payloads: readonly object[],
  hashKey: string = LOW_HASH_KEY,
): Promise<string[]> {
  const response = await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: payloads.map((payload) => ({
        Data: Buffer.from(JSON.stringify(payload)),
        PartitionKey: 'pk',
        ExplicitHashKey: hashKey,
      })),
    }),
  );
  if (response.FailedRecordCount) throw new Error(`${response.FailedRecordCount} records failed`);
  return response.Records!.map((record) => record.SequenceNumber!);
}
