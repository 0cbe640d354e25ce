/**
 * The naive function of the end-to-end benchmark (run by the local runner from the bench stack).
 * `NAIVE_TABLE` and `NAIVE_BUCKET` come from the stack; endpoints from the SDK's
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, as for the sluice functions. Each invocation prints a
 * report line (report-line.ts).
 */
import { createAwsClients } from '../../engine/aws/clients.js';
import { WINDOW_MS } from '../aws/workload.js';
import { naiveHandler } from '../naive/handler.js';
import { withReportLine } from './report-line.js';

const env = process.env;

export const handler = withReportLine(
  naiveHandler({
    clients: createAwsClients({
      region: env.AWS_REGION ?? 'us-east-1',
      endpoints: {
        ...(env.AWS_ENDPOINT_URL_DYNAMODB === undefined ? {} : { dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB }),
        ...(env.AWS_ENDPOINT_URL_S3 === undefined ? {} : { s3: env.AWS_ENDPOINT_URL_S3 }),
        ...(env.AWS_ENDPOINT_URL_KINESIS === undefined ? {} : { kinesis: env.AWS_ENDPOINT_URL_KINESIS }),
      },
    }),
    tableName: env.NAIVE_TABLE ?? 'naive-counts',
    bucket: env.NAIVE_BUCKET ?? 'naive-out',
    prefix: 'naive',
    windowMs: WINDOW_MS,
  }),
);
