import type { ExchangeSpec } from '../plan/exchange/plan-stages.js';
import { eventTimeOf } from '../runtime/event-time.js';
import type { Sink, SinkBatchContext } from '../sinks/sink.js';
import type { BatchId, Row } from '../types.js';
import { ExchangeRowTooLargeError } from './errors.js';
import type { ExchangeRecord, ExchangeTransport } from './exchange-record.js';
import { partialAggregate } from './partial-aggregate.js';
import { encodedRowBytes, envelopeBytes } from './record-codec.js';
import { partitionOfKey, routeKeyOf } from './routing.js';

export interface ExchangeWriterOptions {
  readonly spec: ExchangeSpec;
  readonly transport: ExchangeTransport;
  /** The stage-1 partition (source shard) this writer belongs to: the records' origin. */
  readonly origin: string;
}

/**
 * Stage 1's sink: writes a batch's rows into the exchange (protocol step 2 of DESIGN.md's
 * "Exchange"):
 * ```
 * rows = the batch's rows, or their partial aggregates (one per group) when the operator aggregates
 * for each internal partition p: records of the rows routed to p, packed into as few records as fit
 *                                 under the transport's record limit (index 0, 1, … within p)
 * put them all and wait until every one is acknowledged
 * then put the end-of-batch marker (origin, batch id, max event time) to every partition
 * ```
 * The caller commits only after this returns. A replay re-puts identical records and markers
 * (routing, packing and indices depend only on the batch's rows), which stage 2 drops.
 */
export class ExchangeWriter implements Sink {
  readonly description: string;

  constructor(private readonly options: ExchangeWriterOptions) {
    this.description = `ExchangeWriter[${options.spec.name}]`;
  }

  /** What stage 1 puts for a batch's rows: the rows, or their partial aggregates. */
  private exchanged(rows: readonly Row[]): readonly Row[] {
    const { spec } = this.options;
    return spec.partialAggregate === undefined
      ? rows
      : partialAggregate(spec.partialAggregate, spec.eventTime, rows);
  }

  /** Fails, writing nothing, when a row cannot fit in one record (poison isolation finds it). */
  check(_batchId: BatchId, rows: readonly Row[]): void {
    const budget = this.options.transport.maxRecordBytes - envelopeBytes(this.options.origin);
    for (const row of this.exchanged(rows)) {
      const bytes = encodedRowBytes(row) + 1;
      if (bytes > budget) throw new ExchangeRowTooLargeError(bytes, budget);
    }
  }

  async addBatch(batchId: BatchId, batchRows: readonly Row[], _context: SinkBatchContext): Promise<void> {
    const { spec, transport, origin } = this.options;
    const rows = this.exchanged(batchRows);
    const routed: Row[][] = Array.from({ length: transport.partitionCount }, () => []);
    let maxEventTimeMs: number | undefined;
    for (const row of rows) {
      routed[partitionOfKey(routeKeyOf(row, spec), transport.partitionCount)]!.push(row);
      const time = spec.eventTime === undefined ? undefined : eventTimeOf(row[spec.eventTime]);
      if (time !== undefined && (maxEventTimeMs === undefined || time > maxEventTimeMs))
        maxEventTimeMs = time;
    }
    await Promise.all(
      routed.map((mine, partition) => {
        const records: ExchangeRecord[] = pack(mine, transport.maxRecordBytes - envelopeBytes(origin)).map(
          (packed, index) => ({ v: 1, kind: 'rows', origin, batchId, index, rows: packed }),
        );
        return records.length === 0 ? undefined : transport.put(partition, records);
      }),
    );
    const marker: ExchangeRecord = {
      v: 1,
      kind: 'marker',
      origin,
      batchId,
      ...(maxEventTimeMs === undefined ? {} : { maxEventTimeMs }),
    };
    await Promise.all(routed.map((_, partition) => transport.put(partition, [marker])));
  }
}

/**
 * Greedy packing in row order: a record takes rows while their encoded sizes (plus a comma each)
 * fit in `budget`. Depends only on the rows, so a replay packs the same records.
 */
function pack(rows: readonly Row[], budget: number): Row[][] {
  const packed: Row[][] = [];
  let current: Row[] = [];
  let used = 0;
  for (const row of rows) {
    const bytes = encodedRowBytes(row) + 1;
    if (bytes > budget) throw new ExchangeRowTooLargeError(bytes, budget);
    if (used + bytes > budget && current.length > 0) {
      packed.push(current);
      current = [];
      used = 0;
    }
    current.push(row);
    used += bytes;
  }
  if (current.length > 0) packed.push(current);
  return packed;
}
