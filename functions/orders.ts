import { kinesisHandler } from '../engine/aws/lambda/kinesis-handler.js';
import { ordersQuery } from './queries/orders.js';
import { runtimeFromEnvironment } from './runtime.js';

/** Orders deduplicated within the watermark → foreachBatch writing one object per batch. */
export const handler = kinesisHandler(ordersQuery, runtimeFromEnvironment(ordersQuery.name));
