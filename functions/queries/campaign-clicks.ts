import { z } from 'zod';
import { count, readStream, sum, window } from '../../engine/index.js';

/** An ad click as producers put it on the `ad-clicks` stream (partition key: `user`). */
export const adClickSchema = z.object({
  user: z.string().min(1),
  campaign: z.string().min(1),
  /** What the click cost, in cents. */
  cost: z.number().int().nonnegative(),
  ts: z.number(),
});
export type AdClick = z.infer<typeof adClickSchema>;

/**
 * Clicks and their cost per campaign per 5-minute window, events up to 10 minutes late counted,
 * the changed windows written each batch (update) as JSON Lines. Producers key clicks by user, not
 * by campaign, so the plan puts an exchange before the count and the query runs as two stages:
 * stage 1 (`campaign-clicks.stage-1`) on the stream's shards folds each batch into partial counts
 * per campaign and window and puts them into an internal stream, routed by campaign; stage 2
 * (`campaign-clicks`) on the internal stream's shards merges them (`explain(campaignClicksQuery)`).
 */
export const campaignClicksQuery = readStream<AdClick>('ad-clicks', {
  eventTime: 'ts',
  schema: adClickSchema,
  partitionKey: 'user',
})
  .withWatermark('ts', '10 minutes')
  .groupBy(window('ts', '5 minutes'), 'campaign')
  .agg({ clicks: count(), cost: sum('cost') })
  .writeStream.queryName('campaign-clicks')
  .outputMode('update')
  .format('json')
  .build();
