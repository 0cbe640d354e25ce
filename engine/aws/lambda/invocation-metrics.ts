import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { QueryProgress } from '../../runtime/progress.js';
import type { IsolationReport } from '../../runtime/stream-execution.js';
import type { InputGap } from '../kinesis/index.js';

/**
 * The handler's metrics (Powertools EMF, dimensions `service` and `query`), each with the alarm
 * that watches it in `infra/streaming-query/alarms.ts`:
 *
 * | metric | per | alarm |
 * | --- | --- | --- |
 * | `InputRows`, `OutputRows`, `BatchDuration`, `StateRows`, `WatermarkDelay` | committed batch | (dashboard) |
 * | `DeadLetters` | committed batch | dead letters |
 * | `LateInputRows` | committed batch: input rows dropped as late (the `_late/` rows) | late rows |
 * | `RowsDroppedByWatermark` | committed batch: Spark's `numRowsDroppedByWatermark` (late groups for an aggregation) | (dashboard) |
 * | `BatchFailures` | invocation whose batch failed (Lambda retries it) | batch failures |
 * | `PoisonRecords` | rows set aside by poison isolation | (counted in `DeadLetters` when committed) |
 * | `StalledInvocations` | invocation that left records waiting and committed nothing | stuck shard |
 * | `GapRecords` | records Lambda never delivered, found after the committed position and processed | input gaps |
 * | `GapsPastRetention` | a gap whose start Kinesis no longer holds: records before it may be lost | input gaps (GapRecords moves too) |
 * | `StateMemoryBytes` | committed batch (S3 state): the shard's state in memory, estimated | state memory |
 */
export const METRICS = {
  inputRows: 'InputRows',
  outputRows: 'OutputRows',
  deadLetters: 'DeadLetters',
  rowsDroppedByWatermark: 'RowsDroppedByWatermark',
  lateInputRows: 'LateInputRows',
  batchDuration: 'BatchDuration',
  stateRows: 'StateRows',
  watermarkDelay: 'WatermarkDelay',
  batchFailures: 'BatchFailures',
  poisonRecords: 'PoisonRecords',
  stalledInvocations: 'StalledInvocations',
  gapRecords: 'GapRecords',
  gapsPastRetention: 'GapsPastRetention',
  stateMemoryBytes: 'StateMemoryBytes',
} as const;

export interface Observability {
  readonly logger?: Logger | undefined;
  readonly metrics?: Metrics | undefined;
}

/** A committed batch: the progress record as a log line and its counts as metrics. */
export function reportBatch(progress: QueryProgress, to: Observability): void {
  to.logger?.info('batch committed', { progress });
  const metrics = to.metrics;
  if (metrics === undefined) return;
  const dropped = progress.stateOperators.reduce((total, op) => total + op.numRowsDroppedByWatermark, 0);
  const lateInputRows = progress.stateOperators.reduce((total, op) => total + op.numLateInputRows, 0);
  metrics.addMetric(METRICS.inputRows, MetricUnit.Count, progress.numInputRows);
  metrics.addMetric(METRICS.outputRows, MetricUnit.Count, progress.sink.numOutputRows);
  metrics.addMetric(METRICS.deadLetters, MetricUnit.Count, progress.numDeadLetters);
  metrics.addMetric(METRICS.rowsDroppedByWatermark, MetricUnit.Count, dropped);
  metrics.addMetric(METRICS.lateInputRows, MetricUnit.Count, lateInputRows);
  metrics.addMetric(METRICS.batchDuration, MetricUnit.Milliseconds, progress.durationMs.triggerExecution);
  if (progress.stateBytes !== undefined) {
    metrics.addMetric('StateBytesRead', MetricUnit.Bytes, progress.stateBytes.read);
    metrics.addMetric('StateBytesWritten', MetricUnit.Bytes, progress.stateBytes.written);
    metrics.addMetric('StateBytes', MetricUnit.Bytes, progress.stateBytes.total);
    if (progress.stateBytes.memory !== undefined)
      metrics.addMetric(METRICS.stateMemoryBytes, MetricUnit.Bytes, progress.stateBytes.memory);
  }
  const stateRows = progress.stateOperators.reduce((total, op) => total + op.numRowsTotal, 0);
  if (progress.stateOperators.length > 0) metrics.addMetric(METRICS.stateRows, MetricUnit.Count, stateRows);
  // How far event time lags the batch's wall clock (none before the first watermark).
  const watermark = progress.eventTime.watermark;
  const watermarkMs = watermark === undefined ? 0 : Date.parse(watermark);
  if (watermarkMs > 0) {
    metrics.addMetric(
      METRICS.watermarkDelay,
      MetricUnit.Milliseconds,
      Date.parse(progress.timestamp) - watermarkMs,
    );
  }
}

