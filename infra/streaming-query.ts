import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { type IStream, Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { MetricType } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENVIRONMENT_VARIABLES } from '../functions/config.js';
import { createAlarms } from './streaming-query/alarms.js';
import { createDashboard, dashboardName } from './streaming-query/dashboard.js';
import * as defaults from './streaming-query/defaults.js';
import {
  createExchangeStream,
  createStageTwo,
  DEFAULT_EXCHANGE_SHARD_COUNT,
  needsExchange,
  stageOneName,
  stageOneNames,
} from './streaming-query/exchange.js';
import { createGlueTable, type QueryGlueTable } from './streaming-query/glue.js';
import { resolveGlueColumns } from './streaming-query/glue-columns.js';
import { grantQueryFunction } from './streaming-query/grants.js';
import { createHeartbeat } from './streaming-query/heartbeat.js';
import { createSluiceFunction } from './streaming-query/lambda.js';
import { addLifecycleRules } from './streaming-query/lifecycle.js';
import { ACKNOWLEDGED_FINDINGS, acknowledge } from './streaming-query/nag.js';
import { OutputBucket } from './streaming-query/output-bucket.js';
import { claimBucketPrefix } from './streaming-query/prefix-overlap.js';
import type { StreamingQueryProps } from './streaming-query/props.js';
import { StateTable } from './streaming-query/state-table.js';
import { validateProps } from './streaming-query/validate.js';

export { StreamingQueryPropsError } from './streaming-query/errors.js';
export { OutputBucket, type OutputBucketProps } from './streaming-query/output-bucket.js';
export type {
  GlueColumn,
  GlueTableOptions,
  StreamingQueryAlarmProps,
  StreamingQueryProps,
} from './streaming-query/props.js';
export { StateTable, type StateTableProps } from './streaming-query/state-table.js';

/** The failure destination keeps descriptions of skipped batches for SQS's maximum. */
const FAILURE_QUEUE_RETENTION = Duration.days(14);

/**
 * One sluice streaming query, deployed: a Kinesis stream feeding a Lambda function (one micro-batch
 * per invocation, one invocation per shard at a time), state and checkpoints in DynamoDB, outputs in
 * S3 under `PREFIX/QUERY/`, alarms, and a heartbeat tick that keeps quiet shards moving.
 *
 * Built in the order the pieces depend on each other: check props → stream → storage → function →
 * grants → event source → lifecycle → alarms → heartbeat → Glue. Every prop has a safe default; a
 * prop that would break the engine's contract (e.g. a parallelization factor above 1) is refused at
 * synth time with a {@link StreamingQueryPropsError}.
 *
 * @example
 * const query = new StreamingQuery(stack, 'PageViews', { queryName: 'page-views', shardCount: 2 });
 * query.deadLettersAlarm.addAlarmAction(new SnsAction(topic));
 */
export class StreamingQuery extends Construct {
  readonly queryName: string;
  /** The S3 key prefix of this query's outputs: `PREFIX/QUERY`. */
  readonly keyPrefix: string;
  readonly stream: IStream;
  readonly table: ITable;
  readonly bucket: IBucket;
  readonly queryFunction: NodejsFunction;
  readonly queryFunctionRole: Role;
  readonly queryFunctionLogGroup: LogGroup;
  readonly eventSource: KinesisEventSource;
  /** One event source mapping per source stream (`eventSource` first; more with `sourceStreams`). */
  readonly sourceEventSources: readonly KinesisEventSource[];
  /** Where the event source sends descriptions of batches it gave up on. */
  readonly failureQueue: Queue;
  readonly iteratorAgeAlarm: Alarm;
  readonly errorsAlarm: Alarm;
  readonly deadLettersAlarm: Alarm;
  readonly failedBatchesAlarm: Alarm;
  /** A batch failed and is being retried (the handler's `BatchFailures`). */
  readonly batchFailuresAlarm: Alarm;
  /** A shard committed nothing while records waited, several periods in a row. */
  readonly stuckShardAlarm: Alarm;
  /** Rows were dropped as late by the watermark. */
  readonly lateRowsAlarm: Alarm;
  /** Records the event source mapping never delivered were found after the committed position (`GapRecords`). */
  readonly inputGapAlarm: Alarm;
  /** With S3 state: a shard's state nears the memory it may use (`stateMemoryFraction`). */
  readonly stateMemoryAlarm: Alarm | undefined;
  readonly heartbeatFunction: NodejsFunction;
  readonly heartbeatRule: Rule;
  /**
   * Every heartbeat ticker, one per source stream: a query joining two streams needs both kept
   * moving, or stage 2's watermark (the minimum over its inputs) would wait on a quiet stream.
   * The first is {@link heartbeatFunction}.
   */
  readonly heartbeatFunctions: readonly NodejsFunction[];
  /** Present when `glue` was given. */
  readonly glue?: QueryGlueTable;
  /** The query's CloudWatch dashboard (absent with `dashboard: false`). */
  readonly dashboard?: Dashboard;
  /**
   * A two-stage query (`query` given and its plan has an exchange): the internal stream between
   * the stages, the stage-2 function reading it, its event source and alarms. `queryFunction` is
   * then stage 1.
   */
  readonly exchangeStream?: IStream;
  readonly stageTwoFunction?: NodejsFunction;
  readonly stageTwoEventSource?: KinesisEventSource;
  readonly stageTwoIteratorAgeAlarm?: Alarm;
  readonly stageTwoErrorsAlarm?: Alarm;

