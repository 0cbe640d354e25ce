import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { ExchangePutFailedError } from '../../exchange/errors.js';
import type { ExchangeRecord, ExchangeTransport, PositionedRecord } from '../../exchange/exchange-record.js';
import { DEFAULT_MAX_EXCHANGE_RECORD_BYTES } from '../../exchange/memory-exchange.js';
import { comparePositions, type ExchangePosition } from '../../exchange/positions.js';
import { decodeExchangeRecord, encodeExchangeRecord } from '../../exchange/record-codec.js';
import { streamNameOf } from '../kinesis/refetch.js';

/** Kinesis PutRecords limits: 500 records and 5 MiB (data + partition keys) per request. */
export const PUT_RECORDS_MAX_ENTRIES = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
/** Attempts per put of records Kinesis rejects (throttled, internal failure). @default 8 */
export const DEFAULT_PUT_ATTEMPTS = 8;
/** GetRecords pages per read, a guard against a read that never reaches the tip. */
const MAX_PAGES_PER_READ = 10_000;

/** An open shard of the internal stream; partition `i` is the `i`-th by starting hash key. */
export interface InternalShard {
  readonly shardId: string;
  readonly startingHashKey: string;
}

export interface KinesisExchangeOptions {
  readonly client: KinesisClient;
  /** The internal stream (name or ARN). */
  readonly stream: string;
  /** Its open shards, in hash-key order (see {@link listInternalShards}). */
  readonly shards: readonly InternalShard[];
  /** @default {@link DEFAULT_PUT_ATTEMPTS} */
  readonly putAttempts?: number;
  /** Backoff between put attempts. @default 50 ms × 2^attempt, at most 2 s */
  readonly backoffMs?: (attempt: number) => number;
}

/**
 * The exchange on an internal Kinesis stream (DESIGN.md, "Exchange"): internal partition `i` is
 * the stream's `i`-th open shard, which a record reaches by an explicit hash key (the shard's
 * starting hash key), whatever its partition key. Records are `encodeExchangeRecord` bytes.
 *
 * `put` resolves only when Kinesis acknowledged every record:
 * ```
 * entries = records as PutRecords entries (ExplicitHashKey = the shard's start)
 * for each chunk of ≤ 500 entries and ≤ 5 MiB:
 *   repeat up to putAttempts: PutRecords(chunk); chunk = the entries that failed; back off
 *   entries still failing → ExchangePutFailedError (the batch fails before its marker; its replay re-puts)
 * ```
 * A retried entry may land after entries of the same chunk: order among a batch's `rows` records
 * does not matter (stage 2 orders them by index), and the marker is put only after they all landed.
 *
 * `read` is `GetShardIterator` (after a sequence number, or the oldest record) and `GetRecords`
 * until the tip or past `upTo`; positions are sequence numbers.
 */
export class KinesisExchange implements ExchangeTransport {
  readonly partitionCount: number;
  readonly maxRecordBytes = DEFAULT_MAX_EXCHANGE_RECORD_BYTES;

  constructor(private readonly options: KinesisExchangeOptions) {
    if (options.shards.length === 0)
      throw new RangeError(`The internal stream ${options.stream} has no open shard.`);
    this.partitionCount = options.shards.length;
  }

  async put(partition: number, records: readonly ExchangeRecord[]): Promise<void> {
    const shard = this.shard(partition);
    const entries: PutRecordsRequestEntry[] = records.map((record) => ({
      Data: encodeExchangeRecord(record),
      PartitionKey: record.origin.slice(0, 256) || 'exchange',
      ExplicitHashKey: shard.startingHashKey,
    }));
    for (const chunk of chunks(entries)) await this.putChunk(partition, chunk);
  }

