/**
 * The CDK stack of the end-to-end benchmark, provisioned on the emulators and run by the local
 * event-source-mapping runner: the sluice query as a `StreamingQuery` (its own stream, table,
 * bucket), and the naive handler as a plain function with its own stream, table (`pk` + `sk`,
 * no index), bucket and Kinesis event source mapping. Both mappings use the same batch size and
 * batching window, so both functions see the same batches.
 */
import { fileURLToPath } from 'node:url';
import { type App, Duration, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import {
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  Runtime,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { FUNCTION_METADATA } from '../../infra/streaming-query/lambda.js';
import { StreamingQuery } from '../../infra/streaming-query.js';
import { E2E_QUERY_NAME } from './workload.js';

export interface BenchStackProps {
  readonly shards: number;
  /** Records per invocation, both mappings. */
  readonly batchSize: number;
  /** Lambda memory of both functions. */
  readonly memoryMb: number;
}

const entry = (file: string) => fileURLToPath(new URL(`../functions/${file}`, import.meta.url));
const BATCHING_WINDOW = Duration.seconds(1);

export function benchStack(app: App, id: string, props: BenchStackProps): Stack {
  const stack = new Stack(app, id);
  new StreamingQuery(stack, 'Sluice', {
    queryName: E2E_QUERY_NAME,
    entry: entry('sluice.ts'),
    shardCount: props.shards,
    batchSize: props.batchSize,
    maxBatchingWindow: BATCHING_WINDOW,
    memorySize: props.memoryMb,
  });

  const stream = new Stream(stack, 'NaiveStream', { shardCount: props.shards });
  const table = new Table(stack, 'NaiveCounts', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.NUMBER },
    billingMode: BillingMode.PAY_PER_REQUEST,
  });
  const bucket = new Bucket(stack, 'NaiveOutput');
  const fn = new LambdaFunction(stack, 'NaiveFunction', {
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    handler: 'index.handler',
    code: Code.fromInline('// bundled from bench/functions/naive.ts'),
    memorySize: props.memoryMb,
    timeout: Duration.minutes(5),
    environment: { NAIVE_TABLE: table.tableName, NAIVE_BUCKET: bucket.bucketName },
  });
  (fn.node.defaultChild as CfnFunction).addMetadata(FUNCTION_METADATA.entry, entry('naive.ts'));
  table.grantReadWriteData(fn);
  bucket.grantPut(fn);
  fn.addEventSource(
    new KinesisEventSource(stream, {
      batchSize: props.batchSize,
      maxBatchingWindow: BATCHING_WINDOW,
      startingPosition: StartingPosition.TRIM_HORIZON,
      parallelizationFactor: 1,
    }),
  );
  return stack;
}
