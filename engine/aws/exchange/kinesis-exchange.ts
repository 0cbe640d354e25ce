import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { bucketHashKey } from '../../exchange/buckets.js';
import { ExchangeGapError, ExchangePutFailedError } from '../../exchange/errors.js';
import type {
  ExchangeRecord,
  ExchangeTransport,
  MarkerRecord,
  PositionedRecord,
  RowsRecord,
} from '../../exchange/exchange-record.js';
import { DEFAULT_MAX_EXCHANGE_RECORD_BYTES } from '../../exchange/memory-exchange.js';
import { comparePositions, type ExchangePosition } from '../../exchange/positions.js';
import { decodeExchangeRecord, encodeExchangeRecord } from '../../exchange/record-codec.js';
import type { StreamShards } from '../../reshard/lineage.js';
import { streamNameOf } from '../kinesis/refetch.js';
import { streamShards } from '../resharding/shard-lineage.js';

/** Kinesis PutRecords limits: 500 records and 5 MiB (data + partition keys) per request. */
export const PUT_RECORDS_MAX_ENTRIES = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
/** Attempts per put of records Kinesis rejects (throttled, internal failure). @default 8 */
export const DEFAULT_PUT_ATTEMPTS = 8;
/** GetRecords pages per read, a guard against a read that never reaches the tip. */
const MAX_PAGES_PER_READ = 10_000;

/** An open shard of the internal stream. */
export interface InternalShard {
  readonly shardId: string;
  readonly startingHashKey: string;
}

/** A read whose start record was past the internal stream's retention, with nothing waiting there. */
export interface TrimmedRead {
  readonly shardId: string;
  readonly after: string;
  readonly firstHeld?: string;
}

export interface KinesisExchangeOptions {
  readonly client: KinesisClient;
  /** The internal stream (name or ARN). */
  readonly stream: string;
  /** Its open shards, if already listed (see {@link listInternalShards}); listed on first use otherwise. */
  readonly shards?: readonly InternalShard[];
  /** @default {@link DEFAULT_PUT_ATTEMPTS} */
  readonly putAttempts?: number;
  /** Backoff between put attempts. @default 50 ms × 2^attempt, at most 2 s */
  readonly backoffMs?: (attempt: number) => number;
  /** Told of each tolerated trimmed read (the handler counts `GapsPastRetention`). */
  readonly onTrimmed?: (read: TrimmedRead) => void;
}

/** Marker rounds before giving up on a stream that keeps being resharded under the writer. */
const MAX_MARKER_ROUNDS = 5;

/**
 * The exchange on an internal Kinesis stream (DESIGN.md, "Exchange"): a `rows` record is put with
 * its bucket's hash key as `ExplicitHashKey` (`bucketHashKey`), so Kinesis places it in whichever
 * open shard holds that hash, before and after a split or merge; partitions are the shards
 * themselves, named by shard id. Records are `encodeExchangeRecord` bytes.
 *
 * `put` resolves only when Kinesis acknowledged every record:
 * ```
 * for each chunk of ≤ 500 entries and ≤ 5 MiB:
 *   repeat up to putAttempts: PutRecords(chunk); chunk = the entries that failed; back off
 *   entries still failing → ExchangePutFailedError (the batch fails before its marker; its replay re-puts)
 * ```
 * `putMarker` puts one copy per open shard, with the shard's starting hash key; the open shards are
 * listed once and kept, and every PutRecords result names the shard a copy landed in, so a reshard
 * shows itself:
 * ```
 * repeat: put a copy to each known open shard
 *         every copy landed in the shard it was meant for → done
 *         else (a shard closed: its hash now lands in a child) → list the open shards again; repeat
 * ```
 * Duplicate markers are harmless (stage 2 applies an origin batch once).
 *
 * `read` is `GetShardIterator` (at the last position read, checking it is still held; or the
 * oldest record) and `GetRecords` until the tip or past `upTo`; positions are sequence numbers.
 */
export class KinesisExchange implements ExchangeTransport {
  readonly maxRecordBytes = DEFAULT_MAX_EXCHANGE_RECORD_BYTES;
  private open: Promise<readonly InternalShard[]> | undefined;

  constructor(private readonly options: KinesisExchangeOptions) {
    if (options.shards !== undefined) this.open = Promise.resolve(options.shards);
  }

  async put(records: readonly RowsRecord[]): Promise<void> {
    const entries: PutRecordsRequestEntry[] = records.map((record) => ({
      Data: encodeExchangeRecord(record),
      PartitionKey: partitionKeyOf(record.origin),
      ExplicitHashKey: bucketHashKey(record.bucket).toString(),
    }));
    for (const chunk of chunks(entries)) await this.putChunk(chunk);
  }