  async read(
    partition: number,
    after: ExchangePosition | undefined,
    upTo?: ExchangePosition,
  ): Promise<PositionedRecord[]> {
    const { client, stream } = this.options;
    const shard = this.shard(partition);
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        ...streamRef(stream),
        ShardId: shard.shardId,
        ...(after === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }),
      }),
    );
    const found: PositionedRecord[] = [];
    let iterator = ShardIterator;
    for (let page = 0; iterator !== undefined && page < MAX_PAGES_PER_READ; page++) {
      const response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = response.Records ?? [];
      for (const record of records) {
        const position = record.SequenceNumber!;
        if (upTo !== undefined && comparePositions(position, upTo) > 0) return found;
        const decoded = decodeRecord(record);
        if (decoded !== undefined) found.push({ position, record: decoded });
      }
      if (upTo !== undefined && found.length > 0 && found.at(-1)!.position === upTo) return found;
      if (records.length === 0 && (response.MillisBehindLatest ?? 0) === 0) break;
      iterator = response.NextShardIterator;
    }
    return found;
  }

  /**
   * The internal partition an internal shard is (its index by starting hash key), or `undefined`
   * for a shard that was not open when the exchange was built (the internal stream was resharded).
   */
  partitionOf(shardId: string): number | undefined {
    const index = this.options.shards.findIndex((shard) => shard.shardId === shardId);
    return index < 0 ? undefined : index;
  }

  private shard(partition: number): InternalShard {
    const shard = this.options.shards[partition];
    if (shard === undefined)
      throw new RangeError(`No internal partition ${partition} (${this.partitionCount} shards).`);
    return shard;
  }

  private async putChunk(partition: number, chunk: readonly PutRecordsRequestEntry[]): Promise<void> {
    const attempts = this.options.putAttempts ?? DEFAULT_PUT_ATTEMPTS;
    const backoff = this.options.backoffMs ?? ((attempt: number) => Math.min(2000, 50 * 2 ** attempt));
    let pending = chunk;
    let lastError: string | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      const response = await this.options.client.send(
        new PutRecordsCommand({ ...streamRef(this.options.stream), Records: [...pending] }),
      );
      if (!response.FailedRecordCount) return;
      const results = response.Records ?? [];
      const failed = pending.filter(
        (_, i) => results[i]?.ErrorCode !== undefined || results[i] === undefined,
      );
      lastError = results.find((r) => r.ErrorCode !== undefined)?.ErrorCode;
      pending = failed;
      if (pending.length === 0) return;
    }
    throw new ExchangePutFailedError({
      partition,
      failed: pending.length,
      attempts,
      ...(lastError === undefined ? {} : { lastError }),
    });
  }
}

/** The open shards of the internal stream in hash-key order: the exchange's partitions. */
export async function listInternalShards(client: KinesisClient, stream: string): Promise<InternalShard[]> {
  const shards: InternalShard[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListShardsCommand(nextToken === undefined ? streamRef(stream) : { NextToken: nextToken }),
    );
    for (const shard of page.Shards ?? []) {
      if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) continue;
      shards.push({ shardId: shard.ShardId!, startingHashKey: shard.HashKeyRange!.StartingHashKey! });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return shards.sort((a, b) => {
    const x = BigInt(a.startingHashKey);
    const y = BigInt(b.startingHashKey);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function decodeRecord(record: _Record): ExchangeRecord | undefined {
  return record.Data === undefined ? undefined : decodeExchangeRecord(record.Data);
}

/** By name (from an ARN too): emulators take names only. */
function streamRef(stream: string): { StreamName: string } {
  return { StreamName: streamNameOf(stream) };
}

/** Entries in PutRecords-sized chunks, in order. */
function chunks(entries: readonly PutRecordsRequestEntry[]): PutRecordsRequestEntry[][] {
  const result: PutRecordsRequestEntry[][] = [];
  let current: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entry.Data!.byteLength + Buffer.byteLength(entry.PartitionKey!, 'utf8');
    if (
      current.length > 0 &&
      (current.length === PUT_RECORDS_MAX_ENTRIES || bytes + size > PUT_RECORDS_MAX_BYTES)
    ) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
