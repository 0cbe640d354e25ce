import { partitionKeyFromValue } from '../plan/partition-column.js';
import { partitionHashOf } from './partition-hash.js';

/**
 * Keys whose partition hash lies in `[start, end]` keep, as their late-row bound, at least
 * `lateMs`: the late bound of the shard that held them before a reshard. A merge whose child
 * starts from the slower parent's watermark therefore never re-opens a window, dedup key or
 * session that the faster parent already emitted or evicted (docs/architecture.md, "Watermarks
 * across a reshard").
 */
export interface WatermarkFloor {
  /** Inclusive hash range, as decimal strings (128-bit integers survive JSON and DynamoDB). */
  readonly start: string;
  readonly end: string;
  readonly lateMs: number;
}

/** A hash range that inherits a late bound: a parent's range (restricted to the child) and its floors. */
export interface InheritedRange {
  readonly start: bigint;
  readonly end: bigint;
  /** The parent's own late bound for its next batch (its last commit's `batchWatermarkMs`). */
  readonly lateMs: number;
  /** The parent's own floors, still in force when it closed. */
  readonly floors?: readonly WatermarkFloor[] | undefined;
}

/**
 * The floors of a child shard: over each inherited range, the parent's late bound, raised by the
 * parent's own floors where they are higher (recursively, so several reshards in a row compose).
 * Floors at or below `ownLateMs` (the child's own starting late bound) are dropped: they change
 * nothing. Returns disjoint ranges in hash order, adjacent equal ones joined.
 */
export function inheritFloors(ranges: readonly InheritedRange[], ownLateMs: number): WatermarkFloor[] {
  const pieces: Array<{ start: bigint; end: bigint; lateMs: number }> = [];
  for (const range of ranges) {
    pieces.push({ start: range.start, end: range.end, lateMs: range.lateMs });
    for (const floor of range.floors ?? []) {
      const start = maxBig(range.start, BigInt(floor.start));
      const end = minBig(range.end, BigInt(floor.end));
      if (start <= end) pieces.push({ start, end, lateMs: Math.max(range.lateMs, floor.lateMs) });
    }
  }
  return flatten(pieces).filter((piece) => piece.lateMs > ownLateMs);
}

/** The floors a later batch still needs: those above its own late bound (the rest are inert). */
export function floorsAbove(
  floors: readonly WatermarkFloor[] | undefined,
  lateMs: number,
): WatermarkFloor[] | undefined {
  const kept = floors?.filter((floor) => floor.lateMs > lateMs);
  return kept === undefined || kept.length === 0 ? undefined : kept;
}

/**
 * The late-row bound of each key in a batch: the batch's own bound (whatever the query's
 * watermark policy made it) raised by the floor of the key's hash range. Without floors it is
 * the batch's bound for every key, and `keyed` is false so operators can skip the lookup.
 */
export class LateBounds {
  readonly keyed: boolean;
  private readonly floors: ReadonlyArray<{ start: bigint; end: bigint; lateMs: number }>;
  private readonly highest: number;
  private readonly cache = new Map<string, number>();

  constructor(
    readonly baseMs: number,
    floors: readonly WatermarkFloor[] | undefined,
  ) {
    this.floors = (floors ?? [])
      .filter((floor) => floor.lateMs > baseMs)
      .map((floor) => ({ start: BigInt(floor.start), end: BigInt(floor.end), lateMs: floor.lateMs }));
    this.keyed = this.floors.length > 0;
    this.highest = Math.max(baseMs, ...this.floors.map((floor) => floor.lateMs));
  }

  /**
   * The late bound of the group whose partition-key column holds `value`. A value that is not a
   * partition key gets the highest floor: dropping a row is visible (counted), re-opening an
   * emitted window is not.
   */
  of(value: unknown): number {
    if (!this.keyed) return this.baseMs;
    const key = partitionKeyFromValue(value);
    if (key === undefined) return this.highest;
    let bound = this.cache.get(key);
    if (bound === undefined) {
      const hash = partitionHashOf(key);
      bound = this.baseMs;
      for (const floor of this.floors) {
        if (hash >= floor.start && hash <= floor.end) {
          bound = Math.max(bound, floor.lateMs);
          break;
        }
      }
      this.cache.set(key, bound);
    }
    return bound;
  }
}

/** Disjoint pieces covering the union of `pieces`, each with the highest bound covering it. */
function flatten(pieces: ReadonlyArray<{ start: bigint; end: bigint; lateMs: number }>): WatermarkFloor[] {
  const cuts = [...new Set(pieces.flatMap((piece) => [piece.start, piece.end + 1n]))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const out: Array<{ start: bigint; end: bigint; lateMs: number }> = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i]!;
    const end = cuts[i + 1]! - 1n;
    let lateMs: number | undefined;
    for (const piece of pieces) {
      if (piece.start <= start && piece.end >= end) lateMs = Math.max(lateMs ?? -Infinity, piece.lateMs);
    }
    if (lateMs === undefined) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.lateMs === lateMs && last.end + 1n === start) last.end = end;
    else out.push({ start, end, lateMs });
  }
  return out.map((piece) => ({
    start: piece.start.toString(),
    end: piece.end.toString(),
    lateMs: piece.lateMs,
  }));
}

const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