/** A batch failed and will be retried: an error log and one `BatchFailures`, so an alarm fires within minutes. */
export function reportFailure(
  error: unknown,
  where: { query: string; shardId: string },
  to: Observability,
): void {
  to.logger?.error('batch failed; Lambda will redeliver from the first uncommitted record', {
    ...where,
    error: error as Error,
  });
  to.metrics?.addMetric(METRICS.batchFailures, MetricUnit.Count, 1);
}

/** A round of poison isolation: what it found and what it cost. */
export function reportIsolation(
  report: IsolationReport,
  where: { query: string; shardId: string },
  to: Observability,
): void {
  to.logger?.warn('poison isolation', {
    ...where,
    batchId: report.batchId,
    found: report.found,
    poisoned: report.poisoned.map((record) => ({ position: record.position, reason: record.reason })),
    probes: report.probes,
    durationMs: report.durationMs,
    error: report.error as Error,
  });
  if (report.found > 0) to.metrics?.addMetric(METRICS.poisonRecords, MetricUnit.Count, report.found);
}

/** An invocation that left records after the committed position and committed nothing. */
export function reportStall(
  where: { query: string; shardId: string; waitingFrom: string },
  to: Observability,
): void {
  to.logger?.warn('no batch committed while records wait', where);
  to.metrics?.addMetric(METRICS.stalledInvocations, MetricUnit.Count, 1);
}

/**
 * Records Lambda never delivered, found between the committed position and the event: they are
 * processed now, but they mean the event source mapping gave up on them (see the on-failure queue)
 * or is wired without batch item failures.
 */
export function reportGap(gap: InputGap, where: { query: string; shardId: string }, to: Observability): void {
  to.logger?.warn(
    gap.pastRetention
      ? 'records after the committed position were not delivered, and Kinesis no longer holds the committed record: records before the oldest held one may be lost'
      : 'records after the committed position were not delivered; read back from Kinesis and processed',
    { ...where, gap },
  );
  to.metrics?.addMetric(METRICS.gapRecords, MetricUnit.Count, gap.records);
  if (gap.pastRetention) to.metrics?.addMetric(METRICS.gapsPastRetention, MetricUnit.Count, 1);
}

/**
 * Stage 2 found its position in an internal shard past the stream's retention: a lost gap
 * (`SLUICE_EXCHANGE_GAP`, rows were waiting there: the batch fails) or a quiet shard whose last
 * record expired (nothing waited: it reads on). Either counts `GapsPastRetention` (input-gap alarm).
 */
export function reportExchangeTrim(
  where: { readonly query: string; readonly shardId: string } & Readonly<Record<string, unknown>>,
  lost: boolean,
  to: Observability,
): void {
  const message = lost
    ? 'exchange records stage 2 still needed passed the internal stream retention: origin batches are incomplete'
    : 'the last exchange record read passed the internal stream retention; nothing was waiting there';
  if (lost) to.logger?.error(message, where);
  else to.logger?.warn(message, where);
  to.metrics?.addMetric(METRICS.gapsPastRetention, MetricUnit.Count, 1);
}
