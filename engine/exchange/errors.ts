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
  constructor(context: { partition: number; failed: number; attempts: number; lastError?: string }) {
    super(
      'SLUICE_EXCHANGE_PUT_FAILED',
      `${context.failed} exchange record(s) for internal partition ${context.partition} were still rejected after ${context.attempts} attempts (last: ${context.lastError ?? 'unknown'}). The batch is retried from its WAL entry; if it persists, raise the internal stream's shard count (exchangeShards).`,
      { context },
    );
  }
}
