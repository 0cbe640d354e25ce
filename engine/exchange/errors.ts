import { SluiceError } from '../errors.js';

/** Errors of the exchange between stages. */
export class ExchangeError extends SluiceError {}

/**
 * A row (or partial aggregate) larger than one exchange record: it cannot cross the exchange.
 * Deterministic, so poison isolation turns the rows that make it into dead letters.
 */
export class ExchangeRowTooLargeError extends ExchangeError {
  constructor(bytes: number, budget: number) {
    super(
      'SLUICE_EXCHANGE_ROW_TOO_LARGE',
      `A row of ${bytes} bytes does not fit in one exchange record (${budget} bytes of rows per record, the internal stream's record limit minus the envelope). Drop or shorten large columns before the stateful operator.`,
      { context: { bytes, budget } },
    );
  }
}

/** Puts into the internal stream kept failing after retries; the batch fails and is retried whole. */
export class ExchangePutFailedError extends ExchangeError {
  constructor(context: { partition: string; failed: number; attempts: number; lastError?: string }) {
    super(
      'SLUICE_EXCHANGE_PUT_FAILED',
      `${context.failed} exchange record(s) (${context.partition}) were still rejected after ${context.attempts} attempts (last: ${context.lastError ?? 'unknown'}). The batch is retried from its WAL entry; if it persists, raise the internal stream's shard count (exchangeShards).`,
      { context },
    );
  }
}

/**
 * Stage 2 cannot read an internal partition on from where it is: records after its committed
 * position are no longer held (the internal stream's retention passed while they waited).
 */
export class ExchangeGapError extends ExchangeError {
  constructor(partition: string, after: string | undefined, firstHeld: string | undefined) {
    super(
      'SLUICE_EXCHANGE_GAP',
      `Exchange records of internal partition ${partition} after position ${after ?? '(start)'} are gone (the oldest still held is ${firstHeld ?? 'unknown'}): they passed the internal stream's retention before stage 2 read them, so origin batches in between are lost. Raise the internal stream's retention period and fix what held stage 2 back (see GapsPastRetention and the stage-2 alarms); to go on without the lost batches, reset stage 2's checkpoint of this partition, or rerun the query from the source with sluice backfill.`,
      {
        context: {
          partition,
          ...(after === undefined ? {} : { after }),
          ...(firstHeld === undefined ? {} : { firstHeld }),
        },
      },
    );
  }
}

/**
 * An origin batch's marker reached stage 2 but some of the batch's records for this partition's
 * range are not there: they were lost (past the internal stream's retention). Applying the batch
 * would silently drop rows, so it fails.
 */
export class ExchangeRecordsMissingError extends ExchangeError {
  constructor(context: {
    partition: string;
    origin: string;
    batchId: number;
    expected: number;
    found: number;
  }) {
    super(
      'SLUICE_EXCHANGE_GAP',
      `Origin batch ${context.batchId} of ${context.origin} has ${context.found} of its ${context.expected} exchange record(s) for internal partition ${context.partition}: the others are gone (they passed the internal stream's retention before stage 2 read them). Raise the internal stream's retention period and fix what held stage 2 back; to go on without them, reset stage 2's checkpoint of this partition, or rerun the query from the source with sluice backfill.`,
      { context },
    );
  }
}

/**
 * An exchange record of another format version than this release reads (written by an older or
 * newer sluice into the same internal stream). Skipping it would silently lose its rows, so the
 * batch fails until the versions match.
 */
export class ExchangeFormatVersionError extends ExchangeError {
  constructor(found: unknown, expected: number) {
    super(
      'SLUICE_EXCHANGE_FORMAT_VERSION',
      `An exchange record of format version ${String(found)} reached stage 2, which reads version ${expected}. Records of the two versions cannot be mixed: deploy the release that wrote them until the internal stream is drained (sluice status shows both stages caught up), then upgrade; or reset the query's checkpoints and rerun it from the source (sluice backfill).`,
      { context: { found: String(found), expected } },
    );
  }
}