  async putMarker(marker: MarkerRecord): Promise<void> {
    const data = encodeExchangeRecord(marker);
    for (let round = 0; round < MAX_MARKER_ROUNDS; round++) {
      const shards = await this.openShards(round > 0);
      const entries = shards.map((shard) => ({
        Data: data,
        PartitionKey: partitionKeyOf(marker.origin),
        ExplicitHashKey: shard.startingHashKey,
      }));
      const landed: string[] = [];
      for (const chunk of chunks(entries)) landed.push(...(await this.putChunk(chunk)));
      if (landed.every((shardId, i) => shardId === shards[i]!.shardId)) return;
    }
    throw new ExchangePutFailedError({
      partition: 'every open shard',
      failed: 1,
      attempts: MAX_MARKER_ROUNDS,
      lastError: 'the internal stream kept being resharded while the marker was put',
    });
  }

  async read(
    partition: string,
    after: ExchangePosition | undefined,
    upTo?: ExchangePosition,
    options?: { readonly tolerateTrim?: boolean },
  ): Promise<PositionedRecord[]> {
    const { client, stream } = this.options;
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        ...streamRef(stream),
        ShardId: partition,
        ...(after === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: after }),
      }),
    );
    const found: PositionedRecord[] = [];
    // The first record must be `after` itself: otherwise it passed the retention.
    let checkStart = after !== undefined;
    let iterator = ShardIterator;
    for (let page = 0; iterator !== undefined && page < MAX_PAGES_PER_READ; page++) {
      const response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = response.Records ?? [];
      for (const record of records) {
        const position = record.SequenceNumber!;
        if (checkStart) {
          checkStart = false;
          if (position === after) continue;
          this.trimmed(partition, after!, position, options);
        }
        if (upTo !== undefined && comparePositions(position, upTo) > 0) return found;
        const decoded = decodeRecord(record);
        if (decoded !== undefined) found.push({ position, record: decoded });
      }
      if (upTo !== undefined && found.length > 0 && found.at(-1)!.position === upTo) return found;
      if (records.length === 0 && (response.MillisBehindLatest ?? 0) === 0) break;
      iterator = response.NextShardIterator;
    }
    if (checkStart) this.trimmed(partition, after!, undefined, options);
    return found;
  }

  async partitions(): Promise<StreamShards> {
    return streamShards(this.options.client, streamNameOf(this.options.stream));
  }

  private trimmed(
    shardId: string,
    after: string,
    firstHeld: string | undefined,
    options: { readonly tolerateTrim?: boolean } | undefined,
  ): void {
    if (options?.tolerateTrim !== true) throw new ExchangeGapError(shardId, after, firstHeld);
    this.options.onTrimmed?.({ shardId, after, ...(firstHeld === undefined ? {} : { firstHeld }) });
  }

  private openShards(relist: boolean): Promise<readonly InternalShard[]> {
    if (relist || this.open === undefined) {
      const listing = listInternalShards(this.options.client, this.options.stream);
      this.open = listing;
      listing.catch(() => {
        if (this.open === listing) this.open = undefined; // list again next time
      });
    }
    return this.open!;
  }

  /** Puts a chunk until every entry is acknowledged; returns the shard each entry landed in. */
  private async putChunk(chunk: readonly PutRecordsRequestEntry[]): Promise<string[]> {
    const attempts = this.options.putAttempts ?? DEFAULT_PUT_ATTEMPTS;
    const backoff = this.options.backoffMs ?? ((attempt: number) => Math.min(2000, 50 * 2 ** attempt));
    const landed: string[] = new Array(chunk.length);
    let pending = chunk.map((_, i) => i);
    let lastError: string | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      const response = await this.options.client.send(
        new PutRecordsCommand({ ...streamRef(this.options.stream), Records: pending.map((i) => chunk[i]!) }),
      );
      const results = response.Records ?? [];
      const failed: number[] = [];
      pending.forEach((entry, i) => {
        const result = results[i];
        if (result === undefined || result.ErrorCode !== undefined || result.ShardId === undefined) {
          failed.push(entry);
          if (result?.ErrorCode !== undefined) lastError = result.ErrorCode;
        } else landed[entry] = result.ShardId;
      });
      pending = failed;
      if (pending.length === 0) return landed;
    }
    throw new ExchangePutFailedError({
      partition: 'by hash key',
      failed: pending.length,
      attempts,
      ...(lastError === undefined ? {} : { lastError }),
    });
  }
}

/** The open shards of the internal stream in hash-key order. */
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

/** The partition key of an entry: the origin (it does not route; the explicit hash key does). */
function partitionKeyOf(origin: string): string {
  return origin.slice(0, 256) || 'exchange';
}
