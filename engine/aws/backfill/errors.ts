import { SluiceError } from '../../errors.js';

/** The backfill's input (an S3 prefix) cannot be read. */
export class BackfillInputError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super('SLUICE_BACKFILL_INPUT', message, cause === undefined ? {} : { cause });
  }
}

/**
 * A backfill batch failed. Everything committed before it stays committed; running the same
 * backfill again replays the failed batch exactly from its WAL entry and goes on.
 */
export class BackfillFailedError extends SluiceError {
  constructor(query: string, shardId: string, cause: unknown) {
    super(
      'SLUICE_BACKFILL_FAILED',
      `Backfill '${query}' stopped on ${shardId}: ${cause instanceof Error ? cause.message : String(cause)} Batches committed so far stay committed; run the same backfill again to replay the failed batch exactly and continue.`,
      { cause, context: { query, shardId } },
    );
  }
}
