import type { Row } from '../types.js';

/**
 * An input that could not be processed, kept with everything needed to inspect and replay it:
 * the original bytes (base64) for records that failed decoding or validation, the row for rows an
 * operator rejected. Dead letters never block a batch; they are written with its outputs.
 */
export interface DeadLetter {
  /** Why it was set aside, e.g. `malformed JSON: Unexpected token } in JSON at position 9`. */
  readonly reason: string;
  /** The source (stream) it came from, when known. */
  readonly source?: string;
  /** Its position in the source (a Kinesis sequence number). */
  readonly position?: string;
  /** The Kinesis partition key, when it came from Kinesis. */
  readonly partitionKey?: string;
  /** The original bytes, base64-encoded. */
  readonly data?: string;
  /** The decoded row, when the failure happened after decoding. */
  readonly row?: Row;
  /** The operator that rejected the row, when one did. */
  readonly operator?: string;
}

/** Where a row came from, so a row set aside later (poison isolation) keeps its bytes and position. */
export interface RecordOrigin {
  /** Its position in the source (a Kinesis sequence number). */
  readonly position?: string;
  /** The Kinesis partition key. */
  readonly partitionKey?: string;
  /** The original bytes, base64-encoded. */
  readonly data?: string;
  /** When the source accepted the record (Kinesis approximate arrival time, epoch ms). */
  readonly arrivalMs?: number;
}

/** A batch's input: rows per source in sequence order, and the records that failed decoding. */
export interface BatchInput {
  readonly rows: ReadonlyMap<string, readonly Row[]>;
  readonly deadLetters: readonly DeadLetter[];
  /**
   * Event time the input has seen besides its rows' (an exchange's end-of-batch markers carry the
   * origin batches' max event time): counted at every `withWatermark`, so stage 2's watermark
   * follows stage 1's progress even when no rows reach this partition.
   */
  readonly eventTimeMs?: number;
  /**
   * Event time seen per source besides its rows' (stage 2 reading several exchanged inputs: each
   * input's markers): counted only at the `withWatermark` operators above that source.
   */
  readonly sourceEventTimesMs?: ReadonlyMap<string, number>;
  /**
   * Where the row at `index` of `source`'s rows came from, when the source knows. A function, not
   * a list per row, so the hot path allocates nothing for it: only poison isolation asks.
   */
  readonly originOf?: (source: string, index: number) => RecordOrigin | undefined;
}
