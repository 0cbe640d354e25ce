/**
 * The two queries of the handler-path benchmark, with the events they read:
 * - page views: `groupBy(window(ts, 1 minute), key).count()`, the engine benchmark's query;
 * - YSB (the Yahoo Streaming Benchmark's shape): keep `view` events, join each ad to its campaign
 *   (a stream-static join), count per campaign per 10-second window.
 */
import { type OutputMode, type QueryDefinition, readStream, staticRows, window } from '../../engine/index.js';
import { mulberry32 } from '../../local/seeded-random.js';
import type { KinesisEventRecord, KinesisStreamEvent, PageView } from '../kinesis-events.js';

export const PAGE_VIEWS_SOURCE = 'page-views';
export const YSB_SOURCE = 'ad-events';

/** The page-view query of bench/engine.ts, reading `ts` as event time at the edge. */
export function pageViewsQuery(mode: OutputMode = 'append'): QueryDefinition {
  return readStream<PageView>(PAGE_VIEWS_SOURCE, { eventTime: 'ts' })
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '1 minute'), 'key')
    .count()
    .writeStream.queryName('bench-page-views')
    .outputMode(mode)
    .build();
}

/** One YSB event, as the benchmark's producers write it. */
export interface AdEvent {
  readonly user_id: string;
  readonly page_id: string;
  readonly ad_id: string;
  readonly ad_type: string;
  readonly event_type: 'view' | 'click' | 'purchase';
  readonly event_time: number;
  readonly ip_address: string;
}

export const YSB_CAMPAIGNS = 100;
export const YSB_ADS_PER_CAMPAIGN = 10;

/** ad → campaign, the static side of the join: 100 campaigns of 10 ads each. */
export function adCampaigns(): Array<{ ad_id: string; campaign_id: string }> {
  const rows: Array<{ ad_id: string; campaign_id: string }> = [];
  for (let c = 0; c < YSB_CAMPAIGNS; c++) {
    for (let a = 0; a < YSB_ADS_PER_CAMPAIGN; a++) {
      rows.push({ ad_id: `ad-${c * YSB_ADS_PER_CAMPAIGN + a}`, campaign_id: `campaign-${c}` });
    }
  }
  return rows;
}

/** filter views → join ad → campaign → count per campaign per 10-second window (append). */
export function ysbQuery(): QueryDefinition {
  return readStream<AdEvent>(YSB_SOURCE, { eventTime: 'event_time' })
    .filter((event) => event.event_type === 'view')
    .join(staticRows(adCampaigns()), { on: ['ad_id'] })
    .withWatermark('event_time', '10 seconds')
    .groupBy(window('event_time', '10 seconds'), 'campaign_id')
    .count()
    .writeStream.queryName('bench-ysb')
    .outputMode('append')
    .build();
}

const SHARD = 'shardId-000000000000';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/ad-events';
const SEQUENCE_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
const EVENT_TYPES = ['view', 'click', 'purchase'] as const;

/** YSB events: `events` Lambda events of `recordsPerEvent` records, time moving 10 s per event. */
export function makeYsbEvents(events: number, recordsPerEvent: number): KinesisStreamEvent[] {
  const random = mulberry32(7);
  const startMs = Date.UTC(2024, 0, 1);
  const spanMs = 10_000;
  const ads = YSB_CAMPAIGNS * YSB_ADS_PER_CAMPAIGN;
  const out: KinesisStreamEvent[] = [];
  let sequence = SEQUENCE_BASE;
  for (let e = 0; e < events; e++) {
    const records: KinesisEventRecord[] = new Array(recordsPerEvent);
    const eventStart = startMs + e * spanMs;
    for (let r = 0; r < recordsPerEvent; r++) {
      const ad = Math.floor(random() * ads);
      const event: AdEvent = {
        user_id: `user-${Math.floor(random() * 100_000)}`,
        page_id: `page-${Math.floor(random() * 1_000)}`,
        ad_id: `ad-${ad}`,
        ad_type: 'banner',
        event_type: EVENT_TYPES[Math.floor(random() * 3)]!,
        event_time: Math.floor(eventStart + (r / recordsPerEvent) * spanMs - random() * 2000),
        ip_address: '10.0.0.1',
      };
      sequence += 1n;
      records[r] = {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: event.user_id,
          sequenceNumber: sequence.toString(),
          data: Buffer.from(JSON.stringify(event)).toString('base64'),
          approximateArrivalTimestamp: (eventStart + spanMs) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${SHARD}:${sequence}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/ysb-fn',
        awsRegion: 'us-east-1',
        eventSourceARN: STREAM_ARN,
      };
    }
    out.push({ Records: records });
  }
  return out;
}
