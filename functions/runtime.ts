import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAwsClients } from '../engine/aws/clients.js';
import type { KinesisHandlerOptions } from '../engine/aws/lambda/kinesis-handler.js';
import { stateMemoryLimit } from '../engine/state/changelog/state-memory.js';
import { type FunctionConfig, readConfig } from './config.js';

/**
 * What every query function needs at cold start, from its validated environment: AWS clients
 * (pointed at `AWS_ENDPOINT_URL` when set, e.g. LocalStack, or at `AWS_ENDPOINT_URL_<SERVICE>` per service), the table, bucket and prefix, and
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
      endpoints: {
        ...(config.AWS_ENDPOINT_URL_DYNAMODB === undefined
          ? {}
          : { dynamodb: config.AWS_ENDPOINT_URL_DYNAMODB }),
        ...(config.AWS_ENDPOINT_URL_S3 === undefined ? {} : { s3: config.AWS_ENDPOINT_URL_S3 }),
        ...(config.AWS_ENDPOINT_URL_KINESIS === undefined
          ? {}
          : { kinesis: config.AWS_ENDPOINT_URL_KINESIS }),
      },
    }),
    tableName: config.SLUICE_TABLE,
    bucket: config.SLUICE_BUCKET,
    prefix: config.SLUICE_PREFIX,
    reserveMs: config.SLUICE_RESERVE_MS,
    state: config.SLUICE_STATE,
    lateRows: config.SLUICE_LATE_ROWS === 'on',
    gapCheck: config.SLUICE_GAP_CHECK === 'on',
    ...(config.AWS_LAMBDA_FUNCTION_MEMORY_SIZE === undefined
      ? {}
      : {
          stateMemoryLimit: stateMemoryLimit(
            config.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
            config.SLUICE_STATE_MEMORY_FRACTION,
          ),
        }),
    ...(config.SLUICE_MAX_RECORDS_PER_BATCH === undefined
      ? {}
      : { maxRecordsPerBatch: config.SLUICE_MAX_RECORDS_PER_BATCH }),
    ...(config.SLUICE_EXCHANGE_STREAM === undefined ? {} : { exchangeStream: config.SLUICE_EXCHANGE_STREAM }),
    ...(config.SLUICE_RUN_ID === undefined ? {} : { runId: config.SLUICE_RUN_ID }),
    ...(config.SLUICE_SOURCE_STREAMS === undefined ? {} : { sources: config.SLUICE_SOURCE_STREAMS }),
    logger: new Logger({ serviceName: query }),
    metrics: new Metrics({ serviceName: query, defaultDimensions: { query } }),
  };
}
