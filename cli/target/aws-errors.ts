import { AccessDeniedError, CliError, EndpointUnreachableError, NoCredentialsError } from '../errors.js';
import type { Target } from './target.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/** The first error in the `cause` chain (inclusive) that satisfies `test`. */
function findInChain(
  error: unknown,
  test: (e: Record<string, unknown>) => boolean,
): Record<string, unknown> | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const record = current as Record<string, unknown>;
    if (test(record)) return record;
    current = record.cause ?? (Array.isArray(record.errors) ? record.errors[0] : undefined);
  }
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  const found = findInChain(
    error,
    (e) =>
      (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) ||
      e.name === 'TimeoutError' ||
      (typeof e.message === 'string' && /ECONNREFUSED|ENOTFOUND|socket hang up/.test(e.message)),
  );
  if (found === undefined) return undefined;
  if (typeof found.code === 'string') return found.code;
  const match = /ECONNREFUSED|ENOTFOUND/.exec(String(found.message));
  return match?.[0] ?? String(found.name);
}

/** The SDK error name (`ResourceNotFoundException`, `NoSuchBucket`, ...) anywhere in the chain. */
export function awsErrorName(error: unknown): string | undefined {
  const found = findInChain(error, (e) => typeof e.$metadata === 'object' || typeof e.$fault === 'string');
  return found === undefined ? undefined : String(found.name);
}

/**
 * Translates what the AWS SDK throws into one-line {@link CliError}s that say the fix: an
 * unreachable endpoint, missing credentials, missing permissions. Anything else passes through.
 */
export function translateAwsError(
  error: unknown,
  target: Target,
  service: 'kinesis' | 'dynamodb' | 's3',
): unknown {
  if (error instanceof CliError) return error;
  const code = networkCode(error);
  if (code !== undefined) {
    const endpoint = target.endpoints?.[service] ?? `${service}.${target.region}.amazonaws.com`;
    return new EndpointUnreachableError(
      serviceName(service),
      endpoint,
      `${code}; ${target.startHint}`,
      error,
    );
  }
  const credentials = findInChain(
    error,
    (e) => e.name === 'CredentialsProviderError' || /Could not load credentials/.test(String(e.message)),
  );
  if (credentials !== undefined) {
    return new NoCredentialsError(error);
  }
  const name = awsErrorName(error);
  if (
    name === 'AccessDeniedException' ||
    name === 'AccessDenied' ||
    name === 'UnrecognizedClientException' ||
    name === 'InvalidAccessKeyId' ||
    name === 'ExpiredTokenException' ||
    name === 'SignatureDoesNotMatch'
  ) {
    return new AccessDeniedError(serviceName(service), name, error);
  }
  return error;
}

function serviceName(service: 'kinesis' | 'dynamodb' | 's3'): string {
  return service === 'kinesis' ? 'Kinesis' : service === 'dynamodb' ? 'DynamoDB' : 'S3';
}

/** Runs `call`, translating SDK errors for `service`. */
export async function withAws<T>(
  target: Target,
  service: 'kinesis' | 'dynamodb' | 's3',
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(error, target, service);
  }
}
