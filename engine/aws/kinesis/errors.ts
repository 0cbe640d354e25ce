import { SluiceError } from '../../errors.js';

/**
 * The Kinesis edge was configured in a way that cannot decode records (e.g. several sources and
 * no `route`). Raised when the decoder is built, before any record is read.
 */
export class KinesisSourceConfigError extends SluiceError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('SLUICE_KINESIS_SOURCE_CONFIG', message, { context });
  }
}

/**
 * A batch range could not be read back from Kinesis with the record count its WAL entry
 * recorded, so the batch cannot be replayed exactly. Carries the shard, the range and both counts.
 */
export class KinesisRangeMismatchError extends SluiceError {
  constructor(range: {
    readonly shardId?: string;
    readonly from: string;
    readonly to: string;
    readonly expected: number;
    readonly found: number;
    /** False when the invocation's records fell short and no refetch was configured. */
    readonly refetched: boolean;
  }) {
    const where = range.shardId === undefined ? '' : ` of shard ${range.shardId}`;
    const head = `Replaying a batch needs the ${range.expected} records ${range.from} … ${range.to}${where}, but `;
    const detail = !range.refetched
      ? `the invocation holds ${range.found} and the source has no \`refetch\`: pass createRefetch({ client, stream, shardId }) so a bisected or shifted redelivery can read the rest from Kinesis.`
      : `Kinesis returned ${range.found}. ` +
        (range.found < range.expected
          ? 'Records older than the stream retention period expire: raise the retention period (IncreaseStreamRetentionPeriod) so a failed batch is retried before its records expire. '
          : 'The stream may have been deleted and recreated under the same name. ') +
        "The pending batch cannot be replayed exactly; to move on, delete the query partition's pending WAL entry (its outputs for that batch id are then never committed).";
    super('SLUICE_KINESIS_RANGE_MISMATCH', head + detail, { context: { ...range } });
  }
}

/** A Kinesis request kept failing (throttling, missing stream, permissions) after the SDK's retries. */
export class KinesisRequestError extends SluiceError {
  constructor(operation: string, cause: unknown, context: Record<string, unknown> = {}) {
    const name = (cause as { name?: string }).name ?? 'Error';
    super(
      'SLUICE_KINESIS_REQUEST_FAILED',
      `Kinesis ${operation} failed with ${name}: ${(cause as Error).message}. The batch is retried from its WAL entry; if this persists, check the stream name, the shard's read throughput (5 GetRecords calls per second per shard, shared with other consumers) and the function's IAM permissions (kinesis:GetShardIterator, kinesis:GetRecords).`,
      { cause, context: { operation, ...context } },
    );
  }
}
