/** A row: a plain object with named columns. Event-time columns hold epoch milliseconds. */
export type Row = Record<string, unknown>;

/** Batch ids are unique and increasing per query. */
export type BatchId = number;

/** Epoch milliseconds. */
export type TimestampMs = number;

/** The output modes of Spark Structured Streaming. */
export type OutputMode = 'append' | 'update' | 'complete';

/** A `[start, end)` time window in epoch milliseconds. */
export interface TimeWindow {
  readonly start: TimestampMs;
  readonly end: TimestampMs;
}

/** Durations are milliseconds or strings such as `'10 minutes'`. */
export type Duration = number | string;
