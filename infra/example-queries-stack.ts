import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { campaignClicksQuery } from '../functions/queries/campaign-clicks.js';
import { pageViewsQuery } from '../functions/queries/page-views.js';
import { StreamingQuery } from './streaming-query.js';

/**
 * The example deployment: one stack with the example queries. Each query gets its own stream,
 * table and bucket (the defaults); pass a shared `StateTable` / `OutputBucket` to consolidate.
 */
export class ExampleQueriesStack extends Stack {
  readonly pageViews: StreamingQuery;
  readonly sessions: StreamingQuery;
  readonly orders: StreamingQuery;
  readonly campaignClicks: StreamingQuery;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.pageViews = new StreamingQuery(this, 'PageViews', {
      queryName: 'page-views',
      query: pageViewsQuery,
      shardCount: 2,
      // Columns inferred from the query: window struct<start:timestamp,end:timestamp>, page string, views bigint.
      glue: { database: 'sluice' },
    });
    this.sessions = new StreamingQuery(this, 'Sessions', { queryName: 'sessions', shardCount: 2 });
    this.orders = new StreamingQuery(this, 'Orders', { queryName: 'orders' });
    // Producers key clicks by user, the query counts per campaign: two stages around an exchange
    // (the construct adds the internal stream and the stage-2 function).
    this.campaignClicks = new StreamingQuery(this, 'CampaignClicks', {
      queryName: 'campaign-clicks',
      query: campaignClicksQuery,
      shardCount: 2,
    });
  }
}
