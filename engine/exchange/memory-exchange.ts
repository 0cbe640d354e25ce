import type { ExchangeRecord, ExchangeTransport, PositionedRecord } from './exchange-record.js';

/** The exchange in memory, for the test kit: each partition an array, positions 1-based. */
export class MemoryExchange implements ExchangeTransport {
  private readonly partitions: ExchangeRecord[][];

  constructor(readonly partitionCount: number) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new RangeError(`An exchange needs at least one partition, got ${partitionCount}.`);
    }
    this.partitions = Array.from({ length: partitionCount }, () => []);
  }

  async put(partition: number, records: readonly ExchangeRecord[]): Promise<void> {
    this.partitions[partition]!.push(...structuredClone(records));
  }

  async read(partition: number, after: number, upTo?: number): Promise<PositionedRecord[]> {
    const log = this.partitions[partition]!;
    const end = Math.min(upTo ?? log.length, log.length);
    const found: PositionedRecord[] = [];
    for (let position = after + 1; position <= end; position++) {
      found.push({ position, record: structuredClone(log[position - 1]!) });
    }
    return found;
  }

  /** Every record of a partition (tests inspect duplicates and markers). */
  records(partition: number): readonly ExchangeRecord[] {
    return this.partitions[partition]!;
  }
}
