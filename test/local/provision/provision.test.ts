import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { Stack } from 'aws-cdk-lib';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateTableDefinition } from '../../../engine/aws/dynamodb/table-layout.js';
import { StateTable, StreamingQuery } from '../../../infra/streaming-query.js';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';
import {
  type CfnTemplate,
  DEFAULT_PROJECT_ROOT,
  MissingFunctionMetadataError,
  type Provisioned,
  provisionTemplate,
  synthesizeStack,
  UnresolvableValueError,
  UnsupportedPropertyError,
} from '../../../local/provision/index.js';

/** Two queries sharing one state table; one on an on-demand stream. */
const build = (app: import('aws-cdk-lib').App) => {
  const stack = new Stack(app, 'Shop');
  const table = new StateTable(stack, 'Shared').table;
  new StreamingQuery(stack, 'Views', { queryName: 'page-views', shardCount: 3, table });
  new StreamingQuery(stack, 'Orders', {
    queryName: 'orders',
    streamMode: StreamMode.ON_DEMAND,
    table,
    prefix: 'shop/out',
  });
  return stack;
};

describe('provisioning a synthesized template on the emulators', () => {
  let aws: Emulators;
  let provisioned: Provisioned;
  let template: CfnTemplate;
  beforeAll(async () => {
    aws = await startEmulators({ backend: 'emulators' });
    const synthesized = await synthesizeStack(build);
    template = synthesized.template;
    provisioned = await provisionTemplate({ template, stackName: synthesized.stackName, emulators: aws });
    console.info(
      `synth ${synthesized.synthMs.toFixed(0)} ms, provision ${provisioned.provisionMs.toFixed(0)} ms`,
    );
  });
  afterAll(() => aws?.stop());

  it('creates each stream with its shard count, an on-demand one with the fixed local count', async () => {
    const views = provisioned.queries['page-views']!;
    const orders = provisioned.queries.orders!;
    const count = async (stream: string) =>
      (await aws.clients.kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards!.length;
    expect([views.shardCount, await count(views.stream)]).toEqual([3, 3]);
    expect([orders.shardCount, await count(orders.stream)]).toEqual([4, 4]);
    expect(
      Object.values(provisioned.streams)
        .map((s) => s.mode)
        .sort(),
    ).toEqual(['ON_DEMAND', 'PROVISIONED']);
  });

  it('creates the table with the key schema, attributes and local secondary index of the template', async () => {
    const tables = Object.entries(template.Resources!).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1); // the shared one
    const [logicalId, resource] = tables[0] as [string, { Properties: Record<string, any> }];
    const { Table } = await aws.clients.dynamodb.send(
      new DescribeTableCommand({ TableName: provisioned.tables[logicalId]!.name }),
    );
    const sortByName = <T extends { AttributeName?: string }>(list: T[]) =>
      [...list].sort((a, b) => a.AttributeName!.localeCompare(b.AttributeName!));
    expect(sortByName(Table!.AttributeDefinitions!)).toEqual(
      sortByName(resource.Properties.AttributeDefinitions),
    );
    expect(Table!.KeySchema).toEqual(resource.Properties.KeySchema);
    expect(
      Table!.LocalSecondaryIndexes!.map(({ IndexName, KeySchema, Projection }) => ({
        IndexName,
        KeySchema,
        Projection,
      })),
    ).toEqual(resource.Properties.LocalSecondaryIndexes);
    expect(Table!.LocalSecondaryIndexes!.map((index) => index.IndexName)).toEqual(
      stateTableDefinition('x').LocalSecondaryIndexes!.map((index) => index.IndexName),
    );
    expect(Table!.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
  });

  it('creates the buckets and resolves each function environment to the local names', async () => {
    const views = provisioned.queries['page-views']!;
    const orders = provisioned.queries.orders!;
    await aws.clients.s3.send(new HeadBucketCommand({ Bucket: views.bucket }));
    expect(views.table).toBe(orders.table); // the shared table
    expect(orders.prefix).toBe('shop/out');
    const fn = provisioned.functions[views.queryFunction]!;
    expect(fn).toMatchObject({
      entry: `${DEFAULT_PROJECT_ROOT}functions/page-views.ts`,
      exportName: 'handler',
      query: 'page-views',
      role: 'query',
      timeoutMs: 300_000,
      memoryMb: 1024,
      runtime: 'nodejs22.x',
    });
    expect(fn.environment).toMatchObject({
      SLUICE_TABLE: views.table,
      SLUICE_BUCKET: views.bucket,
      SLUICE_PREFIX: 'sluice',
    });
    const heartbeat = provisioned.functions[views.heartbeatFunction!]!;
    expect(heartbeat).toMatchObject({
      role: 'heartbeat',
      query: 'page-views',
      entry: `${DEFAULT_PROJECT_ROOT}functions/heartbeat.ts`,
    });
    expect(heartbeat.environment).toMatchObject({
      SLUICE_STREAM: views.stream,
      SLUICE_TABLE: views.table,
      SLUICE_QUERY: 'page-views',
    });
    expect(fn.roleArn).toMatch(/^arn:aws:iam::000000000000:role\/Shop-ViewsQueryFunctionRole/);
  });

  it('reads the event source mappings and the heartbeat schedule from the template', () => {
    const mapping = provisioned.eventSourceMappings.find(
      (m) => m.functionLogicalId === provisioned.queries['page-views']!.queryFunction,
    )!;
    expect(mapping).toMatchObject({
      streamName: provisioned.queries['page-views']!.stream,
      batchSize: 500,
      maxBatchingWindowMs: 1000,
      startingPosition: 'TRIM_HORIZON',
      maxRetryAttempts: 500,
      maxRecordAgeMs: 86_400_000,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      enabled: true,
    });
    expect(mapping.onFailureDestination).toMatch(
      /^arn:aws:sqs:us-east-1:000000000000:Shop-ViewsFailedBatches/,
    );
    expect(provisioned.schedules.map((s) => [s.expression, s.rateMs, s.functionLogicalIds.length])).toEqual([
      ['rate(1 minute)', 60_000, 1],
      ['rate(1 minute)', 60_000, 1],
    ]);
  });

  it('reuses what already exists when provisioned again', async () => {
    const again = await provisionTemplate({ template, stackName: 'Shop', emulators: aws });
    expect(again.queries).toEqual(provisioned.queries);
  });
});

describe('templates the local runner cannot run', () => {
  const emulators = { clients: {} as Emulators['clients'], region: 'us-east-1' };
  const stream = { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } };
  const fn = (metadata: Record<string, unknown>, environment: Record<string, unknown> = {}) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      Handler: 'index.handler',
      Role: 'arn:aws:iam::1:role/r',
      Environment: { Variables: environment },
    },
    Metadata: metadata,
  });
  const mapping = (properties: Record<string, unknown> = {}) => ({
    Type: 'AWS::Lambda::EventSourceMapping',
    Properties: {
      EventSourceArn: { 'Fn::GetAtt': ['S', 'Arn'] },
      FunctionName: { Ref: 'F' },
      StartingPosition: 'LATEST',
      ...properties,
    },
  });
  // No emulator calls happen before the checks fail: the template has no resources to create but the stream.
  const provision = (resources: Record<string, unknown>) => {
    const clients = {
      kinesis: {
        send: async (command: { constructor: { name: string } }) =>
          command.constructor.name === 'CreateStreamCommand'
            ? {}
            : {
                StreamDescriptionSummary: {
                  StreamStatus: 'ACTIVE',
                  StreamARN: 'arn:aws:kinesis:us-east-1:0:stream/s',
                  OpenShardCount: 1,
                },
              },
      },
    } as unknown as Emulators['clients'];
    return provisionTemplate({
      template: { Resources: resources as CfnTemplate['Resources'] },
      stackName: 'T',
      emulators: { ...emulators, clients },
    });
  };

  it('refuses a parallelization factor above 1, saying why', async () => {
    const error = await provision({
      S: stream,
      F: fn({ 'sluice:entry': 'functions/orders.ts' }),
      M: mapping({ ParallelizationFactor: 2 }),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedPropertyError);
    expect(error.message).toMatch(/M\.ParallelizationFactor = 2 .*one invocation per shard/);
  });

  it('asks for sluice:entry metadata on a mapped function', async () => {
    const error = await provision({ S: stream, F: fn({}), M: mapping() }).catch((e) => e);
    expect(error).toBeInstanceOf(MissingFunctionMetadataError);
    expect(error.message).toMatch(/Function F has no 'sluice:entry' metadata/);
  });

  it('names an environment value it cannot resolve', async () => {
    const error = await provision({
      S: stream,
      F: fn({ 'sluice:entry': 'functions/orders.ts' }, { OTHER: { 'Fn::ImportValue': 'SharedTable' } }),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UnresolvableValueError);
    expect(error.message).toMatch(/F\.Environment\.Variables\.OTHER .*Fn::ImportValue is not supported/);
  });

  it('refuses a rule with a cron schedule on a function, and a mapping without literal settings', async () => {
    const rule = {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'cron(0 * * * ? *)',
        Targets: [{ Arn: { 'Fn::GetAtt': ['F', 'Arn'] } }],
      },
    };
    await expect(provision({ S: stream, F: fn({ 'sluice:entry': 'x.ts' }), R: rule })).rejects.toThrow(
      /rate\(N minutes\|hours\|days\)/,
    );
    await expect(
      provision({ S: stream, F: fn({ 'sluice:entry': 'x.ts' }), M: mapping({ BatchSize: { Ref: 'Size' } }) }),
    ).rejects.toThrow(/M\.BatchSize .*literal number/);
  });
});
