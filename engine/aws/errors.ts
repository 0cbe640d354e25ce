import { SluiceError } from '../errors.js';

/** A group's state is too large for one DynamoDB item (400 KB, holding the current and previous version). */
export class StateTooLargeError extends SluiceError {
  constructor(namespace: string, key: string, bytes: number, limit: number) {
    super(
      'SLUICE_STATE_TOO_LARGE',
      `State of key ${key} in '${namespace}' needs about ${bytes} bytes; one DynamoDB item holds at most ${limit} (current and previous versions together). Keep less state per key: aggregate instead of collecting rows (e.g. count instead of collectList), shorten windows or watermark delays, or split the key.`,
      { context: { namespace, key, bytes, limit } },
    );
  }
}

/** A DynamoDB request kept failing (throttling or service errors) after the SDK's retries. */
export class AwsRequestError extends SluiceError {
  constructor(operation: string, cause: unknown) {
    const name = (cause as { name?: string }).name ?? 'Error';
    super(
      'SLUICE_AWS_REQUEST_FAILED',
      `${operation} failed with ${name}: ${(cause as Error).message}. The batch will be retried from its WAL entry; if this persists, check the table's capacity and the function's IAM permissions.`,
      { cause, context: { operation } },
    );
  }
}
