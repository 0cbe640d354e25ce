import type { StreamShards } from '../reshard/lineage.js';
import type { BatchId, Row, TimestampMs } from '../types.js';
import type { ExchangePosition } from './positions.js';

/** The exchange's record format version (docs/architecture.md, "The exchange protocol"). */
export const EXCHANGE_FORMAT_VERSION = 2;

/**
 * Rows of origin batch (`origin`, `batchId`) whose routing keys fall in hash bucket `bucket`
 * (`buckets.ts`), packed; `index` numbers the batch's records of that bucket from 0. The bucket,
 * not the partition, routes the record (its hash key), so routing, packing and indices depend only
 * on the batch's rows: a replay re-puts byte-identical records whatever the partitions are then,
 * and stage 2 drops a re-put record by (origin, batchId, bucket, index).
 */
export interface RowsRecord {
  readonly v: 2;
  readonly kind: 'rows';
  /**
   * The exchange's name when stage 2 reads several inputs (a join's sides, a union's inputs, each
   * written by its own stage 1); absent, the record belongs to stage 2's only input.
   */
  readonly input?: string;
  readonly origin: string;
  readonly batchId: BatchId;
  readonly bucket: number;
  readonly index: number;
  readonly rows: readonly Row[];
}

/**
 * The end of origin batch (`origin`, `batchId`), put to every open partition only after all of
 * the batch's `rows` records were acknowledged; it carries the batch's max event time (the
 * origin's progress, from which stage 2 takes its watermark) and its record count per bucket.
 */
export interface MarkerRecord {
  readonly v: 2;
  readonly kind: 'marker';
  /** As a rows record's: the input whose watermark the marker's event time moves. */
  readonly input?: string;
  readonly origin: string;
  readonly batchId: BatchId;
  readonly maxEventTimeMs?: TimestampMs;
  /**
   * How many `rows` records the batch put per bucket (buckets with none left out): stage 2 checks
   * it has every one of its range's before applying the batch, so a lost record (past the
   * retention) fails loudly instead of silently dropping rows.
   */
  readonly records: Readonly<Record<string, number>>;
}

/** What travels through an exchange between stage 1 and stage 2 (DESIGN.md, "Exchange"). */
export type ExchangeRecord = RowsRecord | MarkerRecord;

/** A record as read back from an internal partition, with its position there (increasing). */
export interface PositionedRecord {
  readonly position: ExchangePosition;
  readonly record: ExchangeRecord;
}

/**
 * The internal stream between the stages: partitions that each own a range of 128-bit hashes and
 * keep their records in order; a partition may be split or merged (it closes, its children own
 * its range from then on). In memory for the test kit (`MemoryExchange`); an internal Kinesis
 * stream on AWS (`KinesisExchange` in `engine/aws/exchange/`).
 */
export interface ExchangeTransport {
  /**
   * The largest encoded record (`encodeExchangeRecord`) the transport takes: the writer packs rows
   * into as few records as fit under it. Kinesis: 1 MiB.
   */
  readonly maxRecordBytes: number;
  /**
   * Puts `rows` records, each into the open partition whose range holds its bucket's hash key
   * (`bucketHashKey`); resolves once every one is acknowledged.
   */
  put(records: readonly RowsRecord[]): Promise<void>;
  /**
   * Puts `marker` into every partition open when it lands (a partition that closes meanwhile is
   * replaced by its children); resolves once every copy is acknowledged.
   */
  putMarker(marker: MarkerRecord): Promise<void>;
  /**
   * Records of `partition` at positions in `(after, upTo]` (`after` omitted: from the oldest
   * record; `upTo` omitted: to the newest), in order. When the record at `after` is no longer held
   * (past the stream's retention, so records after it may be gone too) it fails with
   * `SLUICE_EXCHANGE_GAP`, or with `tolerateTrim` (nothing waited there) reads from the oldest
   * record held and reports it.
   */
  read(
    partition: string,
    after: ExchangePosition | undefined,
    upTo?: ExchangePosition,
    options?: { readonly tolerateTrim?: boolean },
  ): Promise<PositionedRecord[]>;
  /** Every partition still known, open or closed, with its parents and hash range. */
  partitions(): Promise<StreamShards>;
}
