import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StreamingQuery } from './streaming-query.js';

/**
 * The example deployment: one stack with the example queries. Each query gets its own stream,
 * table and bucket (the defaults); pass a shared `StateTable` / `OutputBucket` to consolidate.
 */
export class ExampleQueriesStack extends Stack {
  readonly pageViews: StreamingQuery;
  readonly sessions: StreamingQuery;
  readonly orders: StreamingQuery;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.pageViews = new StreamingQuery(this, 'PageViews', {
      queryName: 'page-views',
      shardCount: 2,
      glue: {
        database: 'sluice',
        columns: [
          { name: 'window', type: 'struct<start:timestamp,end:timestamp>' },
          { name: 'page', type: 'string' },
          { name: 'views', type: 'bigint' },
        ],
      },
    });
    this.sessions = new StreamingQuery(this, 'Sessions', { queryName: 'sessions', shardCount: 2 });
    this.orders = new StreamingQuery(this, 'Orders', { queryName: 'orders' });
  }
}
