import { kinesisHandler } from '../engine/aws/lambda/kinesis-handler.js';
import { campaignClicksQuery } from './queries/campaign-clicks.js';
import { runtimeFromEnvironment } from './runtime.js';

/**
 * Clicks per campaign per 5-minute window → JSON Lines (update). A two-stage query: the same
 * handler runs stage 1 for records of the `ad-clicks` stream and stage 2 for records of the
 * internal stream the construct creates (`SLUICE_EXCHANGE_STREAM`).
 */
export const handler = kinesisHandler(campaignClicksQuery, runtimeFromEnvironment(campaignClicksQuery.name));
