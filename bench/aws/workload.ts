/**
 * The workload every AWS benchmark runs, for sluice and the naive handler alike: page views
 * (`{ key, ts, page, durationMs }`, the engine benchmark's records) counted per key per
 * 1-minute tumbling window, partition key = `key`.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { type QueryDefinition, readStream, window } from '../../engine/index.js';
import { lambdaRecord } from '../../test/support/kinesis-events.js';
import { type PageView, prng } from '../kinesis-events.js';

export const WINDOW_MS = 60_000;
export const WATERMARK_DELAY = '10 seconds';
/** Event time of the first record: minute-aligned, so the first batch starts a window. */
export const START_MS = Date.UTC(2024, 0, 1);
/** The query name of the end-to-end benchmark's sluice function (bench/functions/sluice.ts). */
export const E2E_QUERY_NAME = 'bench-e2e';

/**
 * sluice: `groupBy(window(ts, 1 minute), key).count()` with a 10 s watermark, in update mode
 * (each batch writes the counts it changed, as the naive handler does), JSON Lines to S3.
 */
export function benchQuery(name: string): QueryDefinition {
  return readStream<PageView>('page-views', { eventTime: 'ts', partitionKey: 'key' })
    .withWatermark('ts', WATERMARK_DELAY)
    .groupBy(window('ts', '1 minute'), 'key')
    .count()
    .writeStream.queryName(name)
    .outputMode('update')
    .format('json')
    .build();
}

/** How to draw records. */
export interface RecordSpec {
  /** Distinct keys, drawn uniformly (or in turn with `cycleKeys`). */
  readonly keys: number;
  /** Event time covered by `span` records; time moves forward, records up to 5 s out of order. */
  readonly spanMs: number;
  readonly span: number;
  /** Take keys in turn (key i mod keys) instead of at random: every key appears once per `keys` records. */
  readonly cycleKeys?: boolean;
  readonly seed?: number;
}

/** Records `from .. from + count - 1` of an endless, deterministic page-view stream. */
export function pageViews(spec: RecordSpec, from: number, count: number): PageView[] {
  const random = prng((spec.seed ?? 7) + from);
  const views: PageView[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const n = from + i;
    const keyIndex = spec.cycleKeys === true ? n % spec.keys : Math.floor(random() * spec.keys);
    views[i] = {
      key: `user-${keyIndex}`,
      ts: Math.floor(START_MS + (n / spec.span) * spec.spanMs - random() * 5000),
      page: `/products/${Math.floor(random() * 500)}`,
      durationMs: Math.floor(random() * 30_000),
    };
  }
  return views;
}

/**
 * A Lambda Kinesis event holding `views`, as the event source mapping would deliver them from
 * `stream`'s first shard; sequence numbers continue from `firstIndex`.
 */
export function eventOf(stream: string, views: readonly PageView[], firstIndex: number): KinesisStreamEvent {
  return {
    Records: views.map((view, i) =>
      lambdaRecord(
        {
          data: view,
          partitionKey: view.key,
          approximateArrivalTimestampMs: view.ts,
        },
        i,
        { streamName: stream, firstIndex },
      ),
    ),
  };
}
