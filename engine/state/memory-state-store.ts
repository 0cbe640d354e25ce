import { StateStoreMisuseError } from '../errors.js';
import type { BatchId } from '../types.js';
import { byExpiryThenKey, type StateEntry, type StateStore, type StateWrite } from './state-store.js';

interface VersionedItem {
  v: BatchId;
  cur: StateEntry | undefined;
  prev: StateEntry | undefined;
}

/**
 * Lets `expiring` answer "nothing expires" without a scan, as an index on `expiresAt` would.
 * Reads as of a batch ≥ `latestVersion` see `cur` of every item, or `prev` of the items written
 * by `latestVersion` itself (a replay of it); no such entry expires before the two lower bounds.
 */
interface ExpiryBounds {
  /** The newest batch that wrote to the namespace. */
  latestVersion: BatchId;
  /** ≤ every `cur.expiresAt`: exact after a full scan, lowered by writes. */
  minCurrent: number;
  /** ≤ every `prev.expiresAt` of items written by `latestVersion`. */
  minPreviousOfLatest: number;
}

export interface MemoryStateStoreOptions {
  /**
   * Deep-copies values on the way in and out, so an operator that mutates state it read (a bug
   * that would corrupt replays) is caught by tests. On by default; benchmarks turn it off.
   */
  readonly isolateValues?: boolean;
}

/** The in-memory {@link StateStore}: the same versioned contract as the DynamoDB store. */
export class MemoryStateStore implements StateStore {
  private readonly namespaces = new Map<string, Map<string, VersionedItem>>();
  private readonly expiryBounds = new Map<string, ExpiryBounds>();
  private readonly isolate: boolean;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.isolate = options.isolateValues ?? true;
  }

  async getMany(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Map<string, StateEntry>> {
    const items = this.namespaces.get(namespace);
    const found = new Map<string, StateEntry>();
    if (items === undefined) return found;
    for (const key of keys) {
      const item = items.get(key);
      const entry = item === undefined ? undefined : this.asOf(item, batchId, namespace, key);
      if (entry !== undefined) found.set(key, this.copy(entry));
    }
    return found;
  }

  async expiring(namespace: string, bound: number, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    const items = this.namespaces.get(namespace);
    const bounds = this.expiryBounds.get(namespace);
    if (items === undefined || bounds === undefined) return [];
    if (batchId >= bounds.latestVersion) {
      const floor = batchId === bounds.latestVersion ? bounds.minPreviousOfLatest : Number.POSITIVE_INFINITY;
      if (bound < bounds.minCurrent && bound < floor) return [];
    }
    // Filter before copying and sorting: a batch expires few of many keys.
    const result: Array<[string, StateEntry]> = [];
    let minCurrent = Number.POSITIVE_INFINITY;
    for (const [key, item] of items) {
      const entry = this.asOf(item, batchId, namespace, key);
      if (entry?.expiresAt !== undefined && entry.expiresAt <= bound) result.push([key, this.copy(entry)]);
      const expiresAt = item.cur?.expiresAt;
      if (expiresAt !== undefined && expiresAt < minCurrent) minCurrent = expiresAt;
    }
    bounds.minCurrent = minCurrent;
    return result.sort(byExpiryThenKey);
  }

  async entries(namespace: string, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    const items = this.namespaces.get(namespace);
    if (items === undefined) return [];
    const result: Array<[string, StateEntry]> = [];
    for (const [key, item] of items) {
      const entry = this.asOf(item, batchId, namespace, key);
      if (entry !== undefined) result.push([key, this.copy(entry)]);
    }
    return result.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  async write(namespace: string, batchId: BatchId, writes: readonly StateWrite[]): Promise<void> {
    let items = this.namespaces.get(namespace);
    let bounds = this.expiryBounds.get(namespace);
    if (items === undefined || bounds === undefined) {
      items = new Map();
      bounds = {
        latestVersion: batchId,
        minCurrent: Number.POSITIVE_INFINITY,
        minPreviousOfLatest: Number.POSITIVE_INFINITY,
      };
      this.namespaces.set(namespace, items);
      this.expiryBounds.set(namespace, bounds);
    }
    if (batchId > bounds.latestVersion) {
      bounds.latestVersion = batchId;
      bounds.minPreviousOfLatest = Number.POSITIVE_INFINITY;
    }
    for (const { key, entry, base } of writes) {
      const existing = items.get(key);
      if (existing !== undefined && existing.v > batchId) {
        throw new StateStoreMisuseError(
          `State key '${key}' in '${namespace}' was written by batch ${existing.v}; batch ${batchId} cannot overwrite it.`,
          { namespace, key, batchId, storedVersion: existing.v },
        );
      }
      items.set(key, { v: batchId, cur: entry && this.copy(entry), prev: base && this.copy(base) });
      const expiresAt = entry?.expiresAt;
      if (expiresAt !== undefined && expiresAt < bounds.minCurrent) bounds.minCurrent = expiresAt;
      const previous = base?.expiresAt;
      if (previous !== undefined && batchId === bounds.latestVersion && previous < bounds.minPreviousOfLatest)
        bounds.minPreviousOfLatest = previous;
    }
  }

  /** Number of live keys per namespace as of the latest writes (for tests and metrics). */
  size(namespace: string): number {
    let live = 0;
    for (const item of this.namespaces.get(namespace)?.values() ?? []) if (item.cur !== undefined) live++;
    return live;
  }

  /** A deep copy of everything, for comparing state between runs in tests. */
  snapshot(): Record<string, Record<string, StateEntry>> {
    const out: Record<string, Record<string, StateEntry>> = {};
    for (const [namespace, items] of [...this.namespaces].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const live: Record<string, StateEntry> = {};
      for (const [key, item] of [...items].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (item.cur !== undefined) live[key] = structuredClone(item.cur);
      }
      out[namespace] = live;
    }
    return out;
  }

  private asOf(
    item: VersionedItem,
    batchId: BatchId,
    namespace: string,
    key: string,
  ): StateEntry | undefined {
    if (item.v > batchId) {
      throw new StateStoreMisuseError(
        `Batch ${batchId} read state key '${key}' in '${namespace}' already written by later batch ${item.v}.`,
        { namespace, key, batchId, storedVersion: item.v },
      );
    }
    return item.v === batchId ? item.prev : item.cur;
  }

  private copy(entry: StateEntry): StateEntry {
    return this.isolate ? structuredClone(entry) : entry;
  }
}
