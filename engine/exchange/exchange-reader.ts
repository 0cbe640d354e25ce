import type { Offsets } from '../checkpoint/checkpoint-store.js';
import type { BatchInput } from '../runtime/dead-letter.js';
import type { BatchSource } from '../runtime/stream-execution.js';
import type { Row } from '../types.js';
import type { ExchangeRecord, ExchangeTransport, PositionedRecord } from './exchange-record.js';
import { comparePositions, type ExchangePosition, isAfterPosition } from './positions.js';

/**
 * Stage 2's position in one internal partition, stored as its offsets (so in its WAL entry and
 * commit: what stage 2 must remember between batches is in its checkpoint).
 */
export interface ExchangeOffset {
  /** Everything up to here has been read (absent: nothing yet). */
  readonly pos?: ExchangePosition;
  /**
   * Records after here may belong to origin batches whose marker has not been applied yet (absent:
   * from the oldest record).
   */
  readonly from?: ExchangePosition;
  /** Per origin, the last batch whose marker was applied: later copies of it are duplicates. */
  readonly applied: Readonly<Record<string, number>>;
}

const START: ExchangeOffset = { applied: {} };

type Marker = Extract<ExchangeRecord, { kind: 'marker' }>;

/**
 * Stage 2's source over one internal partition (protocol step 3): a batch ends at an end-of-batch
 * marker and applies every origin batch whose marker it contains, once:
 * ```
 * new markers = markers after pos whose batch is newer than applied[origin]
 * rows        = for each, in marker order: its `rows` records (from `from` on), one per index, in index order
 * event time  = the highest max event time of the new markers (stage 2's watermark moves with it)
 * ```
 * Records of an origin batch always precede its marker (the writer puts markers after every
 * record is acknowledged, and a partition keeps order), so at its marker all of its rows are here.
 * The same (start, end) offsets give the same rows, so replays are exact.
 */
export class ExchangeReader implements BatchSource {
  constructor(
    private readonly transport: ExchangeTransport,
    /** The exchange's name: the source name stage 2's plan reads. */
    private readonly name: string,
    private readonly partition: number,
  ) {}

  async nextEndOffsets(committed: Offsets): Promise<Offsets | undefined> {
    const start = offsetOf(committed, this.name);
    const scanned = await this.transport.read(this.partition, start.from);
    const fresh = scanned.filter((r) => isAfterPosition(r.position, start.pos));
    const markers = newMarkers(fresh, start.applied);
    if (markers.length === 0) return undefined;
    const pos = markers.at(-1)!.position;
    const applied = { ...start.applied };
    for (const { record } of markers) applied[record.origin] = record.batchId;
    const waiting = scanned.findIndex(
      (r) =>
        comparePositions(r.position, pos) <= 0 &&
        r.record.kind === 'rows' &&
        r.record.batchId > (applied[r.record.origin] ?? -1),
    );
    // Read again next time from just before the first record still waiting for its marker.
    const from = waiting < 0 ? pos : waiting === 0 ? start.from : scanned[waiting - 1]!.position;
    const end: ExchangeOffset = { pos, ...(from === undefined ? {} : { from }), applied };
    return { [this.name]: end };
  }

  async getBatch(startOffsets: Offsets, endOffsets: Offsets): Promise<BatchInput & { eventTimeMs?: number }> {
    const start = offsetOf(startOffsets, this.name);
    const end = offsetOf(endOffsets, this.name);
    const scanned = await this.transport.read(this.partition, start.from, end.pos);
    const markers = newMarkers(
      scanned.filter((r) => isAfterPosition(r.position, start.pos)),
      start.applied,
    );
    const rows: Row[] = [];
    let eventTimeMs: number | undefined;
    for (const { record: marker } of markers) {
      const parts = new Map<number, readonly Row[]>();
      for (const { record } of scanned) {
        if (record.kind !== 'rows' || record.origin !== marker.origin || record.batchId !== marker.batchId)
          continue;
        if (!parts.has(record.index)) parts.set(record.index, record.rows);
      }
      for (const index of [...parts.keys()].sort((a, b) => a - b)) rows.push(...parts.get(index)!);
      if (
        marker.maxEventTimeMs !== undefined &&
        (eventTimeMs === undefined || marker.maxEventTimeMs > eventTimeMs)
      ) {
        eventTimeMs = marker.maxEventTimeMs;
      }
    }
    return {
      rows: new Map([[this.name, rows]]),
      deadLetters: [],
      ...(eventTimeMs === undefined ? {} : { eventTimeMs }),
    };
  }
}

/** The first marker of each origin batch newer than what was applied, in stream order. */
function newMarkers(
  records: readonly PositionedRecord[],
  applied: Readonly<Record<string, number>>,
): Array<{ position: ExchangePosition; record: Marker }> {
  const seen = new Set<string>();
  const found: Array<{ position: ExchangePosition; record: Marker }> = [];
  for (const { position, record } of records) {
    if (record.kind !== 'marker' || record.batchId <= (applied[record.origin] ?? -1)) continue;
    const id = `${record.origin}#${record.batchId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    found.push({ position, record });
  }
  return found;
}

function offsetOf(offsets: Offsets, name: string): ExchangeOffset {
  const value = offsets[name] as ExchangeOffset | undefined;
  return value ?? START;
}
