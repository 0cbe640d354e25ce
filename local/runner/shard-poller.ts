import type { _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import type { LocalEventSourceMapping, LocalFunction } from '../provision/index.js';
import { classifyResponse } from './batch-response.js';
import type { FailureDestinations } from './failure-destination.js';
import type { InvokeResult } from './function-pool.js';
import { lambdaEvent, lambdaRecord, MAX_PAYLOAD_BYTES, payloadBytes } from './lambda-event.js';
import { type Discarded, type PendingRecord, ShardBatches } from './shard-batches.js';
import { type ReadStart, ShardReader } from './shard-reader.js';
import { Sleeper } from './sleeper.js';

/** `GetRecords` returns at most this many records. */
const MAX_GET_RECORDS = 10_000;

/** Timing of the polling loop. */
export interface PollTiming {
  /** Pause between reads once at the tip (Lambda polls each shard about once a second). */
  readonly pollIntervalMs: number;
  /** Backoff before retry attempt n: min(max, initial × 2^(n−1)). */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** The clock record ages are measured with (epoch ms). */
  readonly now: () => number;
}

/** What a shard poller needs from its mapping. */
export interface PollerContext {
  readonly client: KinesisClient;
  readonly mapping: LocalEventSourceMapping;
  readonly fn: LocalFunction;
  readonly region: string;
  readonly timing: PollTiming;
  readonly invoke: (event: unknown) => Promise<InvokeResult>;
  readonly failures: FailureDestinations;
  /** Whether the latest shard listing showed this shard closed. */
  readonly closed: () => boolean;
  readonly onError: (error: unknown) => void;
}

/** Counters of one shard. */
export interface ShardCounters {
  recordsRead: number;
  invocations: number;
  recordsInvoked: number;
  functionErrors: number;
  partialFailures: number;
  bisects: number;
  discardedBatches: number;
  discardedRecords: number;
}

/** Counters at zero. */
export function newShardCounters(): ShardCounters {
  return {
    recordsRead: 0,
    invocations: 0,
    recordsInvoked: 0,
    functionErrors: 0,
    partialFailures: 0,
    bisects: 0,
    discardedBatches: 0,
    discardedRecords: 0,
  };
}

/**
 * One shard of an event source mapping: reads it with `GetRecords`, forms batches
 * ({@link ShardBatches}), invokes the function with at most one invocation in flight, and
 * checkpoints by the outcome — Lambda's per-shard poller.
 *
 * ```
 * loop:
 *   read a page when fewer than BatchSize records wait and the shard may have more
 *   discard records older than MaximumRecordAgeInSeconds
 *   a batch is ready (full, window elapsed, retry due, or shard ended) → invoke, settle, loop
 *   shard ended and nothing waits → done
 *   sleep until the next poll or the window's end (wake() cuts it short)
 * ```
 */
export class ShardPoller {
  readonly batches: ShardBatches;
  private readonly reader: ShardReader;
  private readonly sleeper = new Sleeper();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private ended = false;
  private inFlight = false;
  private tipReadAt = Number.NEGATIVE_INFINITY;
  private retryAt = 0;

  /** @param counters the shard's counters, kept by the mapping across restarts */
  constructor(
    readonly shardId: string,
    start: ReadStart,
    private readonly context: PollerContext,
    private readonly counters: ShardCounters = newShardCounters(),
  ) {
    const mapping = context.mapping;
    this.reader = new ShardReader(context.client, mapping.streamName, shardId, start);
    this.batches = new ShardBatches({
      batchSize: mapping.batchSize,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      maxRetryAttempts: mapping.maxRetryAttempts,
      bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
    });
  }

  /** Starts polling; `onDone` runs once the shard has ended and every record is checkpointed. */
  start(onDone: () => void): void {
    this.loop = this.run().then(() => {
      if (this.done) onDone();
    });
  }

  /** Stops after the invocation in flight, if any, has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.loop;
  }

  /** Ends the current pause: read now. */
  wake(): void {
    this.sleeper.wake();
  }

  /** The shard is closed, read to its end, and every record is checkpointed. */
  get done(): boolean {
    return this.ended && this.batches.size === 0 && !this.inFlight;
  }

  /**
   * Whether the shard is done, or a read that started at or after `since` (performance.now())
   * found its tip and nothing waits or runs.
   */
  caughtUpSince(since: number): boolean {
    return this.done || (this.tipReadAt >= since && this.batches.size === 0 && !this.inFlight);
  }

  /** What keeps the shard from being caught up, for error messages. */
  describe(): string {
    const parts = [`${this.batches.size} records waiting`];
    if (this.inFlight) parts.push('an invocation in flight');
    if (this.batches.failedAttempts > 0) parts.push(`retrying (attempt ${this.batches.failedAttempts})`);
    if (this.ended) parts.push('ended');
    return parts.join(', ');
  }

  get checkpoint(): string | undefined {
    return this.batches.checkpoint;
  }

  /** Records waiting and whether an invocation runs. */
  get pending(): { readonly buffered: number; readonly inFlight: boolean } {
    return { buffered: this.batches.size, inFlight: this.inFlight };
  }

  private async run(): Promise<void> {
    const { mapping, timing } = this.context;
    const windowMs = mapping.maxBatchingWindowMs;
    const limit = Math.min(MAX_GET_RECORDS, Math.max(2 * mapping.batchSize, 100));
    while (!this.stopped) {
      if (!this.ended && this.batches.size < mapping.batchSize) {
        const closed = this.context.closed();
        const startedAt = performance.now();
        try {
          const page = await this.reader.read(limit, closed);
          this.add(page.records);
          this.ended = page.ended;
          if (page.atTip) this.tipReadAt = startedAt;
          if (page.records.length > 0 && !page.atTip && this.batches.size < mapping.batchSize) continue;
        } catch (error) {
          this.context.onError(error);
          await this.sleeper.sleep(timing.pollIntervalMs);
          continue;
        }
      }
      const expired = this.batches.expire(timing.now(), mapping.maxRecordAgeMs);
      if (expired !== undefined) this.discard(expired, undefined);
      const now = Date.now();
      if (this.batches.ready(now, windowMs, this.ended)) {
        if (now < this.retryAt) await this.sleeper.sleep(this.retryAt - now);
        else {
          try {
            await this.invokeNext();
          } catch (error) {
            // Only a bug of the runner gets here (function errors are results): keep polling.
            this.context.onError(error);
            await this.sleeper.sleep(timing.pollIntervalMs);
          }
        }
        continue;
      }
      if (this.ended && this.batches.size === 0) return;
      const windowEnd = this.batches.windowEndsAt(windowMs);
      const untilWindow = windowEnd === undefined ? Number.POSITIVE_INFINITY : windowEnd - now;
      await this.sleeper.sleep(Math.max(0, Math.min(timing.pollIntervalMs, untilWindow)));
    }
  }

  private add(records: readonly _Record[]): void {
    if (records.length === 0) return;
    const source = {
      shardId: this.shardId,
      streamArn: this.context.mapping.streamArn,
      region: this.context.region,
      invokeIdentityArn: this.context.fn.roleArn,
    };
    const readAtMs = Date.now();
    const pending: PendingRecord[] = records.map((record) => {
      const event = lambdaRecord(record, source);
      return {
        sequenceNumber: record.SequenceNumber!,
        event,
        payloadBytes: payloadBytes(event),
        arrivalMs: record.ApproximateArrivalTimestamp?.getTime() ?? readAtMs,
        readAtMs,
      };
    });
    this.counters.recordsRead += pending.length;
    this.batches.add(pending);
  }

  private async invokeNext(): Promise<void> {
    const { mapping, timing } = this.context;
    const batch = this.batches.next();
    this.inFlight = true;
    let result: InvokeResult;
    try {
      result = await this.context.invoke(lambdaEvent(batch.map((record) => record.event)));
    } finally {
      this.inFlight = false;
    }
    this.counters.invocations++;
    this.counters.recordsInvoked += batch.length;
    const outcome = classifyResponse(result, batch, mapping.reportBatchItemFailures);
    if (outcome.kind === 'error') this.counters.functionErrors++;
    if (outcome.kind === 'partial') this.counters.partialFailures++;
    const settled = this.batches.settle(batch, outcome);
    if (settled.bisected) this.counters.bisects++;
    if (settled.discarded !== undefined)
      this.discard(settled.discarded, result, outcome.kind === 'error' ? 'Unhandled' : undefined);
    const attempts = this.batches.failedAttempts;
    this.retryAt =
      settled.retry && attempts > 0
        ? Date.now() + Math.min(timing.retryMaxMs, timing.retryInitialMs * 2 ** (attempts - 1))
        : 0;
  }

  private discard(discarded: Discarded, result: InvokeResult | undefined, functionError?: string): void {
    this.counters.discardedBatches++;
    this.counters.discardedRecords += discarded.records.length;
    this.context.failures.add(discarded, {
      mapping: this.context.mapping.logicalId,
      destination: this.context.mapping.onFailureDestination,
      functionArn: this.context.fn.arn,
      shardId: this.shardId,
      streamArn: this.context.mapping.streamArn,
      requestId: result?.requestId ?? '',
      functionError,
    });
  }
}
