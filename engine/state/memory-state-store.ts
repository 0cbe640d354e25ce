import { StateStoreMisuseError } from '../errors.js';
import type { BatchId } from '../types.js';
import {
  byExpiryThenKey,
  type StateEntry,
  type StateLimits,
  type StateStore,
  type StateWrite,
} from './state-store.js';

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
  /** Limits to declare, as a durable backend would (e.g. `{ maxKeyBytes: 1024 }` to mimic DynamoDB). @default none */
  readonly limits?: StateLimits;
}

/**
 * Drops the tombstones of batches before `batchId` (in place). A batch writes state only after
 * every earlier batch committed, so no replay can ask for what they deleted any more: reads as
 * of `batchId` or later find the key absent either way. (A read as of an earlier batch is a
 * misuse; it may now find the key absent instead of being refused.)
 */
function purgeTombstones(items: Map<string, VersionedItem>, tombstones: string[], batchId: BatchId): void {
  for (const key of tombstones) {
    const item = items.get(key);
    if (item !== undefined && item.cur === undefined && item.v < batchId) items.delete(key);
  }
  tombstones.length = 0;
}

/**
 * The in-memory {@link StateStore}: the same versioned contract as the DynamoDB store. Deleted
 * keys stay as tombstones (for a replay of the deleting batch) until a later batch writes to the
 * namespace, so memory follows the live state rather than every key ever written.
 */
export class MemoryStateStore implements StateStore {
  private readonly namespaces = new Map<string, Map<string, VersionedItem>>();
  private readonly expiryBounds = new Map<string, ExpiryBounds>();
  /** Per namespace, the keys deleted by its latest batch: purged once a later batch writes. */
  private readonly tombstones = new Map<string, string[]>();
  private readonly isolate: boolean;
  readonly limits: StateLimits | undefined;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.isolate = options.isolateValues ?? true;
    this.limits = options.limits;
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

  async getEach(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Array<StateEntry | undefined>> {
    const found: Array<StateEntry | undefined> = new Array(keys.length);
    const items = this.namespaces.get(namespace);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const item = items?.get(key);
      const entry = item === undefined ? undefined : this.asOf(item, batchId, namespace, key);
      found[i] = entry === undefined ? undefined : this.copy(entry);
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
    // Filter before copying and sorting: a batch expires few of many keys. (`forEach` rather
    // than `for…of`, which allocates a [key, item] pair per item of the whole namespace.)
    const result: Array<[string, StateEntry]> = [];
    let minCurrent = Number.POSITIVE_INFINITY;
    items.forEach((item, key) => {
      const entry = this.asOf(item, batchId, namespace, key);
      if (entry?.expiresAt !== undefined && entry.expiresAt <= bound) result.push([key, this.copy(entry)]);
      const expiresAt = item.cur?.expiresAt;
      if (expiresAt !== undefined && expiresAt < minCurrent) minCurrent = expiresAt;
    });
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
    let tombstones = this.tombstones.get(namespace);
    if (tombstones === undefined) {
      tombstones = [];
      this.tombstones.set(namespace, tombstones);
    }
    if (batchId > bounds.latestVersion) {
      purgeTombstones(items, tombstones, batchId);
      bounds.latestVersion = batchId;
      bounds.minPreviousOfLatest = Number.POSITIVE_INFINITY;
    }
    for (let i = 0; i < writes.length; i++) {
      const { key, entry, base } = writes[i]!;
      const cur = entry && this.copy(entry);
      const prev = base && this.copy(base);
      const existing = items.get(key);
      if (existing === undefined) items.set(key, { v: batchId, cur, prev });
      else {
        if (existing.v > batchId) {
          throw new StateStoreMisuseError(
            `State key '${key}' in '${namespace}' was written by batch ${existing.v}; batch ${batchId} cannot overwrite it.`,
            { namespace, key, batchId, storedVersion: existing.v },
          );
        }
        // Reads hand out entries, never items: the new version can be written in place.
        existing.v = batchId;
        existing.cur = cur;
        existing.prev = prev;
      }
      if (cur === undefined) tombstones.push(key);
      const expiresAt = cur?.expiresAt;
      if (expiresAt !== undefined && expiresAt < bounds.minCurrent) bounds.minCurrent = expiresAt;
      const previous = prev?.expiresAt;
      if (previous !== undefined && batchId === bounds.latestVersion && previous < bounds.minPreviousOfLatest)
        bounds.minPreviousOfLatest = previous;
    }
  }

  async drop(namespace: string): Promise<void> {
    this.namespaces.delete(namespace);
    this.expiryBounds.delete(namespace);
    this.tombstones.delete(namespace);
  }

  /** Whether the namespace holds any key, live or tombstone (for tests of retirement). */
  has(namespace: string): boolean {
    return (this.namespaces.get(namespace)?.size ?? 0) > 0;
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
