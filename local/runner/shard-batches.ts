import type { KinesisStreamRecord } from 'aws-lambda';
import type { BatchOutcome } from './batch-response.js';
import { EVENT_ENVELOPE_BYTES } from './lambda-event.js';

/** A record read from the shard and not yet checkpointed. */
export interface PendingRecord {
  readonly sequenceNumber: string;
  /** The record as the Lambda event carries it. */
  readonly event: KinesisStreamRecord;
  readonly payloadBytes: number;
  /** ApproximateArrivalTimestamp, epoch ms (for the record-age limit). */
  readonly arrivalMs: number;
  /** When the runner read it, epoch ms (starts the batching window). */
  readonly readAtMs: number;
}

/** The delivery settings of an event source mapping that shape batches. */
export interface BatchSettings {
  readonly batchSize: number;
  readonly maxPayloadBytes: number;
  /** -1: retry until the records expire. */
  readonly maxRetryAttempts: number;
  readonly bisectBatchOnFunctionError: boolean;
}

/** Why records were given up on (the `condition` Lambda writes to the on-failure destination). */
export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** Records given up on, for the on-failure destination. */
export interface Discarded {
  readonly records: readonly PendingRecord[];
  readonly condition: DiscardCondition;
  /** Invocations that tried these records. */
  readonly attempts: number;
}

/** What to do after an invocation. */
export interface Settlement {
  /** Invoke again soon without waiting for the batching window (a failure or a split). */
  readonly retry: boolean;
  /** The records committed past (checkpointed), including discarded ones. */
  readonly checkpointed: number;
  readonly discarded?: Discarded;
  /** Whether the failed batch was split in two. */
  readonly bisected: boolean;
}

/**
 * One shard's records between reading and checkpointing, and the event source mapping's delivery
 * rules over them. Pure (no I/O, no clock): the shard poller feeds records and outcomes.
 *
 * ```
 * batch    = the next bisected part if any, else up to BatchSize records within the 6 MB payload
 * success  → checkpoint past the batch
 * partial  → checkpoint before the lowest reported record; retry from it
 *            (bisecting: the rest of that part is the next part)
 * error    → bisect on: split a batch of 2+ in halves, first half next (a split is not an attempt)
 *            otherwise: one more attempt of the same batch
 * attempts → counted per front record: failed invocations of a batch that starts at it, plus one
 *            when a partial failure moved the front to a failed record; past MaximumRetryAttempts
 *            the batch (or its failed rest) is discarded and checkpointed past
 * age      → records older than MaximumRecordAgeInSeconds at the front are discarded
 * ```
 */
export class ShardBatches {
  private buffer: PendingRecord[] = [];
  /** Sizes of the bisected parts still to deliver, front first. */
  private parts: number[] = [];
  private attempts = 0;
  private last: string | undefined;

  constructor(private readonly settings: BatchSettings) {}

  /** Records waiting. */
  get size(): number {
    return this.buffer.length;
  }

  /** The last sequence number checkpointed (processed or discarded), if any. */
  get checkpoint(): string | undefined {
    return this.last;
  }

  /** Failed invocations of the batch at the front so far. */
  get failedAttempts(): number {
    return this.attempts;
  }

  /** Whether the next batch is a retry (or a bisected part) rather than a new batch. */
  get retrying(): boolean {
    return this.attempts > 0 || this.parts.length > 0;
  }

  add(records: readonly PendingRecord[]): void {
    this.buffer.push(...records);
  }

  /** Forgets records not yet checkpointed (the mapping re-reads them after its checkpoint). */
  reset(): void {
    this.buffer = [];
    this.parts = [];
    this.attempts = 0;
  }

  /**
   * Whether a batch should be invoked now: a retry or a bisected part at once; otherwise when a
   * full batch (size or payload) is there, when no more records can come (`drained`), or when the
   * oldest waiting record has waited `windowMs`.
   */
  ready(nowMs: number, windowMs: number, drained: boolean): boolean {
    if (this.buffer.length === 0) return false;
    if (this.retrying || drained) return true;
    if (this.buffer.length >= this.settings.batchSize) return true;
    if (this.fitting(this.buffer.length) < this.buffer.length) return true;
    return nowMs - this.buffer[0]!.readAtMs >= windowMs;
  }