  constructor(scope: Construct, id: string, props: StreamingQueryProps) {
    super(scope, id);
    validateProps(props);
    const query = props.queryName;
    // Before any resource: a Glue list that disagrees with the query's output fails synth here.
    const glueColumns =
      props.glue === undefined ? undefined : resolveGlueColumns(query, props.glue, props.query);
    const prefix = props.prefix ?? defaults.DEFAULT_PREFIX;
    const projectRoot = props.projectRoot ?? defaults.DEFAULT_PROJECT_ROOT;
    const logRetention = props.logRetention ?? defaults.DEFAULT_LOG_RETENTION;
    const removalPolicy = props.removalPolicy ?? defaults.DEFAULT_REMOVAL_POLICY;
    const metricsNamespace = props.metricsNamespace ?? defaults.DEFAULT_METRICS_NAMESPACE;
    const heartbeatRate = props.heartbeatRate ?? defaults.DEFAULT_HEARTBEAT_RATE;
    this.queryName = query;
    this.keyPrefix = `${prefix}/${query}`;
    const twoStage = needsExchange(props.query);
    // Stage 1 of a two-stage query checkpoints (and writes progress and dead letters) under its own
    // name; with one stage 1 per source (a join or union of streams), `<query>.stage-1.<source>`.
    const stageOnes = twoStage ? stageOneNames(props.query!) : [];
    const sourceStage = twoStage ? stageOneName(query) : query;
    const stageOneGrant = stageOnes.length > 1 ? `${stageOneName(query)}.*` : sourceStage;

    const sourceStreams = Object.entries(props.sourceStreams ?? {});
    this.stream = props.stream ?? sourceStreams[0]?.[1] ?? this.createStream(props);
    /** Each distinct source stream once, the construct's `stream` first. */
    const streams = [this.stream, ...sourceStreams.map(([, stream]) => stream)].filter(
      (stream, i, all) => all.indexOf(stream) === i,
    );
    this.table = props.table ?? new StateTable(this, 'State', { removalPolicy }).table;
    this.bucket =
      props.bucket ??
      new OutputBucket(this, 'Output', {
        removalPolicy,
        ...(props.versioned === undefined ? {} : { versioned: props.versioned }),
        ...(props.serverAccessLogsBucket === undefined
          ? {}
          : { serverAccessLogsBucket: props.serverAccessLogsBucket }),
      }).bucket;
    claimBucketPrefix(this, { query, bucket: this.bucket, keyPrefix: this.keyPrefix });
    const exchangeStream = twoStage
      ? createExchangeStream(this, {
          shardCount: props.exchangeShardCount ?? DEFAULT_EXCHANGE_SHARD_COUNT,
          retention: props.streamRetention ?? defaults.DEFAULT_STREAM_RETENTION,
          ...(props.exchangeStreamMode === undefined ? {} : { mode: props.exchangeStreamMode }),
        })
      : undefined;

    const powertools = { POWERTOOLS_SERVICE_NAME: query, POWERTOOLS_METRICS_NAMESPACE: metricsNamespace };
    const settings = {
      entry: props.entry ?? join(projectRoot, 'functions', `${query}.ts`),
      handler: props.handler ?? defaults.DEFAULT_HANDLER,
      projectRoot,
      memorySize: props.memorySize ?? defaults.DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? defaults.DEFAULT_TIMEOUT,
      logRetention,
      environment: {
        ...props.environment,
        [ENVIRONMENT_VARIABLES.table]: this.table.tableName,
        [ENVIRONMENT_VARIABLES.bucket]: this.bucket.bucketName,
        [ENVIRONMENT_VARIABLES.prefix]: prefix,
        ...(props.commitReserve === undefined
          ? {}
          : { [ENVIRONMENT_VARIABLES.reserveMs]: String(props.commitReserve.toMilliseconds()) }),
        ...(props.maxRecordsPerBatch === undefined
          ? {}
          : { [ENVIRONMENT_VARIABLES.maxRecordsPerBatch]: String(props.maxRecordsPerBatch) }),
        [ENVIRONMENT_VARIABLES.state]: props.state ?? 's3',
        [ENVIRONMENT_VARIABLES.lateRows]: (props.lateRows ?? true) ? 'on' : 'off',
        ...(exchangeStream === undefined
          ? {}
          : { [ENVIRONMENT_VARIABLES.exchangeStream]: exchangeStream.streamName }),
        ...(sourceStreams.length === 0
          ? {}
          : {
              [ENVIRONMENT_VARIABLES.sourceStreams]: sourceStreams
                .map(([source, stream]) => `${source}=${stream.streamName}`)
                .join(','),
            }),
        ...(props.gapCheck === false ? { [ENVIRONMENT_VARIABLES.gapCheck]: 'off' } : {}),
        [ENVIRONMENT_VARIABLES.stateMemoryFraction]: String(
          props.stateMemoryFraction ?? defaults.DEFAULT_STATE_MEMORY_FRACTION,
        ),
        ...powertools,
      },
    };
    const fn = createSluiceFunction(this, 'QueryFunction', {
      ...settings,
      description: twoStage ? `sluice streaming query ${query}, stage 1` : `sluice streaming query ${query}`,
      sluice: { query, role: 'query' },
    });
    this.queryFunction = fn.fn;
    this.queryFunctionRole = fn.role;
    this.queryFunctionLogGroup = fn.logGroup;
    grantQueryFunction(fn.role, {
      query: stageOneGrant,
      table: this.table,
      bucket: this.bucket,
      keyPrefix: `${prefix}/${stageOneGrant}`,
    });

    this.failureQueue = new Queue(this, 'FailedBatches', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: FAILURE_QUEUE_RETENTION,
    });
    acknowledge(this.failureQueue, 'AwsSolutions-SQS3', ACKNOWLEDGED_FINDINGS.failureQueue);
    const eventSourceProps = {
      batchSize: props.batchSize ?? defaults.DEFAULT_BATCH_SIZE,
      maxBatchingWindow: props.maxBatchingWindow ?? defaults.DEFAULT_MAX_BATCHING_WINDOW,
      startingPosition: props.startingPosition ?? defaults.DEFAULT_STARTING_POSITION,
      parallelizationFactor: defaults.REQUIRED_PARALLELIZATION_FACTOR,
      retryAttempts: props.retryAttempts ?? defaults.DEFAULT_RETRY_ATTEMPTS,
      maxRecordAge: props.maxRecordAge ?? defaults.DEFAULT_MAX_RECORD_AGE,
      bisectBatchOnError: props.bisectBatchOnError ?? defaults.DEFAULT_BISECT_BATCH_ON_ERROR,
      onFailure: new SqsDlq(this.failureQueue),
      reportBatchItemFailures: true,
    };
    this.eventSource = new KinesisEventSource(this.stream, {
      ...eventSourceProps,
      // The mapping's own counts (polled, invoked, failed, dropped events) for the dashboard.
      metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
    });
    fn.fn.addEventSource(this.eventSource);
    // A query reading several streams: one mapping per other stream, the same settings.
    this.sourceEventSources = [
      this.eventSource,
      ...streams.slice(1).map((stream) => {
        const source = new KinesisEventSource(stream, {
          ...eventSourceProps,
          metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
        });
        fn.fn.addEventSource(source);
        return source;
      }),
    ];

