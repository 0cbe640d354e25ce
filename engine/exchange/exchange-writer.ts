import type { ExchangeSpec } from '../plan/exchange/plan-stages.js';
import { eventTimeOf } from '../runtime/event-time.js';
import type { Sink, SinkBatchContext } from '../sinks/sink.js';
import type { BatchId, Row } from '../types.js';
import { bucketOfKey } from './buckets.js';
import { ExchangeRowTooLargeError } from './errors.js';
import type { ExchangeTransport, RowsRecord } from './exchange-record.js';
import { partialAggregate } from './partial-aggregate.js';
import { encodedRowBytes, envelopeBytes } from './record-codec.js';
import { routeKeyOf } from './routing.js';

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
 * for each hash bucket b (of the row's routing key, see buckets.ts): the rows of b, packed into as
 *   few records as fit under the transport's record limit (index 0, 1, … within b)
 * put them all (each to the partition holding b's hash key) and wait until every one is acknowledged
 * then put the end-of-batch marker (origin, batch id, max event time, records per bucket) to every open partition
 * ```
 * The caller commits only after this returns. A replay re-puts identical records and markers
 * (buckets, packing and indices depend only on the batch's rows, not on the partitions), which stage 2 drops.
 */
export class ExchangeWriter implements Sink {
  readonly description: string;

  constructor(private readonly options: ExchangeWriterOptions) {
    this.description = `ExchangeWriter[${options.spec.name}]`;
  }

  /** The tag stage 2 reads this writer's records under, when it reads several inputs. */
  private get input(): string | undefined {
    return this.options.spec.tagged ? this.options.spec.name : undefined;
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
    const budget = this.options.transport.maxRecordBytes - envelopeBytes(this.options.origin, this.input);
    for (const row of this.exchanged(rows)) {
      const bytes = encodedRowBytes(row) + 1;
      if (bytes > budget) throw new ExchangeRowTooLargeError(bytes, budget);
    }
  }

  async addBatch(batchId: BatchId, batchRows: readonly Row[], context: SinkBatchContext): Promise<void> {
    const { spec, transport, origin } = this.options;
    const input = this.input;
    const tag = input === undefined ? {} : { input };
    const rows = this.exchanged(batchRows);
    const byBucket = new Map<number, Row[]>();
    // The event time stage 1's withWatermark saw (rows a later filter dropped included, as Spark
    // counts them); else the written rows' own.
    let maxEventTimeMs: number | undefined = spec.eventTime === undefined ? undefined : context?.eventTimeMs;
    for (const row of rows) {
      const bucket = bucketOfKey(routeKeyOf(row, spec));
      const mine = byBucket.get(bucket);
      if (mine === undefined) byBucket.set(bucket, [row]);
      else mine.push(row);
      const time = spec.eventTime === undefined ? undefined : eventTimeOf(row[spec.eventTime]);
      if (time !== undefined && (maxEventTimeMs === undefined || time > maxEventTimeMs))
        maxEventTimeMs = time;
    }
    const budget = transport.maxRecordBytes - envelopeBytes(origin, input);
    const records: RowsRecord[] = [];
    const counts: Record<string, number> = {};
    for (const bucket of [...byBucket.keys()].sort((a, b) => a - b)) {
      const packed = pack(byBucket.get(bucket)!, budget);
      counts[bucket] = packed.length;
      for (let index = 0; index < packed.length; index++) {
        records.push({ v: 2, kind: 'rows', ...tag, origin, batchId, bucket, index, rows: packed[index]! });
      }
    }
    if (records.length > 0) await transport.put(records);
    await transport.putMarker({
      v: 2,
      kind: 'marker',
      ...tag,
      origin,
      batchId,
      ...(maxEventTimeMs === undefined ? {} : { maxEventTimeMs }),
      records: counts,
    });
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
