import { type HashRange, inRange } from '../reshard/lineage.js';
import type { Row } from '../types.js';
import { bucketHashKey } from './buckets.js';
import { ExchangeRecordsMissingError } from './errors.js';
import type { AppliedFloor, ExchangeOffset, ExchangeTail } from './exchange-reader.js';
import type { MarkerRecord, PositionedRecord, RowsRecord } from './exchange-record.js';
import { type ExchangePosition, isAfterPosition } from './positions.js';

/** Per origin, the last origin batch applied. */
export type Applied = Readonly<Record<string, number>>;

/** What a stage-2 batch is cut from: closed ancestors' tails (whole), then the partition's own records after `from`. */
export interface ExchangeView {
  readonly tails: ReadonlyArray<{
    readonly tail: ExchangeTail;
    readonly records: readonly PositionedRecord[];
    /** The reading partition's hash range: only a tail's rows in it are its own. */
    readonly range: HashRange;
  }>;
  readonly own: readonly PositionedRecord[];
}

export interface CutBatch {
  readonly end: ExchangeOffset;
  readonly rows: Row[];
  readonly eventTimeMs?: number;
  /**
   * The same rows and event time per input (a record's `input`; `''` for untagged records), for
   * stage 2 of a join or union, where each input keeps its own watermark.
   */
  readonly byInput: ReadonlyMap<string, { readonly rows: Row[]; eventTimeMs?: number }>;
}

/**
 * One stage-2 batch of an internal partition (protocol step 2), a pure function of its start
 * offset and the records it sees, so a replay cuts the same batch:
 * ```
 * markers = tails' markers after their pos, then own markers after pos, whose batch is newer than
 *           applied[origin]; first copy of each; per origin in batch order
 * pos     = the last own marker taken (the batch reads its own records up to there)
 * rows    = per marker (O, N): O's rows of N, one per (bucket, index), in (bucket, index) order,
 *           in this partition's range, unless N ≤ done(bucket, O); as many records as the marker
 *           counts for those buckets, or SLUICE_EXCHANGE_GAP (records lost past the retention)
 * done(bucket, O) = max(applied[O], floors holding the bucket's hash key [O])
 * end     = { pos, applied ∪ markers, from = before the first own row still waiting,
 *             tails: each read whole, kept from its first row still waiting (dropped if none),
 *             floors: what applied has not passed yet }
 * ```
 * Undefined when no marker is new: nothing to run.
 */
