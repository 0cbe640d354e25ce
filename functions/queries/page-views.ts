import { z } from 'zod';
import { count, readStream, window } from '../../engine/index.js';

/** A page view as producers put it on the `page-views` stream (partition key: `page`). */
export const pageViewSchema = z.object({
  page: z.string().min(1),
  user: z.string().min(1),
  /** Epoch milliseconds or ISO-8601; the decoder normalizes to milliseconds. */
  ts: z.number(),
});
export type PageView = z.infer<typeof pageViewSchema>;

/**
 * Page views per page per 1-minute window, tolerating events up to 10 minutes late, written
 * once per window (append) as Parquet.
 */
export const pageViewsQuery = readStream<PageView>('page-views', {
  eventTime: 'ts',
  schema: pageViewSchema,
  partitionKey: 'page',
})
  .withWatermark('ts', '10 minutes')
  .groupBy(window('ts', '1 minute'), 'page')
  .agg({ views: count() })
  .writeStream.queryName('page-views')
  .outputMode('append')
  .format('parquet')
  .build();
