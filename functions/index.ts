// `sluice/lambda`: what a query's Lambda handler file needs. A user's handler is two lines:
//   import { queryHandler } from 'sluice/lambda';
//   export const handler = queryHandler(myQuery);

import {
  type KinesisHandler,
  type KinesisHandlerOptions,
  kinesisHandler,
} from '../engine/aws/lambda/kinesis-handler.js';
import type { QueryDefinition } from '../engine/index.js';
import { runtimeFromEnvironment } from './runtime.js';

export { type AwsClients, createAwsClients } from '../engine/aws/clients.js';
export {
  type KinesisHandler,
  type KinesisHandlerOptions,
  kinesisHandler,
} from '../engine/aws/lambda/kinesis-handler.js';
export { ConfigurationError, ENVIRONMENT_VARIABLES, type FunctionConfig, readConfig } from './config.js';
export { runtimeFromEnvironment } from './runtime.js';

/**
 * The Kinesis handler of `query`, configured from the environment the StreamingQuery construct
 * (or the local runner) sets: clients, table, bucket, prefix, Powertools logger and metrics.
 * `options` add to or override that (e.g. `keyColumns` of a flatMapGroupsWithState output).
 * The environment is read once, when the handler file is loaded (Lambda's init phase).
 */
export function queryHandler(
  query: QueryDefinition,
  options: Partial<KinesisHandlerOptions> = {},
): KinesisHandler {
  return kinesisHandler(query, { ...runtimeFromEnvironment(query.name), ...options });
}
