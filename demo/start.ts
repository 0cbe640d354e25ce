/**
 * `npm start`: a short demo of the engine on in-memory streams — page views per minute with a
 * watermark, late and out-of-order events included, printed batch by batch.
 */
import { count, window } from '../engine/index.js';
import { MemoryStream, StreamTest } from '../engine/testkit/index.js';

interface PageView {
  page: string;
  user: string;
  ts: number;
}

const minute = 60_000;
const views = new MemoryStream<PageView>('views');
const query = views
  .toStream({ eventTime: 'ts' })
  .withWatermark('ts', '2 minutes')
  .groupBy(window('ts', '1 minute'), 'page')
  .agg({ views: count() })
  .writeStream.queryName('page-views')
  .outputMode('append')
  .build();

const test = new StreamTest(query, [views]);
const batches: PageView[][] = [
  [
    { page: '/home', user: 'ann', ts: 0.5 * minute },
    { page: '/cart', user: 'bob', ts: 0.7 * minute },
    { page: '/home', user: 'cid', ts: 1.2 * minute },
  ],
  [
    { page: '/home', user: 'dee', ts: 0.9 * minute }, // out of order, still on time
    { page: '/home', user: 'eve', ts: 3.5 * minute }, // moves the watermark to 1.5 minutes
  ],
  [
    { page: '/cart', user: 'fay', ts: 0.2 * minute }, // late: its window closed, dropped
    { page: '/cart', user: 'gus', ts: 6.1 * minute },
  ],
];

const fmt = (ms: number) => new Date(ms).toISOString().slice(11, 19);
for (const rows of batches) {
  views.addData(...rows);
  await test.processAllAvailable();
}
for (const progress of test.progress) {
  const dropped = progress.stateOperators.reduce((n, op) => n + op.numRowsDroppedByWatermark, 0);
  console.log(
    `batch ${progress.batchId}${progress.isNoDataBatch ? ' (no data)' : ''}: ${progress.numInputRows} rows in, ` +
      `${progress.sink.numOutputRows} out, watermark ${progress.eventTime.watermark.slice(11, 19)}, ${dropped} late`,
  );
  for (const row of test.batchOutput(progress.batchId)) {
    const w = row.window as { start: number; end: number };
    console.log(`    ${fmt(w.start)}–${fmt(w.end)}  ${String(row.page).padEnd(6)} ${row.views} views`);
  }
}
