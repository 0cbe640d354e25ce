/**
 * An in-memory index of a namespace's keys by expiry time, so that finding what expires costs
 * the keys that expire, not the keys held (the scan it replaces visited every key of the state
 * whenever anything could expire: every batch, for dedup or per-row timeouts).
 *
 * A key is listed under every expiry time a read may still need: its current entry's and, until
 * a later batch writes the key again, its previous entry's (a replay of the writing batch reads
 * that one). Callers keep the listing exact with {@link move}; readers check each listed key
 * against the entry they would read, so a listing under an old time is skipped, never returned.
 *
 * Times are kept in a sorted array of distinct values (windows and timeouts share few distinct
 * expiry times; new ones mostly arrive in order, an append); each time's keys are a set, sorted
 * on first read and kept until the set changes.
 */
export class ExpiryIndex {
  /** Distinct expiry times with at least one key, ascending. */
  private readonly times: number[] = [];
  private readonly buckets = new Map<number, Bucket>();

  /** Moves `key` from the times in `from` to those in `to` (either may hold `undefined`). */
  move(key: string, from: readonly (number | undefined)[], to: readonly (number | undefined)[]): void {
    for (const t of from) if (t !== undefined && !to.includes(t)) this.remove(key, t);
    for (const t of to) if (t !== undefined && !from.includes(t)) this.add(key, t);
  }

  /** Whether no key expires at or before `bound`. */
  noneUpTo(bound: number): boolean {
    return this.times.length === 0 || this.times[0]! > bound;
  }

  /**
   * Visits (time, key) pairs with time ≤ `bound`, ascending by time then key, starting strictly
   * after `after` (a cursor from an earlier page). `visit` returns false to stop.
   */
  scan(
    bound: number,
    after: { readonly expiresAt: number; readonly key: string } | undefined,
    visit: (key: string, expiresAt: number) => boolean,
  ): void {
    const times = this.times;
    for (let i = after === undefined ? 0 : lowerBound(times, after.expiresAt); i < times.length; i++) {
      const t = times[i]!;
      if (t > bound) return;
      const keys = this.buckets.get(t)!.sortedKeys();
      let j = 0;
      if (after !== undefined && t === after.expiresAt) j = upperBound(keys, after.key);
      for (; j < keys.length; j++) if (!visit(keys[j]!, t)) return;
    }
  }

  /** Number of (time, key) listings (tests: listings must not pile up). */
  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.keys.size;
    return n;
  }

  private add(key: string, t: number): void {
    let bucket = this.buckets.get(t);
    if (bucket === undefined) {
      bucket = new Bucket();
      this.buckets.set(t, bucket);
      const times = this.times;
      if (times.length === 0 || times[times.length - 1]! < t) times.push(t);
      else times.splice(lowerBound(times, t), 0, t);
    }
    bucket.add(key);
  }

  private remove(key: string, t: number): void {
    const bucket = this.buckets.get(t);
    if (bucket === undefined || !bucket.delete(key)) return;
    if (bucket.keys.size === 0) {
      this.buckets.delete(t);
      this.times.splice(lowerBound(this.times, t), 1);
    }
  }
}

class Bucket {
  readonly keys = new Set<string>();
  private sorted: string[] | undefined;

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.sorted = undefined;
  }

  delete(key: string): boolean {
    if (!this.keys.delete(key)) return false;
    this.sorted = undefined;
    return true;
  }

  sortedKeys(): readonly string[] {
    this.sorted ??= [...this.keys].sort();
    return this.sorted;
  }
}

/** First index whose value is ≥ `value`. */
function lowerBound<T>(sorted: readonly T[], value: T): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > `value`. */
function upperBound<T>(sorted: readonly T[], value: T): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