    if (exchangeStream !== undefined) {
      const stageTwo = createStageTwo(this, {
        query,
        stream: exchangeStream,
        stageOne: fn,
        fn: settings,
        eventSource: eventSourceProps,
        ...(props.alarms?.iteratorAge === undefined ? {} : { iteratorAge: props.alarms.iteratorAge }),
        ...(props.alarms?.errors === undefined ? {} : { errors: props.alarms.errors }),
        ...(props.alarms?.period === undefined ? {} : { period: props.alarms.period }),
      });
      grantQueryFunction(stageTwo.fn.role, {
        query,
        table: this.table,
        bucket: this.bucket,
        keyPrefix: this.keyPrefix,
      });
      this.exchangeStream = exchangeStream;
      this.stageTwoFunction = stageTwo.fn.fn;
      this.stageTwoEventSource = stageTwo.eventSource;
      this.stageTwoIteratorAgeAlarm = stageTwo.iteratorAgeAlarm;
      this.stageTwoErrorsAlarm = stageTwo.errorsAlarm;
    }

    addLifecycleRules(this, {
      bucket: this.bucket,
      queryName: query,
      keyPrefix: this.keyPrefix,
      props,
      stageOnePrefixes: stageOnes.map((name) => `${prefix}/${name}`),
    });

