import { StateStoreMisuseError } from '../errors.js';
import type { BatchId } from '../types.js';
import { byExpiryThenKey, type StateEntry, type StateStore, type StateWrite } from './state-store.js';

/** Per-batch counts of what an operator did to its state. */
export interface StateChangeCounts {
  /** Keys written (created or changed). */
  updated: number;
  /** Keys deleted. */
  removed: number;
  /** Net change in the number of live keys. */
  netAdded: number;
}

/**
 * One operator's view of its state during one batch: reads go to the store "as of" the batch
 * (the state before it) and are cached; writes stay in an overlay until the executor flushes
 * them after the batch's outputs are written (protocol step 7). Request counts therefore grow
 * with distinct keys touched, never with rows.
 */
export class StateView<V = unknown> {
  private readonly base = new Map<string, StateEntry<V> | undefined>();
  private readonly overlay = new Map<string, StateEntry<V> | undefined>();

  constructor(
    private readonly store: StateStore,
    readonly namespace: string,
    private readonly batchId: BatchId,
  ) {}

  /** Fetches the keys not yet read, in one store call. */
  async load(keys: Iterable<string>): Promise<void> {
    const missing: string[] = [];
    for (const key of keys) if (!this.base.has(key)) missing.push(key);
    if (missing.length === 0) return;
    const found = await this.store.getMany(this.namespace, missing, this.batchId);
    for (const key of missing) this.base.set(key, found.get(key) as StateEntry<V> | undefined);
  }

  /** The current entry of a loaded key (this batch's write if any, else the stored one). */
  get(key: string): StateEntry<V> | undefined {
    if (this.overlay.has(key)) return this.overlay.get(key);
    if (!this.base.has(key)) {
      throw new StateStoreMisuseError(
        `State key '${key}' of '${this.namespace}' was read before it was loaded.`,
      );
    }
    return this.base.get(key);
  }

  set(key: string, value: V, expiresAt?: number): void {
    this.overlay.set(key, expiresAt === undefined ? { value } : { value, expiresAt });
  }

  delete(key: string): void {
    this.overlay.set(key, undefined);
  }

  /** Live entries with `expiresAt ≤ bound`, this batch's writes included, by (expiresAt, key). */
  async expiring(bound: number): Promise<Array<[string, StateEntry<V>]>> {
    const stored = await this.store.expiring(this.namespace, bound, this.batchId);
    return this.mergeWithOverlay(
      stored,
      (entry) => entry.expiresAt !== undefined && entry.expiresAt <= bound,
    ).sort(byExpiryThenKey) as Array<[string, StateEntry<V>]>;
  }

  /** Every live entry, this batch's writes included, by key. */
  async entries(): Promise<Array<[string, StateEntry<V>]>> {
    const stored = await this.store.entries(this.namespace, this.batchId);
    return this.mergeWithOverlay(stored, () => true).sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    ) as Array<[string, StateEntry<V>]>;
  }

  /** The writes of this batch, each with the entry it replaces. */
  writes(): StateWrite[] {
    const writes: StateWrite[] = [];
    for (const [key, entry] of this.overlay) {
      const base = this.base.get(key);
      if (entry === undefined && base === undefined) continue;
      writes.push({ key, entry, base });
    }
    return writes;
  }

  counts(): StateChangeCounts {
    const counts: StateChangeCounts = { updated: 0, removed: 0, netAdded: 0 };
    for (const [key, entry] of this.overlay) {
      const base = this.base.get(key);
      if (entry === undefined) {
        if (base !== undefined) {
          counts.removed++;
          counts.netAdded--;
        }
      } else {
        counts.updated++;
        if (base === undefined) counts.netAdded++;
      }
    }
    return counts;
  }

  private mergeWithOverlay(
    stored: Array<[string, StateEntry]>,
    keep: (entry: StateEntry) => boolean,
  ): Array<[string, StateEntry]> {
    const merged: Array<[string, StateEntry]> = [];
    for (const [key, entry] of stored) {
      if (!this.base.has(key)) this.base.set(key, entry as StateEntry<V>);
      if (!this.overlay.has(key)) merged.push([key, entry]);
    }
    for (const [key, entry] of this.overlay)
      if (entry !== undefined && keep(entry)) merged.push([key, entry]);
    return merged;
  }
}
