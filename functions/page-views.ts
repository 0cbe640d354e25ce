import { kinesisHandler } from '../engine/aws/lambda/kinesis-handler.js';
import { pageViewsQuery } from './queries/page-views.js';
import { runtimeFromEnvironment } from './runtime.js';

/** Page views per page per minute → Parquet (append). */
export const handler = kinesisHandler(pageViewsQuery, runtimeFromEnvironment(pageViewsQuery.name));
