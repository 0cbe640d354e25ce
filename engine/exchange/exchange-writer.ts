import type { ExchangeSpec } from '../plan/exchange/plan-stages.js';
import { eventTimeOf } from '../runtime/event-time.js';
import type { Sink, SinkBatchContext } from '../sinks/sink.js';
import type { BatchId, Row } from '../types.js';
import type { ExchangeRecord, ExchangeTransport } from './exchange-record.js';
import { partialAggregate } from './partial-aggregate.js';
import { partitionOfKey, routeKeyOf } from './routing.js';

/** Rows per exchange record. @default 100 */
export const DEFAULT_ROWS_PER_RECORD = 100;

export interface ExchangeWriterOptions {
  readonly spec: ExchangeSpec;
  readonly transport: ExchangeTransport;
  /** The stage-1 partition (source shard) this writer belongs to: the records' origin. */
  readonly origin: string;
  readonly rowsPerRecord?: number;
}

/**
 * Stage 1's sink: writes a batch's rows into the exchange (protocol step 2 of DESIGN.md's
 * "Exchange"):
 * ```
 * rows = the batch's rows, or their partial aggregates (one per group) when the operator aggregates
 * for each internal partition p: records of the rows routed to p (packed, index 0, 1, … within p)
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

  async addBatch(batchId: BatchId, batchRows: readonly Row[], _context: SinkBatchContext): Promise<void> {
    const { spec, transport, origin } = this.options;
    const rows =
      spec.partialAggregate === undefined
        ? batchRows
        : partialAggregate(spec.partialAggregate, spec.eventTime, batchRows);
    const perRecord = this.options.rowsPerRecord ?? DEFAULT_ROWS_PER_RECORD;
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
        const records: ExchangeRecord[] = [];
        for (let i = 0; i * perRecord < mine.length; i++) {
          records.push({
            v: 1,
            kind: 'rows',
            origin,
            batchId,
            index: i,
            rows: mine.slice(i * perRecord, (i + 1) * perRecord),
          });
        }
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
