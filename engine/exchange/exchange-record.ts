import type { BatchId, Row, TimestampMs } from '../types.js';
import type { ExchangePosition } from './positions.js';

/**
 * What travels through an exchange between stage 1 and stage 2 (DESIGN.md, "Exchange"). Format
 * version 1; on Kinesis each record is one of these as JSON.
 *
 * - `rows`: rows of origin batch (`origin`, `batchId`) routed to this internal partition, packed;
 *   `index` numbers the origin batch's records within the partition from 0, so stage 2 drops a
 *   re-put record (a replay of the origin batch) by (origin, batchId, index).
 * - `marker`: the end of origin batch (`origin`, `batchId`), put to every internal partition only
 *   after all of the batch's `rows` records were acknowledged; it carries the batch's max event
 *   time (the origin's progress, from which stage 2 takes its watermark).
 */
export type ExchangeRecord =
  | {
      readonly v: 1;
      readonly kind: 'rows';
      readonly origin: string;
      readonly batchId: BatchId;
      readonly index: number;
      readonly rows: readonly Row[];
    }
  | {
      readonly v: 1;
      readonly kind: 'marker';
      readonly origin: string;
      readonly batchId: BatchId;
      readonly maxEventTimeMs?: TimestampMs;
    };

/** A record as read back from an internal partition, with its position there (increasing). */
export interface PositionedRecord {
  readonly position: ExchangePosition;
  readonly record: ExchangeRecord;
}

/**
 * The internal stream between the stages: a fixed number of partitions, each an ordered log.
 * `put` resolves once every record is acknowledged, in order within a partition. In memory for
 * the test kit (`MemoryExchange`); an internal Kinesis stream on AWS (`KinesisExchange` in
 * `engine/aws/exchange/`).
 */
export interface ExchangeTransport {
  readonly partitionCount: number;
  /**
   * The largest encoded record (`encodeExchangeRecord`) the transport takes: the writer packs rows
   * into as few records as fit under it. Kinesis: 1 MiB.
   */
  readonly maxRecordBytes: number;
  put(partition: number, records: readonly ExchangeRecord[]): Promise<void>;
  /**
   * Records at positions in `(after, upTo]` (`after` omitted: from the oldest record; `upTo`
   * omitted: to the newest), in order.
   */
  read(
    partition: number,
    after: ExchangePosition | undefined,
    upTo?: ExchangePosition,
  ): Promise<PositionedRecord[]>;
}
