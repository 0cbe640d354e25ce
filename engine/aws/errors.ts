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

/**
 * An S3 request kept failing after the SDK's retries. The message names the bucket and key and
 * says what to do for the usual causes (missing bucket, missing permission, throttling).
 */
export class S3RequestError extends SluiceError {
  constructor(operation: string, bucket: string, key: string, cause: unknown) {
    const name = (cause as { name?: string }).name ?? 'Error';
    super(
      'SLUICE_S3_REQUEST_FAILED',
      `S3 ${operation} of s3://${bucket}/${key} failed with ${name}: ${(cause as Error).message}. ${s3Advice(name, operation, bucket)}`,
      {
        cause,
        context: { operation, bucket, key, errorName: name },
      },
    );
  }
}

function s3Advice(name: string, operation: string, bucket: string): string {
  if (name === 'NoSuchBucket') {
    return `Create the bucket '${bucket}' or point the query at an existing one (the bucket setting of the function or the sluice command).`;
  }
  if (
    name === 'AccessDenied' ||
    name === 'Forbidden' ||
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch'
  ) {
    return `Grant the function s3:${operation} on arn:aws:s3:::${bucket}/* (and s3:ListBucket on the bucket for readers), or fix the credentials.`;
  }
  if (name === 'NoSuchKey' || name === 'NotFound') {
    return 'A manifest lists an object that is gone: the output was modified outside sluice; restore the object or delete the manifest of its batch.';
  }
  return 'Writers retry the batch from its WAL entry with the same keys and bytes; if this persists, check S3 throttling (SlowDown) and the network path to S3.';
}

/** A batch manifest that this reader cannot use (newer format version, or not a manifest). */
export class ManifestFormatError extends SluiceError {
  constructor(key: string, detail: string) {
    super(
      'SLUICE_MANIFEST_INVALID',
      `Manifest ${key} cannot be read: ${detail}. Upgrade sluice if a newer version wrote it; otherwise the object was changed outside sluice: rerun the batch or delete the manifest to hide the batch.`,
      { context: { key } },
    );
  }
}

/** A sink kind that the AWS runtime cannot bind (memory and console belong to tests and demos). */
export class UnsupportedSinkError extends SluiceError {
  constructor(kind: string) {
    super(
      'SLUICE_UNSUPPORTED_SINK',
      `The '${kind}' sink cannot run on Lambda: its output would be lost with the invocation. Use writeStream.format('json' | 'parquet') or foreachBatch(fn) for a deployed query; run memory and console sinks with the engine's MemorySink and ConsoleSink in tests.`,
      { context: { kind } },
    );
  }
}

/** Reading an update- or complete-mode output as a table needs the columns that identify a row. */
export class MissingKeyColumnsError extends SluiceError {
  constructor(query: string, outputMode: string) {
    super(
      'SLUICE_MISSING_KEY_COLUMNS',
      `Query '${query}' writes in ${outputMode} mode, so its output is an upsert log, but no key columns are known to keep the newest row per key. Pass keyColumns when reading (e.g. ['window', 'word']), or give keyColumns to the sink binding so every manifest records them; or read the log of all rows instead.`,
      { context: { query, outputMode } },
    );
  }
}

/** An object key a foreachBatch function asked the S3 helper to write that would leave its place. */
export class InvalidOutputKeyError extends SluiceError {
  constructor(key: string, reason: string) {
    super(
      'SLUICE_INVALID_OUTPUT_KEY',
      `Cannot write object '${key}': ${reason}. Use a relative key below the query's prefix, outside _manifest/, _dead/ and _progress/, e.g. \`out/\${batchId}.json\`.`,
      { context: { key } },
    );
  }
}

/** A sink option that cannot work (e.g. a non-positive part size, a partition column also typed as a window). */
export class InvalidSinkOptionsError extends SluiceError {
  constructor(option: string, detail: string) {
    super('SLUICE_INVALID_SINK_OPTIONS', `Invalid sink option ${option}: ${detail}.`, {
      context: { option },
    });
  }
}

/** A foreachBatch function asked for the S3 helpers where the runtime bound none. */
export class MissingS3ServicesError extends SluiceError {
  constructor(queryName: string) {
    super(
      'SLUICE_NO_S3_SERVICES',
      `foreachBatch of query '${queryName}' asked for S3 helpers, but this runtime provides none. They exist when engine/aws binds the sink (bindSink or S3ForeachBatchSink); in unit tests, pass your own services or test the function directly.`,
      { context: { queryName } },
    );
  }
}

/** A table over a query's output was asked for, but the query does not write data files. */
export class NotAFileSinkError extends SluiceError {
  constructor(query: string, sink: string) {
    super(
      'SLUICE_NOT_A_FILE_SINK',
      `Query '${query}' writes with the ${sink} sink, not data files, so no table can be inferred over its output; use format('parquet') or format('json'), or list the table's columns by hand.`,
      { context: { query, sink } },
    );
  }
}
