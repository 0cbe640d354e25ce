import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Stream, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateTableDefinition } from '../../engine/aws/dynamodb/table-layout.js';
import { actionsOf, ESM, FUNCTION, newStack, POLICY, pageViews, resource, templateOf } from './synth.js';

// Each prop of StreamingQuery, as it shows up in the synthesized template. Refusals and least
// privilege: streaming-query-guards.test.ts; cdk-nag and bundling: streaming-query-nag.test.ts.

describe('StreamingQuery with default props', () => {
  let template: Template;
  beforeAll(() => {
    template = templateOf((stack) => pageViews(stack));
  });

  it('reads the stream with one invocation per shard, partial batch responses, bisect and an on-failure queue', () => {
    const [queueId] = resource(template, 'AWS::SQS::Queue');
    const [streamId] = resource(template, 'AWS::Kinesis::Stream');
    template.hasResourceProperties(ESM, {
      EventSourceArn: { 'Fn::GetAtt': [streamId, 'Arn'] },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      StartingPosition: 'TRIM_HORIZON',
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 500,
      MaximumRecordAgeInSeconds: 86_400,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('makes the on-failure queue encrypted and TLS-only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('creates a provisioned one-shard stream encrypted with the AWS-managed KMS key', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  it('runs the query file on nodejs22.x arm64 with the environment functions/config.ts reads', () => {
    const [tableId] = resource(template, 'AWS::DynamoDB::Table');
    const [bucketId] = resource(template, 'AWS::S3::Bucket');
    template.hasResourceProperties(FUNCTION, {
      Description: 'sluice streaming query page-views',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 300,
      Environment: {
        Variables: {
          SLUICE_TABLE: { Ref: tableId },
          SLUICE_BUCKET: { Ref: bucketId },
          SLUICE_PREFIX: 'sluice',
          SLUICE_LATE_ROWS: 'on',
          POWERTOOLS_SERVICE_NAME: 'page-views',
          POWERTOOLS_METRICS_NAMESPACE: 'sluice',
          NODE_OPTIONS: '--enable-source-maps',
          SLUICE_RESERVE_MS: Match.absent(),
        },
      },
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('names the run by the code asset: a deployment of new code restarts the inputs’ watermarks (SLUICE_RUN_ID)', () => {
    const functions = Object.values(template.findResources(FUNCTION)).filter((fn) =>
      String(fn.Properties?.Description).startsWith('sluice streaming query'),
    );
    expect(functions).toHaveLength(1);
    const { Code, Environment } = functions[0]!.Properties as {
      Code: { S3Key: string };
      Environment: { Variables: Record<string, unknown> };
    };
    const runId = Environment.Variables.SLUICE_RUN_ID;
    expect(runId).toMatch(/^[0-9a-f]{64}$/);
    expect(Code.S3Key).toBe(`${runId as string}.zip`);
    // The heartbeat function runs no query: no run.
    const heartbeat = Object.values(template.findResources(FUNCTION)).filter(
      (fn) => fn.Properties?.Environment?.Variables?.SLUICE_RUN_ID === undefined,
    );
    expect(heartbeat.length).toBeGreaterThan(0);
  });

  it("declares the table exactly as the engine's stateTableDefinition, on-demand, with PITR, SSE and TTL", () => {
    const definition = stateTableDefinition('unused');
    const [, table] = resource(template, 'AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: definition.KeySchema,
      LocalSecondaryIndexes: definition.LocalSecondaryIndexes,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(new Set(table.Properties!.AttributeDefinitions)).toEqual(new Set(definition.AttributeDefinitions));
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('creates an encrypted, private, TLS-only, unversioned bucket that expires dead letters and progress', () => {
    const [bucketId, bucket] = resource(template, 'AWS::S3::Bucket');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(bucket.Properties!.VersioningConfiguration).toBeUndefined();
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties!.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Prefix: 'sluice/page-views/_dead/',
        ExpirationInDays: 30,
        Status: 'Enabled',
      }),
      expect.objectContaining({
        Prefix: 'sluice/page-views/_late/',
        ExpirationInDays: 30,
        Status: 'Enabled',
      }),
      expect.objectContaining({
        Prefix: 'sluice/page-views/_progress/',
        ExpirationInDays: 7,
        Status: 'Enabled',
      }),
      // S3 state: what the store deleted goes for good; current state objects never expire.
      {
        Id: 'page-views-state-superseded',
        Prefix: 'sluice/page-views/_state/',
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        ExpiredObjectDeleteMarker: true,
        Status: 'Enabled',
      },
      expect.objectContaining({
        Prefix: 'sluice/page-views/',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    ]);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('alarms on failed batch attempts, a stuck shard, late rows and input gaps, on the metrics the handler publishes', () => {
    const dimensions = [
      { Name: 'query', Value: 'page-views' },
      { Name: 'service', Value: 'page-views' },
    ];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BatchFailures',
      Namespace: 'sluice',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StalledInvocations',
      Namespace: 'sluice',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'LateInputRows',
      Namespace: 'sluice',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GapRecords',
      Namespace: 'sluice',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on iterator age, errors, dead letters (DeadLetters by query) and failed batches', () => {
    const [functionId] = resource(template, FUNCTION, 'PageViewsQueryFunction');
    const [queueId] = resource(template, 'AWS::SQS::Queue');
    // 8, plus the state-memory alarm of S3 state (test/infra/streaming-query-state-memory.test.ts).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Period: 300,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeadLetters',
      Namespace: 'sluice',
      // Powertools publishes with the service dimension next to the handler's query dimension.
      Dimensions: [
        { Name: 'query', Value: 'page-views' },
        { Name: 'service', Value: 'page-views' },
      ],
      Statistic: 'Sum',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('ticks every minute: a rule invokes the heartbeat function, which puts records and never invokes the query', () => {
    const [heartbeatId] = resource(template, FUNCTION, 'PageViewsHeartbeatFunction');
    const [streamId] = resource(template, 'AWS::Kinesis::Stream');
    const [tableId] = resource(template, 'AWS::DynamoDB::Table');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [heartbeatId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    template.hasResourceProperties(FUNCTION, {
      Description: 'sluice heartbeat ticker of query page-views',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          SLUICE_STREAM: { Ref: streamId },
          SLUICE_TABLE: { Ref: tableId },
          SLUICE_QUERY: 'page-views',
          SLUICE_QUIET_MS: '60000',
        }),
      },
    });
    const [, heartbeatPolicy] = resource(template, POLICY, 'PageViewsHeartbeatFunctionRole');
    expect(actionsOf(heartbeatPolicy).sort()).toEqual(
      [
        'dynamodb:Query',
        'kinesis:ListShards',
        'kinesis:PutRecords',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ].sort(),
    );
    template.hasResourceProperties(POLICY, {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'dynamodb:Query',
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['C#page-views'] } },
          }),
        ]),
      },
    });
    // Nothing in the stack may invoke the query function except its event source mapping.
    for (const [, policy] of Object.entries(template.findResources(POLICY)))
      expect(actionsOf(policy as never)).not.toContain('lambda:InvokeFunction');
    template.resourceCountIs('AWS::Lambda::Permission', 1); // EventBridge → heartbeat function only
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [heartbeatId, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('gives the functions roles without managed policies', () => {
    for (const [, role] of Object.entries(template.findResources('AWS::IAM::Role')))
      expect((role as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('creates no Glue table unless asked', () => {
    template.resourceCountIs('AWS::Glue::Table', 0);
  });
});

describe('StreamingQuery props', () => {
  it('shows every event-source, function, stream, bucket, alarm and schedule prop in the template', () => {
    const template = templateOf((stack) =>
      pageViews(stack, {
        handler: 'main',
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        startingPosition: StartingPosition.LATEST,
        parallelizationFactor: 1,
        retryAttempts: 3,
        maxRecordAge: Duration.hours(2),
        bisectBatchOnError: false,
        memorySize: 2048,
        timeout: Duration.minutes(2),
        commitReserve: Duration.seconds(20),
        maxRecordsPerBatch: 250,
        environment: { EXTRA: 'yes' },
        streamMode: StreamMode.ON_DEMAND,
        streamRetention: Duration.hours(48),
        prefix: 'out/v1',
        versioned: true,
        removalPolicy: RemovalPolicy.DESTROY,
        deadLetterExpiration: Duration.days(3),
        lateRowsExpiration: Duration.days(4),
        lateRows: false,
        gapCheck: false,
        progressExpiration: Duration.days(2),
        metricsNamespace: 'analytics',
        alarms: {
          iteratorAge: Duration.minutes(1),
          errors: 5,
          deadLetters: 10,
          period: Duration.minutes(1),
          batchFailures: 2,
          stuckShardPeriods: 4,
          lateRows: 50,
          gapRecords: 20,
        },
        heartbeatRate: Duration.minutes(5),
      }),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BatchFailures',
      Threshold: 2,
      Period: 60,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StalledInvocations',
      EvaluationPeriods: 4,
      DatapointsToAlarm: 4,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'LateInputRows',
      Threshold: 50,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'GapRecords', Threshold: 20 });
    template.hasResourceProperties(ESM, {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      StartingPosition: 'LATEST',
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 7200,
      BisectBatchOnFunctionError: false,
    });
    template.hasResourceProperties(FUNCTION, {
      Handler: 'index.main',
      MemorySize: 2048,
      Timeout: 120,
      Environment: {
        Variables: Match.objectLike({
          EXTRA: 'yes',
          SLUICE_PREFIX: 'out/v1',
          SLUICE_RESERVE_MS: '20000',
          SLUICE_MAX_RECORDS_PER_BATCH: '250',
          SLUICE_LATE_ROWS: 'off',
          SLUICE_GAP_CHECK: 'off',
          POWERTOOLS_METRICS_NAMESPACE: 'analytics',
        }),
      },
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
      RetentionPeriodHours: 48,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    const [, bucket] = resource(template, 'AWS::S3::Bucket');
    expect(bucket.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.DeletionPolicy).toBe('Delete');
    expect(bucket.Properties!.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'out/v1/page-views/_dead/', ExpirationInDays: 3 }),
        expect.objectContaining({ Prefix: 'out/v1/page-views/_late/', ExpirationInDays: 4 }),
        expect.objectContaining({ Prefix: 'out/v1/page-views/_progress/', ExpirationInDays: 2 }),
      ]),
    );
    expect(resource(template, 'AWS::DynamoDB::Table')[1].DeletionPolicy).toBe('Delete');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 60_000,
      Period: 300,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Threshold: 5,
      Period: 60,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeadLetters',
      Namespace: 'analytics',
      Threshold: 10,
      Period: 60,
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties(FUNCTION, {
      Environment: { Variables: Match.objectLike({ SLUICE_QUIET_MS: '300000' }) },
    });
    template.hasResourceProperties(POLICY, {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ListOwnOutputPrefix',
            Condition: { StringLike: { 's3:prefix': ['out/v1/page-views/*'] } },
          }),
        ]),
      },
    });
  });

  it('provisions the shard count it is given', () => {
    templateOf((stack) => pageViews(stack, { shardCount: 4 })).hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 4,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
  });

  it('reads an existing stream instead of creating one', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:111111111111:stream/existing';
    const template = templateOf((stack) =>
      pageViews(stack, { stream: Stream.fromStreamArn(stack, 'Existing', arn) }),
    );
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.hasResourceProperties(ESM, { EventSourceArn: arn, ParallelizationFactor: 1 });
  });

  it('warns that an imported bucket keeps its own lifecycle, and still scopes access to the prefix', () => {
    const { stack } = newStack();
    const query = pageViews(stack, { bucket: Bucket.fromBucketName(stack, 'Imported', 'team-bucket') });
    Annotations.fromStack(stack).hasWarning(
      `/${query.node.path}`,
      Match.stringLikeRegexp('expire sluice/page-views/_dead/, sluice/page-views/_late/'),
    );
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties(POLICY, {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'OwnOutputObjects',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-bucket/sluice/page-views/*']],
            },
          }),
        ]),
      },
    });
  });

  it('adds a Glue database and table over PREFIX/QUERY/data/ for Athena', () => {
    const template = templateOf((stack) =>
      pageViews(stack, {
        glue: {
          database: 'analytics',
          columns: [
            { name: 'window', type: 'struct<start:timestamp,end:timestamp>' },
            { name: 'page', type: 'string' },
            { name: 'views', type: 'bigint' },
          ],
          partitionKeys: [{ name: 'country', type: 'string' }],
        },
      }),
    );
    const [bucketId] = resource(template, 'AWS::S3::Bucket');
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'analytics' } });
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'analytics',
      TableInput: Match.objectLike({
        Name: 'page_views',
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: 'country', Type: 'string' }],
        StorageDescriptor: Match.objectLike({
          Location: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/sluice/page-views/data/']] },
          Columns: [
            { Name: 'window', Type: 'struct<start:timestamp,end:timestamp>' },
            { Name: 'page', Type: 'string' },
            { Name: 'views', Type: 'bigint' },
          ],
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        }),
      }),
    });

    const shared = templateOf((stack) =>
      pageViews(stack, {
        glue: {
          database: 'analytics',
          createDatabase: false,
          format: 'jsonl',
          columns: [{ name: 'page', type: 'string' }],
        },
      }),
    );
    shared.resourceCountIs('AWS::Glue::Database', 0);
    shared.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        StorageDescriptor: Match.objectLike({
          SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        }),
      }),
    });
  });
});
