import type { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DEFAULT_ALARM_PERIOD,
  DEFAULT_BATCH_FAILURES_THRESHOLD,
  DEFAULT_DEAD_LETTERS_THRESHOLD,
  DEFAULT_ERRORS_THRESHOLD,
  DEFAULT_GAP_RECORDS_THRESHOLD,
  DEFAULT_ITERATOR_AGE_THRESHOLD,
  DEFAULT_LATE_ROWS_THRESHOLD,
  DEFAULT_STATE_MEMORY_ALARM_SHARE,
  DEFAULT_STUCK_SHARD_PERIODS,
} from './defaults.js';
import type { StreamingQueryAlarmProps } from './props.js';

/**
 * Metrics the handler publishes (Powertools EMF), counted per query; the names are those of
 * `engine/aws/lambda/invocation-metrics.ts` (infra does not import the engine).
 */
export const DEAD_LETTERS_METRIC = 'DeadLetters';
export const BATCH_FAILURES_METRIC = 'BatchFailures';
export const STALLED_INVOCATIONS_METRIC = 'StalledInvocations';
/** Input rows dropped as late (what `_late/` holds), not Spark's per-group `RowsDroppedByWatermark`. */
export const LATE_ROWS_METRIC = 'LateInputRows';
export const GAP_RECORDS_METRIC = 'GapRecords';
export const STATE_MEMORY_METRIC = 'StateMemoryBytes';
/**
 * The dimensions of the handler's metrics: Powertools always adds `service` (the query name, as
 * functions/runtime.ts and `POWERTOOLS_SERVICE_NAME` set it) to the handler's `query` dimension, and
 * a CloudWatch metric is identified by its whole dimension set.
 */
export function queryMetricDimensions(query: string): Record<string, string> {
  return { service: query, query };
}

/** How many consecutive heartbeat ticks the iterator-age alarm looks at. */
const ITERATOR_AGE_EVALUATION_PERIODS = 5;

/** The alarms of one query, created by {@link createAlarms}. */
export interface QueryAlarms {
  readonly iteratorAge: Alarm;
  readonly errors: Alarm;
  readonly deadLetters: Alarm;
  readonly failedBatches: Alarm;
  readonly batchFailures: Alarm;
  readonly stuckShard: Alarm;
  readonly lateRows: Alarm;
  readonly inputGap: Alarm;
  /** With S3 state only. */
  readonly stateMemory: Alarm | undefined;
}

/**
 * The query's alarms (no actions: the construct exposes them so the app wires SNS or whatever it
 * uses):
 *
 * - **iterator age** (max per tick, 5 ticks in a row): the query is falling behind. Missing data
 *   breaches, because the heartbeat guarantees an invocation every tick: silence means the event
 *   source mapping stopped.
 * - **errors**: invocations that threw or timed out (the handler returns partial failures as data,
 *   so an error is unexpected).
 * - **dead letters**: records the query could not decode or validate (the handler's `DeadLetters`
 *   metric, dimensions `service` and `query`).
 * - **failed batches**: the event source gave up on records (retries or record age exhausted) and
 *   sent their description to the on-failure queue.
 * - **batch failures**: a batch failed and is being retried (`BatchFailures`; the handler returns
 *   the failure to Lambda as a batch item failure, so Lambda's Errors metric stays at zero).
 * - **stuck shard**: invocations committed nothing while records waited (`StalledInvocations`) in
 *   `stuckShardPeriods` periods in a row: a shard whose committed offset does not move.
 * - **late rows**: input rows dropped by the watermark (`LateInputRows`; with the late-rows side
 *   output they are under `PREFIX/QUERY/_late/`). `RowsDroppedByWatermark` is Spark's figure, which
 *   counts a late group of an aggregation once, so it can stay below the rows lost.
 * - **input gap**: records after the committed position that the event source mapping never
 *   delivered (`GapRecords`: it gave up on them, see the on-failure queue); the function read them
 *   back and processed them, but a gap that reached past retention may have lost records before it.
 * - **state memory** (S3 state): a shard's state in memory (`StateMemoryBytes`, maximum) reached
 *   `stateMemory` (80%) of its limit; at the limit batches fail with `SLUICE_STATE_TOO_LARGE`.
 */