export function cutBatch(
  start: ExchangeOffset,
  view: ExchangeView,
  /** The partition's id and hash range: a batch's records of the range must all be there. */
  partition: { readonly id: string; readonly range: HashRange },
): CutBatch | undefined {
  const candidates: Array<{ position?: ExchangePosition; marker: MarkerRecord }> = [];
  for (const { tail, records } of view.tails) {
    for (const { position, record } of records) {
      if (record.kind === 'marker' && isAfterPosition(position, tail.pos))
        candidates.push({ marker: record });
    }
  }
  for (const { position, record } of view.own) {
    if (record.kind === 'marker' && isAfterPosition(position, start.pos))
      candidates.push({ position, marker: record });
  }
  const seen = new Set<string>();
  const originOrder = new Map<string, number>();
  const markers: Array<{ position?: ExchangePosition; marker: MarkerRecord }> = [];
  for (const candidate of candidates) {
    const { origin, batchId } = candidate.marker;
    if (batchId <= (start.applied[origin] ?? -1)) continue;
    const id = `${origin}#${batchId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!originOrder.has(origin)) originOrder.set(origin, originOrder.size);
    markers.push(candidate);
  }
  if (markers.length === 0) return undefined;
  // An origin's batches apply in its order, even when a tail and the partition's own records interleave them.
  markers.sort(
    (a, b) =>
      originOrder.get(a.marker.origin)! - originOrder.get(b.marker.origin)! ||
      a.marker.batchId - b.marker.batchId,
  );
  let pos = start.pos;
  for (const { position } of markers)
    if (position !== undefined && isAfterPosition(position, pos)) pos = position;
  const own = view.own.filter((r) => !isAfterPosition(r.position, pos));
  const floors = start.floors ?? [];
  const done = (applied: Applied, bucket: number, origin: string): number => {
    let last = applied[origin] ?? -1;
    if (floors.length === 0) return last;
    const hash = bucketHashKey(bucket);
    for (const floor of floors) {
      const value = floor.applied[origin];
      if (value !== undefined && value > last && inRange(hash, rangeOf(floor))) last = value;
    }
    return last;
  };

  // Every rows record this batch may take, in view order: tails' (in range), then own.
  const available: RowsRecord[] = [];
  for (const { records, range } of view.tails) {
    for (const { record } of records) {
      if (record.kind === 'rows' && inRange(bucketHashKey(record.bucket), range)) available.push(record);
    }
  }
  for (const { record } of own) if (record.kind === 'rows') available.push(record);

  const rows: Row[] = [];
  let eventTimeMs: number | undefined;
  const byInput = new Map<string, { rows: Row[]; eventTimeMs?: number }>();
  const applied: Record<string, number> = { ...start.applied };
  for (const { marker } of markers) {
    const input = marker.input ?? '';
    let mine = byInput.get(input);
    if (mine === undefined) {
      mine = { rows: [] };
      byInput.set(input, mine);
    }
    const parts = new Map<string, RowsRecord>();
    for (const record of available) {
      if (record.origin !== marker.origin || record.batchId !== marker.batchId) continue;
      if (marker.batchId <= done(start.applied, record.bucket, record.origin)) continue;
      const id = `${record.bucket}#${record.index}`;
      if (!parts.has(id)) parts.set(id, record);
    }
    let expected = 0;
    for (const [bucket, records] of Object.entries(marker.records)) {
      const b = Number(bucket);
      if (
        inRange(bucketHashKey(b), partition.range) &&
        marker.batchId > done(start.applied, b, marker.origin)
      )
        expected += records;
    }
    if (parts.size < expected) {
      throw new ExchangeRecordsMissingError({
        partition: partition.id,
        origin: marker.origin,
        batchId: marker.batchId,
        expected,
        found: parts.size,
      });
    }
    const ordered = [...parts.values()].sort((a, b) => a.bucket - b.bucket || a.index - b.index);
    for (const record of ordered) {
      rows.push(...record.rows);
      mine.rows.push(...record.rows);
    }
    if (
      marker.maxEventTimeMs !== undefined &&
      (mine.eventTimeMs === undefined || marker.maxEventTimeMs > mine.eventTimeMs)
    )
      mine.eventTimeMs = marker.maxEventTimeMs;
    if (
      marker.maxEventTimeMs !== undefined &&
      (eventTimeMs === undefined || marker.maxEventTimeMs > eventTimeMs)
    )
      eventTimeMs = marker.maxEventTimeMs;
    if (marker.batchId > (applied[marker.origin] ?? -1)) applied[marker.origin] = marker.batchId;
  }

  const waiting = (record: RowsRecord) => record.batchId > done(applied, record.bucket, record.origin);
  const tails: ExchangeTail[] = [];
  for (const { tail, records, range } of view.tails) {
    const first = records.findIndex(
      (r) => r.record.kind === 'rows' && inRange(bucketHashKey(r.record.bucket), range) && waiting(r.record),
    );
    if (first < 0) continue; // consumed: nothing of this range waits there any more
    const from = first === 0 ? tail.from : records[first - 1]!.position;
    const last = records.at(-1)?.position ?? tail.pos;
    tails.push({
      partition: tail.partition,
      ...(from === undefined ? {} : { from }),
      ...(last === undefined ? {} : { pos: last }),
    });
  }
  const firstOwn = own.findIndex((r) => r.record.kind === 'rows' && waiting(r.record));
  // Read again next time from just before the first record still waiting for its marker.
  const from = firstOwn < 0 ? pos : firstOwn === 0 ? start.from : own[firstOwn - 1]!.position;
  const keptFloors: AppliedFloor[] = [];
  for (const floor of floors) {
    const above = Object.entries(floor.applied).filter(([origin, batch]) => batch > (applied[origin] ?? -1));
    if (above.length > 0) keptFloors.push({ ...floor, applied: Object.fromEntries(above) });
  }
  const end: ExchangeOffset = {
    ...(pos === undefined ? {} : { pos }),
    ...(from === undefined ? {} : { from }),
    applied,
    ...(tails.length === 0 ? {} : { tails }),
    ...(keptFloors.length === 0 ? {} : { floors: keptFloors }),
  };
  return { end, rows, byInput, ...(eventTimeMs === undefined ? {} : { eventTimeMs }) };
}

function rangeOf(floor: AppliedFloor): HashRange {
  return { start: BigInt(floor.start), end: BigInt(floor.end) };
}
