/**
 * AWS requests, payload bytes and DynamoDB capacity units per batch (one Lambda invocation of
 * `records` records over `keys` distinct keys), sluice next to the naive handler.
 *
 * Each batch covers 10 s of event time, so six batches fill a 1-minute window and one of them
 * closes the previous window (eviction). sluice runs one warm-up batch, then six measured
 * batches (a whole window cycle) whose figures are averaged; its request counts come from the
 * progress records the handler writes to S3 (`QueryProgress.requests`), bytes and units from the
 * traffic meter on its clients. The naive handler's requests do not depend on state (one
 * UpdateItem per record, one PutObject per batch), so it runs fewer batches: three of 100
 * records, one of 1,000 or 10,000.
 */
import type { QueryProgress } from '../../engine/index.js';
import { noUnits } from './capacity-units.js';
import type { BenchEndpoints } from './emulators.js';
import { type SystemUnderTest, setUpSystem } from './systems.js';
import { addTraffic, emptyTraffic, sumUnits, type Traffic, totalRequests } from './traffic-meter.js';
import { eventOf, pageViews, type RecordSpec } from './workload.js';

const SHARD = 'shardId-000000000000';
const BATCH_SPAN_MS = 10_000;

/** One system's average batch. */
export interface BatchFigures {
  readonly batches: number;
  /** Averages per batch (Lambda invocation). */
  readonly traffic: Traffic;
  readonly requests: number;
  /** sluice: the requests its progress records report (they cannot count the last progress write). */
  readonly progressRequests?: number;
  /** sluice: engine batches per invocation (data + no-data batches). */
  readonly engineBatches?: number;
  /** sluice: state rows written (new versions) and removed (eviction tombstones) per invocation. */
  readonly stateRowsUpdated?: number;
  readonly stateRowsRemoved?: number;
  /** sluice: batch phase durations (progress `durationMs`) summed over the invocation's batches, ms. */
  readonly phases?: Readonly<Record<string, number>>;
  /** sluice: of `ms`, the no-data batches' `triggerExecution`. */
  readonly noDataMs?: number;
  readonly ms: number;
}

export interface RequestsRow {
  readonly records: number;
  readonly keys: number;
  readonly sluice: BatchFigures;
  readonly naive: BatchFigures;
}

export interface RequestsOptions {
  readonly endpoints: BenchEndpoints;
  readonly recordCounts: readonly number[];
  readonly keyCounts: readonly number[];
  /** Measured sluice batches per combination. @default 6 */
  readonly sluiceBatches?: number;
  /** Measured naive batches: `(records) => n`. */
  readonly naiveBatches?: (records: number) => number;
  readonly runId: string;
  readonly log?: (line: string) => void;
}

export async function measureRequests(options: RequestsOptions): Promise<RequestsRow[]> {
  const rows: RequestsRow[] = [];
  for (const records of options.recordCounts) {
    for (const keys of options.keyCounts) {
      const spec: RecordSpec = { keys, span: records, spanMs: BATCH_SPAN_MS, seed: records + keys };
      const tag = `${options.runId}-r${records}-k${keys}`;
      const sluice = await runSluice(
        await setUpSystem({ endpoints: options.endpoints, system: 'sluice', name: `rq-s-${tag}` }),
        spec,
        records,
        options.sluiceBatches ?? 6,
      );
      const naive = await runNaive(
        await setUpSystem({ endpoints: options.endpoints, system: 'naive', name: `rq-n-${tag}` }),
        spec,
        records,
        options.naiveBatches?.(records) ?? (records > 100 ? 1 : 3),
      );
      options.log?.(
        `  requests: ${records} records × ${keys} keys — sluice ${sluice.requests.toFixed(1)}, naive ${naive.requests.toFixed(1)} per batch`,
      );
      rows.push({ records, keys, sluice, naive });
    }
  }
  return rows;
}

async function runSluice(
  system: SystemUnderTest,
  spec: RecordSpec,
  records: number,
  measured: number,
): Promise<BatchFigures> {
  const invoke = async (batch: number) => {
    const event = eventOf(system.stream, pageViews(spec, batch * records, records), batch * records);
    const response = await system.invoke(event);
    if (response.batchItemFailures.length > 0)
      throw new Error(`sluice reported batch item failures: ${JSON.stringify(response.batchItemFailures)}`);
  };
  await invoke(0);
  const warmupBatches = (await system.progress(SHARD)).length;
  system.meter.take();
  let traffic = emptyTraffic();
  let ms = 0;
  for (let batch = 1; batch <= measured; batch++) {
    const started = performance.now();
    await invoke(batch);
    ms += performance.now() - started;
    traffic = addTraffic(traffic, system.meter.take());
  }
  const progress = (await system.progress(SHARD)).slice(warmupBatches);
  const progressRequests = sumRequests(progress);
  return {
    batches: measured,
    traffic: scale(traffic, 1 / measured),
    requests: totalRequests(traffic) / measured,
    progressRequests: progressRequests / measured,
    engineBatches: progress.length / measured,
    stateRowsUpdated: sumState(progress, 'numRowsUpdated') / measured,
    stateRowsRemoved: sumState(progress, 'numRowsRemoved') / measured,
    phases: sumPhases(progress, measured),
    noDataMs:
      progress.filter((p) => p.isNoDataBatch).reduce((total, p) => total + p.durationMs.triggerExecution, 0) /
      measured,
    ms: ms / measured,
  };
}

async function runNaive(
  system: SystemUnderTest,
  spec: RecordSpec,
  records: number,
  measured: number,
): Promise<BatchFigures> {
  let traffic = emptyTraffic();
  let ms = 0;
  system.meter.take();
  for (let batch = 0; batch < measured; batch++) {
    const event = eventOf(system.stream, pageViews(spec, batch * records, records), batch * records);
    const started = performance.now();
    await system.invoke(event);
    ms += performance.now() - started;
    traffic = addTraffic(traffic, system.meter.take());
  }
  return {
    batches: measured,
    traffic: scale(traffic, 1 / measured),
    requests: totalRequests(traffic) / measured,
    ms: ms / measured,
  };
}

function sumRequests(progress: readonly QueryProgress[]): number {
  let total = 0;
  for (const p of progress) for (const n of Object.values(p.requests ?? {})) total += n;
  return total;
}

function sumPhases(progress: readonly QueryProgress[], measured: number): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const p of progress)
    for (const [phase, ms] of Object.entries(p.durationMs))
      phases[phase] = (phases[phase] ?? 0) + ms / measured;
  return phases;
}

function sumState(progress: readonly QueryProgress[], field: 'numRowsUpdated' | 'numRowsRemoved'): number {
  let total = 0;
  for (const p of progress) for (const op of p.stateOperators) total += op[field];
  return total;
}

function scale(traffic: Traffic, factor: number): Traffic {
  const requests: Record<string, number> = {};
  for (const [name, n] of Object.entries(traffic.requests)) requests[name] = n * factor;
  return {
    requests,
    requestBytes: traffic.requestBytes * factor,
    responseBytes: traffic.responseBytes * factor,
    units: sumUnits(noUnits(), traffic.units, factor),
  };
}
