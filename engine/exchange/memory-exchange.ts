import type { ExchangeRecord, ExchangeTransport, PositionedRecord } from './exchange-record.js';
import type { ExchangePosition } from './positions.js';

/** Kinesis's record limit, the default of every transport. */
export const DEFAULT_MAX_EXCHANGE_RECORD_BYTES = 1024 * 1024;

/** The exchange in memory, for the test kit: each partition an array, positions `"1"`, `"2"`, … */
export class MemoryExchange implements ExchangeTransport {
  private readonly partitions: ExchangeRecord[][];

  constructor(
    readonly partitionCount: number,
    readonly maxRecordBytes: number = DEFAULT_MAX_EXCHANGE_RECORD_BYTES,
  ) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new RangeError(`An exchange needs at least one partition, got ${partitionCount}.`);
    }
    this.partitions = Array.from({ length: partitionCount }, () => []);
  }

  async put(partition: number, records: readonly ExchangeRecord[]): Promise<void> {
    this.partitions[partition]!.push(...structuredClone(records));
  }

  async read(
    partition: number,
    after: ExchangePosition | undefined,
    upTo?: ExchangePosition,
  ): Promise<PositionedRecord[]> {
    const log = this.partitions[partition]!;
    const end = Math.min(upTo === undefined ? log.length : Number(upTo), log.length);
    const found: PositionedRecord[] = [];
    for (let position = (after === undefined ? 0 : Number(after)) + 1; position <= end; position++) {
      found.push({ position: String(position), record: structuredClone(log[position - 1]!) });
    }
    return found;
  }

  /** Every record of a partition (tests inspect duplicates and markers). */
  records(partition: number): readonly ExchangeRecord[] {
    return this.partitions[partition]!;
  }
}