export function createAlarms(
  scope: Construct,
  target: {
    readonly query: string;
    readonly metricsNamespace: string;
    readonly fn: IFunction;
    readonly failureQueue: IQueue;
    readonly tick: Duration;
    readonly thresholds: StreamingQueryAlarmProps;
    /** The state-memory limit of the handler (S3 state); none: no state-memory alarm. */
    readonly stateMemoryLimitBytes?: number;
  },
): QueryAlarms {
  const period = target.thresholds.period ?? DEFAULT_ALARM_PERIOD;
  const iteratorAgeMs = (target.thresholds.iteratorAge ?? DEFAULT_ITERATOR_AGE_THRESHOLD).toMilliseconds();
  const atLeast = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

  const iteratorAge = new Alarm(scope, 'IteratorAgeAlarm', {
    alarmDescription: `${target.query}: the oldest unprocessed record is older than ${iteratorAgeMs} ms, or no invocation for ${ITERATOR_AGE_EVALUATION_PERIODS} heartbeat ticks`,
    metric: target.fn.metric('IteratorAge', { statistic: 'Maximum', period: target.tick }),
    threshold: iteratorAgeMs,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: ITERATOR_AGE_EVALUATION_PERIODS,
    treatMissingData: TreatMissingData.BREACHING,
  });
  const errors = new Alarm(scope, 'ErrorsAlarm', {
    alarmDescription: `${target.query}: the query function threw or timed out`,
    metric: target.fn.metricErrors({ statistic: 'Sum', period }),
    threshold: target.thresholds.errors ?? DEFAULT_ERRORS_THRESHOLD,
    comparisonOperator: atLeast,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const deadLetters = new Alarm(scope, 'DeadLettersAlarm', {
    alarmDescription: `${target.query}: records could not be decoded, validated or processed (sluice dead-letters ${target.query} lists them: PREFIX/${target.query}/_dead/, and stage 1's PREFIX/${target.query}.stage-1/_dead/ for a two-stage query)`,
    metric: new Metric({
      namespace: target.metricsNamespace,
      metricName: DEAD_LETTERS_METRIC,
      dimensionsMap: queryMetricDimensions(target.query),
      statistic: 'Sum',
      period,
    }),
    threshold: target.thresholds.deadLetters ?? DEFAULT_DEAD_LETTERS_THRESHOLD,
    comparisonOperator: atLeast,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const failedBatches = new Alarm(scope, 'FailedBatchesAlarm', {
    alarmDescription: `${target.query}: the event source skipped records after its retries; see the on-failure queue`,
    metric: target.failureQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period }),
    threshold: 1,
    comparisonOperator: atLeast,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const queryMetric = (metricName: string) =>
    new Metric({
      namespace: target.metricsNamespace,
      metricName,
      dimensionsMap: queryMetricDimensions(target.query),
      statistic: 'Sum',
      period,
    });
  const batchFailures = new Alarm(scope, 'BatchFailuresAlarm', {
    alarmDescription: `${target.query}: a batch failed and is being retried (see the function's logs: 'batch failed')`,
    metric: queryMetric(BATCH_FAILURES_METRIC),
    threshold: target.thresholds.batchFailures ?? DEFAULT_BATCH_FAILURES_THRESHOLD,
    comparisonOperator: atLeast,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const stuckPeriods = target.thresholds.stuckShardPeriods ?? DEFAULT_STUCK_SHARD_PERIODS;
  const stuckShard = new Alarm(scope, 'StuckShardAlarm', {
    alarmDescription: `${target.query}: a shard committed nothing while records waited, ${stuckPeriods} periods in a row (see 'no batch committed while records wait' in the logs)`,
    metric: queryMetric(STALLED_INVOCATIONS_METRIC),
    threshold: 1,
    comparisonOperator: atLeast,
    evaluationPeriods: stuckPeriods,
    datapointsToAlarm: stuckPeriods,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const lateRows = new Alarm(scope, 'LateRowsAlarm', {
    alarmDescription: `${target.query}: rows were dropped as late by the watermark (PREFIX/${target.query}/_late/ holds them when the late-rows output is on)`,
    metric: queryMetric(LATE_ROWS_METRIC),
    threshold: target.thresholds.lateRows ?? DEFAULT_LATE_ROWS_THRESHOLD,
    comparisonOperator: atLeast,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const inputGap = new Alarm(scope, 'InputGapAlarm', {
    alarmDescription: `${target.query}: records after the committed position were never delivered by the event source mapping and were read back from Kinesis (see 'records after the committed position were not delivered' in the logs, and inputGap in the progress records)`,
    metric: queryMetric(GAP_RECORDS_METRIC),
    threshold: target.thresholds.gapRecords ?? DEFAULT_GAP_RECORDS_THRESHOLD,
    comparisonOperator: atLeast,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const limit = target.stateMemoryLimitBytes;
  const share = target.thresholds.stateMemory ?? DEFAULT_STATE_MEMORY_ALARM_SHARE;
  const stateMemory =
    limit === undefined
      ? undefined
      : new Alarm(scope, 'StateMemoryAlarm', {
          alarmDescription: `${target.query}: a shard's state takes ${Math.round(share * 100)}% of the memory it may use (${Math.round(limit / 2 ** 20)} MB); at 100% batches fail with SLUICE_STATE_TOO_LARGE. Add shards, raise memorySize, or raise stateMemoryFraction.`,
          metric: new Metric({
            namespace: target.metricsNamespace,
            metricName: STATE_MEMORY_METRIC,
            dimensionsMap: queryMetricDimensions(target.query),
            statistic: 'Maximum',
            period,
          }),
          threshold: Math.floor(limit * share),
          comparisonOperator: atLeast,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
  return {
    iteratorAge,
    errors,
    deadLetters,
    failedBatches,
    batchFailures,
    stuckShard,
    lateRows,
    inputGap,
    stateMemory,
  };
}
