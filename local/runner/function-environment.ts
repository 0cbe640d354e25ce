import { HEARTBEAT_ENVIRONMENT } from '../../engine/aws/heartbeat/config.js';
import type { LocalFunction } from '../provision/index.js';

/** Where the function's SDK clients go and how they sign. */
export interface FunctionEndpoints {
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly endpoints: { readonly kinesis: string; readonly dynamodb: string; readonly s3: string };
}

/** Variables of this process that reach functions too (they only silence warnings). */
const PASSED_THROUGH = ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] as const;

/**
 * A function's whole environment in its worker, like Lambda's: the template's variables
 * (resolved), `extra`, the variables the Lambda runtime sets (region, function name, version,
 * memory, log group, handler), static credentials for the emulators, and one endpoint per
 * service as the SDK's service-specific variables (`AWS_ENDPOINT_URL_KINESIS`,
 * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3`), which the SDK reads by itself and
 * functions/config.ts passes on. Nothing else of this process is inherited.
 *
 * A scheduled heartbeat function's quiet threshold (`SLUICE_QUIET_MS`, equal to the tick on AWS)
 * is divided by `speedUp` like its schedule, but kept at least 1 s (its validated minimum).
 */
export function functionEnvironment(
  fn: LocalFunction,
  target: FunctionEndpoints,
  options: {
    readonly extra: Readonly<Record<string, string>>;
    readonly speedUp: number;
    readonly scheduled: boolean;
  },
): Record<string, string> {
  const env: Record<string, string> = { ...fn.environment, ...options.extra };
  const quiet = env[HEARTBEAT_ENVIRONMENT.quietMs];
  if (options.scheduled && quiet !== undefined && options.speedUp !== 1) {
    env[HEARTBEAT_ENVIRONMENT.quietMs] = String(Math.max(1000, Math.round(Number(quiet) / options.speedUp)));
  }
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    AWS_REGION: target.region,
    AWS_DEFAULT_REGION: target.region,
    AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: target.endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: target.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: target.endpoints.s3,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime ?? 'nodejs'}`,
    _HANDLER: `index.${fn.exportName}`,
  };
}