  /** Epoch ms at which the batching window of the oldest waiting record ends. */
  windowEndsAt(windowMs: number): number | undefined {
    const oldest = this.buffer[0];
    return oldest === undefined ? undefined : oldest.readAtMs + windowMs;
  }

  /** The batch to invoke next (not removed until settled). */
  next(): PendingRecord[] {
    const limit = this.parts[0] ?? this.settings.batchSize;
    return this.buffer.slice(0, this.fitting(Math.min(limit, this.buffer.length)));
  }

  /** Removes and returns the front records that arrived before `nowMs - maxAgeMs` (none for -1). */
  expire(nowMs: number, maxAgeMs: number): Discarded | undefined {
    if (maxAgeMs < 0) return undefined;
    let count = 0;
    while (count < this.buffer.length && nowMs - this.buffer[count]!.arrivalMs > maxAgeMs) count++;
    if (count === 0) return undefined;
    const attempts = this.attempts;
    const records = this.drop(count);
    return { records, condition: 'RecordAgeExceeded', attempts };
  }

  /** Applies an invocation's outcome for `batch` (which must be what {@link next} returned). */
  settle(batch: readonly PendingRecord[], outcome: BatchOutcome): Settlement {
    if (outcome.kind === 'success') {
      this.drop(batch.length);
      return { retry: false, checkpointed: batch.length, bisected: false };
    }
    if (outcome.kind === 'partial') {
      const index = batch.findIndex((record) => record.sequenceNumber === outcome.from);
      // Dropping the succeeded records also shrinks a bisected part to its failed rest.
      if (index > 0) this.drop(index);
      this.attempts++;
      return this.exhaustedOrRetry(batch.slice(Math.max(index, 0)), Math.max(index, 0));
    }
    if (this.settings.bisectBatchOnFunctionError && batch.length > 1) {
      const first = Math.ceil(batch.length / 2);
      // A part cut short by the payload limit keeps its rest as a part of its own.
      const rest = this.parts.length > 0 ? this.parts.shift()! - batch.length : 0;
      this.parts.unshift(first, batch.length - first, ...(rest > 0 ? [rest] : []));
      return { retry: true, checkpointed: 0, bisected: true };
    }
    this.attempts++;
    return this.exhaustedOrRetry(batch, 0);
  }

  /** After a failed attempt of `failed` (at the front): discard it if retries are used up. */
  private exhaustedOrRetry(failed: readonly PendingRecord[], checkpointed: number): Settlement {
    const max = this.settings.maxRetryAttempts;
    if (max < 0 || this.attempts <= max) return { retry: true, checkpointed, bisected: false };
    const attempts = this.attempts;
    const records = this.drop(failed.length);
    return {
      retry: false,
      checkpointed: checkpointed + records.length,
      bisected: false,
      discarded: { records, condition: 'RetryAttemptsExhausted', attempts },
    };
  }

  /** Removes `count` records from the front, checkpoints past them, and adjusts the parts. */
  private drop(count: number): PendingRecord[] {
    const dropped = this.buffer.splice(0, count);
    if (dropped.length === 0) return dropped;
    this.last = dropped.at(-1)!.sequenceNumber;
    this.attempts = 0;
    let left = dropped.length;
    while (left > 0 && this.parts.length > 0) {
      const part = this.parts[0]!;
      if (part <= left) {
        this.parts.shift();
        left -= part;
      } else {
        this.parts[0] = part - left;
        left = 0;
      }
    }
    return dropped;
  }

  /** How many of the first `count` records fit in one invocation payload (at least one). */
  private fitting(count: number): number {
    let bytes = EVENT_ENVELOPE_BYTES;
    for (let i = 0; i < count; i++) {
      bytes += this.buffer[i]!.payloadBytes;
      if (bytes > this.settings.maxPayloadBytes) return Math.max(1, i);
    }
    return count;
  }
}
