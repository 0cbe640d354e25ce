import { Metrics } from '@aws-lambda-powertools/metrics';
import type { _Record } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { METRICS } from '../../../../engine/aws/lambda/invocation-metrics.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import type { QueryProgress } from '../../../../engine/index.js';
import { ManualClock } from '../../../../engine/index.js';
import { pageViewsQuery } from '../../../../functions/queries/page-views.js';
import { HANDLER_METRICS } from '../../../../infra/streaming-query/dashboard.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import { createOneShardStream, putAll, readWholeShard } from '../../../support/kinesis-stream.js';

// The dashboard graphs WatermarkDelay and StateRows: the handler must publish them, as EMF, under
// the names the dashboard uses, with values that follow the query (not constants).

type Emf = Record<string, unknown> & {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
};

/** Powertools Metrics as the function builds it, keeping each EMF document it publishes. */
class CapturingMetrics extends Metrics {
  readonly published: Emf[] = [];
  override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) this.published.push(this.serializeMetrics() as unknown as Emf);
    return super.publishStoredMetrics();
  }
}

let emulators: Emulators;
let clients: AwsClients;
const minute = 60_000;

beforeAll(async () => {
  emulators = await startEmulators();
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
  await createStateTable(emulators.clients.dynamodb, 'sluice');
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: 'metrics' }));
});
afterAll(async () => {
  await emulators?.stop();
});

const values = (emf: Emf, name: string): number[] => {
  const value = emf[name];
  return value === undefined ? [] : Array.isArray(value) ? (value as number[]) : [value as number];
};

describe('handler metrics behind the dashboard', () => {
  it('publishes WatermarkDelay (wall clock − watermark) and StateRows (open state rows) per batch, as EMF', async () => {
    const stream = 'metrics-views';
    const invocations = [
      // Three rows in two 1-minute windows: two state rows, watermark still 0.
      [
        { page: '/a', user: 'u1', ts: 0.5 * minute },
        { page: '/b', user: 'u2', ts: 1.5 * minute },
        { page: '/a', user: 'u3', ts: 0.2 * minute },
      ],
      // 14 minutes moves the watermark to 4 minutes: both windows close, one new one opens.
      [{ page: '/b', user: 'u4', ts: 14 * minute }],
      // 30 minutes moves it to 20: the 14-minute window closes, a new one opens.
      [{ page: '/a', user: 'u5', ts: 30 * minute }],
    ];
    await createOneShardStream(emulators.clients.kinesis, stream);
    await putAll(
      emulators.clients.kinesis,
      stream,
      invocations.flat().map((row) => ({ data: row, partitionKey: row.page })),
    );
    const records: _Record[] = await readWholeShard(
      emulators.clients.kinesis,
      stream,
      'shardId-000000000000',
    );
    const metrics = new CapturingMetrics({
      namespace: 'sluice',
      serviceName: 'page-views',
      defaultDimensions: { query: 'page-views' },
    });
    const progress: QueryProgress[] = [];
    const logger = {
      info: (_message: string, extra: { progress?: QueryProgress }) => {
        if (extra.progress) progress.push(extra.progress);
      },
      error: () => {},
      warn: () => {},
      debug: () => {},
    };
    const clock = new ManualClock(20 * minute);
    const handler = kinesisHandler(pageViewsQuery, {
      clients,
      tableName: 'sluice',
      bucket: 'metrics',
      prefix: 'm',
      clock,
      metrics,
      logger: logger as never,
    });
    let offset = 0;
    for (const rows of invocations) {
      const event = kinesisEvent(records.slice(offset, offset + rows.length), { streamName: stream });
      offset += rows.length;
      const response = await handler(event, { getRemainingTimeInMillis: () => 60_000 } as Context);
      expect(response.batchItemFailures).toEqual([]);
      clock.advance(5 * minute);
    }

    expect(metrics.published).toHaveLength(3);
    for (const emf of metrics.published) {
      const [directive] = emf._aws.CloudWatchMetrics;
      expect(directive!.Namespace).toBe('sluice');
      expect(directive!.Dimensions).toEqual([['service', 'query']]);
      expect(emf.service).toBe('page-views');
      expect(emf.query).toBe('page-views');
      const units = Object.fromEntries(directive!.Metrics.map((m) => [m.Name, m.Unit]));
      expect(units[METRICS.stateRows]).toBe('Count');
    }

    // StateRows: the open windows after each batch, as the progress records count them.
    const stateRows = metrics.published.flatMap((emf) => values(emf, METRICS.stateRows));
    expect(stateRows).toEqual(
      progress.map((p) => p.stateOperators.reduce((n, op) => n + op.numRowsTotal, 0)),
    );
    expect(stateRows[0]).toBe(2);
    expect(stateRows.at(-1)).toBe(1);
    expect(new Set(stateRows).size).toBeGreaterThan(1);

    // WatermarkDelay: none while the watermark is 0; then the batch's processing time minus its watermark.
    const delays = metrics.published.map((emf) => values(emf, METRICS.watermarkDelay));
    expect(delays[0]).toEqual([]);
    const expectedDelays = progress
      .filter((p) => Date.parse(p.eventTime.watermark!) > 0)
      .map((p) => Date.parse(p.timestamp) - Date.parse(p.eventTime.watermark!));
    expect(delays.flat()).toEqual(expectedDelays);
    // Invocation 2 runs at 25 minutes with watermark 4 minutes; invocation 3 at 30 with 20.
    expect(delays[1]).toContain(21 * minute);
    expect(delays[2]).toContain(10 * minute);
    const units = Object.fromEntries(
      metrics.published[1]!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit]),
    );
    expect(units[METRICS.watermarkDelay]).toBe('Milliseconds');
  });

  it('the dashboard graphs exactly the names the handler publishes', () => {
    expect(HANDLER_METRICS.watermarkDelay).toBe(METRICS.watermarkDelay);
    expect(HANDLER_METRICS.stateRows).toBe(METRICS.stateRows);
    expect(HANDLER_METRICS.inputRows).toBe(METRICS.inputRows);
    expect(HANDLER_METRICS.outputRows).toBe(METRICS.outputRows);
    expect(HANDLER_METRICS.batchDuration).toBe(METRICS.batchDuration);
    expect(HANDLER_METRICS.deadLetters).toBe(METRICS.deadLetters);
    expect(HANDLER_METRICS.lateRows).toBe(METRICS.lateInputRows);
  });
});
