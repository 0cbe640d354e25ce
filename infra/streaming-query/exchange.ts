import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { MetricType } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, type KinesisEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import type { QueryDefinition } from '../../engine/api/writer.js';
import { planStages, stageOnes } from '../../engine/plan/exchange/plan-stages.js';
import {
  DEFAULT_ALARM_PERIOD,
  DEFAULT_ERRORS_THRESHOLD,
  DEFAULT_ITERATOR_AGE_THRESHOLD,
} from './defaults.js';
import { createSluiceFunction, type SluiceFunction } from './lambda.js';

/** Shards of the internal stream when `exchangeShardCount` is unset. */
export const DEFAULT_EXCHANGE_SHARD_COUNT = 2;
/** Stage 1's checkpoint and S3 names: `<query>.stage-1` (as `planStages` names stage 1). */
export const stageOneName = (query: string): string => `${query}.stage-1`;

/** The names of a two-stage query's stage 1s (one, or one per exchanged input of a join or union). */
export function stageOneNames(query: QueryDefinition): string[] {
  return stageOnes(planStages(query)).map((stage) => stage.query.name);
}

/** Whether the query runs as two stages around an exchange (the plan rewrite decides). */
export function needsExchange(query: QueryDefinition | undefined): boolean {
  return query !== undefined && planStages(query).exchange !== undefined;
}

/**
 * The internal stream of a two-stage query, encrypted with the AWS-managed key: provisioned with
 * `shardCount` shards, or on-demand. It can be resharded while the query runs (rows are routed by
 * hash bucket, and a child shard's stage 2 takes over from its parents); a new
 * `exchangeShardCount` updates the stream in place, and on-demand Kinesis reshards it by itself.
 */
export function createExchangeStream(
  scope: Construct,
  props: { readonly shardCount: number; readonly retention: Duration; readonly mode?: StreamMode },
): Stream {
  const mode = props.mode ?? StreamMode.PROVISIONED;
  return new Stream(scope, 'ExchangeStream', {
    streamMode: mode,
    ...(mode === StreamMode.PROVISIONED ? { shardCount: props.shardCount } : {}),
    retentionPeriod: props.retention,
    encryption: StreamEncryption.MANAGED,
  });
}

/** What {@link createStageTwo} builds. */
export interface StageTwoResources {
  readonly fn: SluiceFunction;
  readonly eventSource: KinesisEventSource;
  readonly iteratorAgeAlarm: Alarm;
  readonly errorsAlarm: Alarm;
}

/**
 * Stage 2 of a two-stage query (docs/architecture.md, "Stages and the exchange"): a function built
 * from the same handler file as stage 1 (the handler tells the stages apart by each event's
 * stream), its event source mapping on the internal stream (the query's batching, one invocation
 * per shard), stage 1's right to list the internal shards and put into them, and two alarms.
 */
export function createStageTwo(
  scope: Construct,
  props: {
    readonly query: string;
    readonly stream: Stream;
    readonly stageOne: SluiceFunction;
    /** The function's settings: the query function's (environment included). */
    readonly fn: Omit<Parameters<typeof createSluiceFunction>[2], 'description' | 'sluice'>;
    readonly eventSource: Omit<KinesisEventSourceProps, 'metricsConfig'>;
    readonly iteratorAge?: Duration;
    readonly errors?: number;
    readonly period?: Duration;
  },
): StageTwoResources {
  const { stream } = props;
  // Stage 1 lists the internal shards once per container and puts records by explicit hash key.
  props.stageOne.role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'PutExchangeRecords',
      actions: ['kinesis:ListShards', 'kinesis:PutRecords'],
      resources: [stream.streamArn],
    }),
  );
  const fn = createSluiceFunction(scope, 'StageTwoFunction', {
    ...props.fn,
    description: `sluice streaming query ${props.query}, stage 2 (after the exchange)`,
    sluice: { query: props.query, role: 'query' },
  });
  // Stage 2's reader reads its internal shard itself (GetRecords from its checkpoint).
  stream.grantRead(fn.role);
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ListExchangeShards',
      actions: ['kinesis:ListShards'],
      resources: [stream.streamArn],
    }),
  );
  const eventSource = new KinesisEventSource(stream, {
    ...props.eventSource,
    metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
  });
  fn.fn.addEventSource(eventSource);
  const period = props.period ?? DEFAULT_ALARM_PERIOD;
  const iteratorAge = props.iteratorAge ?? DEFAULT_ITERATOR_AGE_THRESHOLD;
  const iteratorAgeAlarm = new Alarm(scope, 'StageTwoIteratorAgeAlarm', {
    alarmDescription: `${props.query}: stage 2's oldest unprocessed exchange record is older than ${iteratorAge.toMilliseconds()} ms`,
    metric: fn.fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
    threshold: iteratorAge.toMilliseconds(),
    evaluationPeriods: 5,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    // The internal stream is quiet whenever the source is: silence is not a failure here.
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const errorsAlarm = new Alarm(scope, 'StageTwoErrorsAlarm', {
    alarmDescription: `${props.query}: the stage-2 function threw or timed out`,
    metric: fn.fn.metricErrors({ statistic: 'Sum', period }),
    threshold: props.errors ?? DEFAULT_ERRORS_THRESHOLD,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  return { fn, eventSource, iteratorAgeAlarm, errorsAlarm };
}