    const alarms = createAlarms(this, {
      query,
      metricsNamespace,
      fn: fn.fn,
      failureQueue: this.failureQueue,
      tick: heartbeatRate,
      thresholds: props.alarms ?? {},
      // With S3 state, the memory a shard's state may take (the handler's limit).
      ...((props.state ?? 's3') === 's3'
        ? {
            stateMemoryLimitBytes: Math.floor(
              (props.memorySize ?? defaults.DEFAULT_MEMORY_MB) *
                2 ** 20 *
                (props.stateMemoryFraction ?? defaults.DEFAULT_STATE_MEMORY_FRACTION),
            ),
          }
        : {}),
    });
    this.iteratorAgeAlarm = alarms.iteratorAge;
    this.errorsAlarm = alarms.errors;
    this.deadLettersAlarm = alarms.deadLetters;
    this.failedBatchesAlarm = alarms.failedBatches;
    this.batchFailuresAlarm = alarms.batchFailures;
    this.stuckShardAlarm = alarms.stuckShard;
    this.lateRowsAlarm = alarms.lateRows;
    this.inputGapAlarm = alarms.inputGap;
    this.stateMemoryAlarm = alarms.stateMemory;

    if (props.dashboard ?? defaults.DEFAULT_DASHBOARD) {
      this.dashboard = createDashboard(this, {
        name: dashboardName(Stack.of(this).stackName, query),
        query,
        metricsNamespace,
        fn: fn.fn,
        logGroup: fn.logGroup,
        eventSourceMappingId: this.eventSource.eventSourceMappingId,
      });
    }

    // A heartbeat wakes a source stream's quiet shards, whose checkpoints are their stage 1's. With
    // one stage 1 per source (a join or union of streams), each source stream gets its own ticker
    // watching its own stage 1's checkpoints.
    const heartbeatTargets =
      stageOnes.length > 1 && sourceStreams.length > 0
        ? sourceStreams
            .filter(([, stream], i, all) => all.findIndex(([, other]) => other === stream) === i)
            .map(([source, stream]) => ({ query: `${stageOneName(query)}.${source}`, stream }))
        : [{ query: sourceStage, stream: this.stream }];
    const heartbeats = heartbeatTargets.map((target, i) =>
      createHeartbeat(this, {
        ...target,
        ...(i === 0 ? {} : { id: `Heartbeat${i + 1}` }),
        table: this.table,
        rate: heartbeatRate,
        projectRoot,
        logRetention,
        powertools: { ...powertools, POWERTOOLS_SERVICE_NAME: `${query}-heartbeat` },
      }),
    );
    this.heartbeatFunction = heartbeats[0]!.fn;
    this.heartbeatRule = heartbeats[0]!.rule;
    this.heartbeatFunctions = heartbeats.map((heartbeat) => heartbeat.fn);

    if (props.glue !== undefined) {
      this.glue = createGlueTable(this, {
        query,
        bucket: this.bucket,
        keyPrefix: this.keyPrefix,
        options: props.glue,
        resolved: glueColumns!,
      });
    }
  }

  /** A new stream: provisioned (shard count) or on-demand, encrypted with the AWS-managed KMS key. */
  private createStream(props: StreamingQueryProps): Stream {
    const mode = props.streamMode ?? defaults.DEFAULT_STREAM_MODE;
    return new Stream(this, 'Stream', {
      streamMode: mode,
      ...(mode === StreamMode.PROVISIONED
        ? { shardCount: props.shardCount ?? defaults.DEFAULT_SHARD_COUNT }
        : {}),
      retentionPeriod: props.streamRetention ?? defaults.DEFAULT_STREAM_RETENTION,
      encryption: StreamEncryption.MANAGED,
    });
  }
}
