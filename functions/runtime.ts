import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAwsClients } from '../engine/aws/clients.js';
import type { KinesisHandlerOptions } from '../engine/aws/lambda/kinesis-handler.js';
import { type FunctionConfig, readConfig } from './config.js';

/**
 * What every query function needs at cold start, from its validated environment: AWS clients
 * (pointed at `AWS_ENDPOINT_URL` when set, e.g. LocalStack), the table, bucket and prefix, and
 * Powertools logger and metrics (EMF) named after the query.
 */
export function runtimeFromEnvironment(
  query: string,
  config: FunctionConfig = readConfig(),
): Omit<KinesisHandlerOptions, 'route' | 'decode'> {
  return {
    clients: createAwsClients({
      region: config.AWS_REGION,
      ...(config.AWS_ENDPOINT_URL === undefined ? {} : { endpoint: config.AWS_ENDPOINT_URL }),
    }),
    tableName: config.SLUICE_TABLE,
    bucket: config.SLUICE_BUCKET,
    prefix: config.SLUICE_PREFIX,
    reserveMs: config.SLUICE_RESERVE_MS,
    logger: new Logger({ serviceName: query }),
    metrics: new Metrics({ serviceName: query, defaultDimensions: { query } }),
  };
}
