import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { KINESIS_LIMITS } from './json-lines.js';

/** One record to put. `lineNumber` (when it came from a file) names it in failure reports. */
export interface PushRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly lineNumber?: number;
}

/** A record Kinesis refused on every attempt. */
export interface FailedRecord {
  readonly lineNumber?: number;
  readonly partitionKey: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** What a push did so far. */
export interface PushStats {
  /** Records Kinesis accepted. */
  pushed: number;
  /** Records that needed more than one attempt. */
  retried: number;
  /** PutRecords calls made. */
  calls: number;
  /** Accepted records per shard id. */
  readonly perShard: Map<string, number>;
  readonly failed: FailedRecord[];
  /**
   * Records accepted ahead of an earlier record of the same partition key that failed in the same
   * call (PutRecords' own caveat); always 0 with `strictOrder`.
   */
  reordered: number;
}

/** Options of {@link RecordPusher}. */
export interface RecordPusherOptions {
  readonly client: KinesisClient;
  readonly stream: string;
  /**
   * At most one record per partition key in each call, so a failed record is always retried
   * before any later record of its key is sent (slower when there are few keys).
   * @default false
   */
  readonly strictOrder?: boolean;
  /** Attempts per record before it counts as failed. @default {@link DEFAULT_MAX_ATTEMPTS} */
  readonly maxAttempts?: number;
  /** Called after every PutRecords call. */
  readonly onProgress?: (stats: Readonly<PushStats>) => void;
  /** Wait before a retry round, by round number (1, 2, ...). @default exponential backoff with jitter */
  readonly backoff?: (round: number) => Promise<void>;
  /**
   * Decides whether an error thrown by a whole PutRecords call ends the push (returns the error
   * to throw) or counts as a failure of every record in the call (returns `undefined`).
   * @default every thrown error ends the push
   */
  readonly onCallError?: (error: unknown) => unknown;
}

/** Attempts per record (the first one included). */
export const DEFAULT_MAX_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/** Exponential backoff with full jitter: up to 100 ms · 2^(round-1), capped at 5 s. */
export function exponentialBackoff(round: number): Promise<void> {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (round - 1));
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  return new Promise((resolve) => setTimeout(resolve, delay));
}

interface Pending extends PushRecord {
  attempts: number;
}

/**
 * Puts records into a Kinesis stream with PutRecords: up to 500 records and 5 MiB per call, calls
 * one after another so that input order carries across calls. Records a call reports as failed
 * (throttling, internal errors) go back to the front of the queue, ahead of every later record,
 * and are retried after a backoff; a record that fails `maxAttempts` times is reported in
 * `stats.failed` and the rest go on.
 *
 * Order per partition key: records of a key are sent in input order and a failed record is
 * resent before any later record of its key is *sent*. Within one call Kinesis may still accept a
 * later record of the key after rejecting an earlier one (PutRecords does not guarantee order
 * under partial failure); such records are counted in `stats.reordered`. `strictOrder` rules that
 * out by sending at most one record per key per call.
 *
 * @example
 * const pusher = new RecordPusher({ client, stream: 'page-views' });
 * for (const record of records) await pusher.push(record);
 * const stats = await pusher.flush();
 */
export class RecordPusher {
  readonly stats: PushStats = {
    pushed: 0,
    retried: 0,
    calls: 0,
    perShard: new Map(),
    failed: [],
    reordered: 0,
  };
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private failureRounds = 0;
  private readonly maxAttempts: number;
  private readonly backoff: (round: number) => Promise<void>;

  constructor(private readonly options: RecordPusherOptions) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoff = options.backoff ?? exponentialBackoff;
  }

  /** Queues a record; sends a call whenever a full one is ready. */
  async push(record: PushRecord): Promise<void> {
    this.queue.push({ ...record, attempts: 0 });
    this.queuedBytes += sizeOf(record);
    while (
      this.queue.length >= KINESIS_LIMITS.maxRecordsPerCall ||
      this.queuedBytes >= KINESIS_LIMITS.maxBytesPerCall
    ) {
      await this.sendOneCall();
    }
  }

  /** Sends everything queued (with retries) and returns the totals. */
  async flush(): Promise<PushStats> {
    while (this.queue.length > 0) await this.sendOneCall();
    return this.stats;
  }

  private takeCall(): Pending[] {
    const call: Pending[] = [];
    const keys = new Set<string>();
    const rest: Pending[] = [];
    let bytes = 0;
    let full = false;
    for (const record of this.queue) {
      const size = sizeOf(record);
      // Once the call is full nothing later may join it, or a record could overtake one of its key.
      full ||=
        call.length >= KINESIS_LIMITS.maxRecordsPerCall ||
        (call.length > 0 && bytes + size > KINESIS_LIMITS.maxBytesPerCall);
      if (full || (this.options.strictOrder === true && keys.has(record.partitionKey))) {
        rest.push(record);
        continue;
      }
      call.push(record);
      keys.add(record.partitionKey);
      bytes += size;
    }
    this.queue = rest;
    this.queuedBytes -= bytes;
    return call;
  }

  private async sendOneCall(): Promise<void> {
    if (this.failureRounds > 0) await this.backoff(this.failureRounds);
    const call = this.takeCall();
    if (call.length === 0) return;
    const entries: PutRecordsRequestEntry[] = call.map((record) => ({
      PartitionKey: record.partitionKey,
      Data: record.data,
    }));
    let results: { ShardId?: string; ErrorCode?: string; ErrorMessage?: string }[];
    try {
      const response = await this.options.client.send(
        new PutRecordsCommand({ StreamName: this.options.stream, Records: entries }),
      );
      results = response.Records ?? [];
    } catch (error) {
      const fatal = this.options.onCallError === undefined ? error : this.options.onCallError(error);
      if (fatal !== undefined) throw fatal;
      const name = (error as Error).name ?? 'Error';
      results = call.map(() => ({ ErrorCode: name, ErrorMessage: (error as Error).message }));
    }
    this.stats.calls += 1;

    const retry: Pending[] = [];
    const failedKeys = new Set<string>();
    call.forEach((record, index) => {
      const result = results[index] ?? {
        ErrorCode: 'MissingResult',
        ErrorMessage: 'no result for the record',
      };
      if (result.ErrorCode === undefined || result.ErrorCode === null) {
        if (record.attempts > 0) this.stats.retried += 1;
        if (failedKeys.has(record.partitionKey)) this.stats.reordered += 1;
        this.stats.pushed += 1;
        const shard = result.ShardId ?? 'unknown';
        this.stats.perShard.set(shard, (this.stats.perShard.get(shard) ?? 0) + 1);
        return;
      }
      failedKeys.add(record.partitionKey);
      record.attempts += 1;
      if (record.attempts >= this.maxAttempts) {
        this.stats.failed.push({
          ...(record.lineNumber === undefined ? {} : { lineNumber: record.lineNumber }),
          partitionKey: record.partitionKey,
          errorCode: result.ErrorCode,
          errorMessage: result.ErrorMessage ?? '',
        });
      } else {
        retry.push(record);
      }
    });
    if (retry.length > 0) {
      // Failed records go ahead of everything queued after them (they came earlier in the input).
      this.queue = [...retry, ...this.queue];
      this.queuedBytes += retry.reduce((sum, record) => sum + sizeOf(record), 0);
      this.failureRounds += 1;
    } else {
      this.failureRounds = 0;
    }
    this.options.onProgress?.(this.stats);
  }
}

function sizeOf(record: PushRecord): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey);
}
