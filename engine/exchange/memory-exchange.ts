import { type HashRange, inRange, type ShardLineage, type StreamShards } from '../reshard/lineage.js';
import { bucketHashKey } from './buckets.js';
import { ExchangeGapError } from './errors.js';
import type {
  ExchangeRecord,
  ExchangeTransport,
  MarkerRecord,
  PositionedRecord,
  RowsRecord,
} from './exchange-record.js';
import { comparePositions, type ExchangePosition } from './positions.js';

/** Kinesis's record limit, the default of every transport. */
export const DEFAULT_MAX_EXCHANGE_RECORD_BYTES = 1024 * 1024;

const HASH_SPACE = 1n << 128n;

interface Partition {
  lineage: ShardLineage;
  /** Records still held, with their positions `"1"`, `"2"`, … (trimmed ones are gone). */
  log: Array<{ position: number; record: ExchangeRecord }>;
  next: number;
}

/**
 * The exchange in memory, for the test kit: partitions `exchange-0` … `exchange-<n−1>` own equal
 * slices of the 128-bit hash space, each an array with positions `"1"`, `"2"`, …. Like a Kinesis
 * stream it can be resharded while a query runs (`split`, `merge`: the partition closes and its
 * children, `exchange-<n>`, … own its range from then on) and can lose old records (`trim`, the
 * stream's retention).
 */
export class MemoryExchange implements ExchangeTransport {
  private readonly byId = new Map<string, Partition>();
  /** Reads that found their start trimmed with `tolerateTrim` (tests check them). */
  readonly trimmedReads: Array<{ partition: string; after: string; firstHeld?: string }> = [];
  private created = 0;

  constructor(
    partitionCount = 2,
    readonly maxRecordBytes: number = DEFAULT_MAX_EXCHANGE_RECORD_BYTES,
  ) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new RangeError(`An exchange needs at least one partition, got ${partitionCount}.`);
    }
    const count = BigInt(partitionCount);
    for (let i = 0n; i < count; i++) {
      this.add([], { start: (HASH_SPACE * i) / count, end: (HASH_SPACE * (i + 1n)) / count - 1n });
    }
  }

  async put(records: readonly RowsRecord[]): Promise<void> {
    for (const record of records) this.append(this.openHolding(bucketHashKey(record.bucket)), record);
  }

  async putMarker(marker: MarkerRecord): Promise<void> {
    for (const partition of this.byId.values()) if (!partition.lineage.closed) this.append(partition, marker);
  }

  /**
   * Puts a marker into one open partition, as a Kinesis writer does copy by copy (tests put a
   * marker's copies around a reshard with it).
   */
  putMarkerTo(partition: string, marker: MarkerRecord): void {
    this.append(this.open(partition), marker);
  }

  async read(
    partition: string,
    after: ExchangePosition | undefined,
    upTo?: ExchangePosition,
    options?: { readonly tolerateTrim?: boolean },
  ): Promise<PositionedRecord[]> {
    const { log, next } = this.partition(partition);
    const from = after === undefined ? 0 : Number(after);
    // The record at `after` is gone (as Kinesis tells it: the position itself is no longer held).
    const firstHeld = log[0]?.position ?? next;
    if (after !== undefined && firstHeld > from) {
      const held = log[0] === undefined ? undefined : String(firstHeld);
      if (options?.tolerateTrim !== true) throw new ExchangeGapError(partition, after, held);
      this.trimmedReads.push({ partition, after, ...(held === undefined ? {} : { firstHeld: held }) });
    }
    const found: PositionedRecord[] = [];
    for (const { position, record } of log) {
      if (position <= from) continue;
      if (upTo !== undefined && comparePositions(String(position), upTo) > 0) break;
      found.push({ position: String(position), record: structuredClone(record) });
    }
    return found;
  }

  async partitions(): Promise<StreamShards> {
    return new Map([...this.byId].map(([id, partition]) => [id, { ...partition.lineage }]));
  }

  /** The open partitions' ids, in hash order. */
  openPartitions(): string[] {
    return [...this.byId.values()]
      .filter((partition) => !partition.lineage.closed)
      .sort((a, b) => (a.lineage.hashRange.start < b.lineage.hashRange.start ? -1 : 1))
      .map((partition) => partition.lineage.shardId);
  }

  /** Splits an open partition at hash `at` (default: the middle of its range); returns the two children. */
  split(partition: string, at?: bigint): [string, string] {
    const parent = this.open(partition);
    const { start, end } = parent.lineage.hashRange;
    const cut = at ?? start + (end - start + 1n) / 2n;
    if (cut <= start || cut > end) throw new RangeError(`Cannot split ${partition} at ${cut}.`);
    parent.lineage = { ...parent.lineage, closed: true };
    return [this.add([partition], { start, end: cut - 1n }), this.add([partition], { start: cut, end })];
  }

  /** Merges two open partitions with adjacent ranges; returns the child. */
  merge(a: string, b: string): string {
    const [low, high] = [this.open(a), this.open(b)].sort((x, y) =>
      x.lineage.hashRange.start < y.lineage.hashRange.start ? -1 : 1,
    ) as [Partition, Partition];
    if (low.lineage.hashRange.end + 1n !== high.lineage.hashRange.start)
      throw new RangeError(`Partitions ${a} and ${b} are not adjacent.`);
    low.lineage = { ...low.lineage, closed: true };
    high.lineage = { ...high.lineage, closed: true };
    return this.add([low.lineage.shardId, high.lineage.shardId], {
      start: low.lineage.hashRange.start,
      end: high.lineage.hashRange.end,
    });
  }

  /** Drops a partition's records up to `position` (inclusive), as retention does. */
  trim(partition: string, position: ExchangePosition): void {
    const target = this.partition(partition);
    target.log = target.log.filter((entry) => entry.position > Number(position));
  }

  /** Every record still held by a partition (tests inspect duplicates and markers). */
  records(partition: string): readonly ExchangeRecord[] {
    return this.partition(partition).log.map((entry) => entry.record);
  }

  private add(parents: string[], hashRange: HashRange): string {
    const shardId = `exchange-${this.created++}`;
    this.byId.set(shardId, { lineage: { shardId, parents, hashRange, closed: false }, log: [], next: 1 });
    return shardId;
  }

  private append(partition: Partition, record: ExchangeRecord): void {
    partition.log.push({ position: partition.next++, record: structuredClone(record) });
  }

  private partition(id: string): Partition {
    const partition = this.byId.get(id);
    if (partition === undefined) throw new RangeError(`No exchange partition ${id}.`);
    return partition;
  }

  private open(id: string): Partition {
    const partition = this.partition(id);
    if (partition.lineage.closed) throw new RangeError(`Exchange partition ${id} is closed.`);
    return partition;
  }

  private openHolding(hash: bigint): Partition {
    for (const partition of this.byId.values()) {
      if (!partition.lineage.closed && inRange(hash, partition.lineage.hashRange)) return partition;
    }
    throw new Error(`No open exchange partition holds hash ${hash}.`);
  }
}
