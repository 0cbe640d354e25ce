import { StateStoreMisuseError } from '../errors.js';
import type { BatchId } from '../types.js';
import { ExpiryIndex } from './expiry-index.js';
import type { ExpiryCursor, StateEntry, StateLimits, StateStore, StateWrite } from './state-store.js';

interface VersionedItem {
  v: BatchId;
  cur: StateEntry | undefined;
  prev: StateEntry | undefined;
}

/** Per namespace, the newest batch that wrote to it (tombstones of older batches can go). */
interface NamespaceVersion {
  latest: BatchId;
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
function purgeTombstones(
  items: Map<string, VersionedItem>,
  index: ExpiryIndex,
  tombstones: string[],
  batchId: BatchId,
): void {
  for (const key of tombstones) {
    const item = items.get(key);
    if (item !== undefined && item.cur === undefined && item.v < batchId) {
      items.delete(key);
      index.move(key, [item.prev?.expiresAt], []);
    }
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
  /** Per namespace, its keys by expiry time (`expiry-index.ts`). */
  private readonly indexes = new Map<string, ExpiryIndex>();
  private readonly versions = new Map<string, NamespaceVersion>();
  /** Per namespace, the keys whose latest version is live (what `size` answers, in O(1)). */
  private readonly live = new Map<string, number>();
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
    return this.expiringPage(namespace, bound, batchId, undefined, Number.POSITIVE_INFINITY);
  }

  /**
   * From the expiry index: the cost is the keys that expire (plus keys still listed under the
   * time of an entry a replay could read), never a scan of the namespace.
   */
  async expiringPage(
    namespace: string,
    bound: number,
    batchId: BatchId,
    after: ExpiryCursor | undefined,
    limit: number,
  ): Promise<Array<[string, StateEntry]>> {
    const items = this.namespaces.get(namespace);
    const index = this.indexes.get(namespace);
    const page: Array<[string, StateEntry]> = [];
    if (items === undefined || index === undefined || index.noneUpTo(bound) || limit <= 0) return page;
    index.scan(bound, after, (key, expiresAt) => {
      const item = items.get(key);
      const entry = item === undefined ? undefined : this.asOf(item, batchId, namespace, key);
      // Listed under this time for another version of the key: not what this batch reads.
      if (entry?.expiresAt === expiresAt) page.push([key, this.copy(entry)]);
      return page.length < limit;
    });
    return page;
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
    let index = this.indexes.get(namespace);
    let version = this.versions.get(namespace);
    if (items === undefined || index === undefined || version === undefined) {
      items = new Map();
      index = new ExpiryIndex();
      version = { latest: batchId };
      this.namespaces.set(namespace, items);
      this.indexes.set(namespace, index);
      this.versions.set(namespace, version);
    }
    let tombstones = this.tombstones.get(namespace);
    if (tombstones === undefined) {
      tombstones = [];
      this.tombstones.set(namespace, tombstones);
    }
    if (batchId > version.latest) {
      purgeTombstones(items, index, tombstones, batchId);
      version.latest = batchId;
    }
    let live = this.live.get(namespace) ?? 0;
    for (let i = 0; i < writes.length; i++) {
      const { key, entry, base } = writes[i]!;
      const cur = entry && this.copy(entry);
      const prev = base && this.copy(base);
      const existing = items.get(key);
      live += (cur === undefined ? 0 : 1) - (existing?.cur === undefined ? 0 : 1);
      if (existing === undefined) {
        items.set(key, { v: batchId, cur, prev });
        if (cur?.expiresAt !== undefined || prev?.expiresAt !== undefined)
          index.move(key, [], [cur?.expiresAt, prev?.expiresAt]);
      } else {
        if (existing.v > batchId) {
          throw new StateStoreMisuseError(
            `State key '${key}' in '${namespace}' was written by batch ${existing.v}; batch ${batchId} cannot overwrite it.`,
            { namespace, key, batchId, storedVersion: existing.v },
          );
        }
        const was0 = existing.cur?.expiresAt;
        const was1 = existing.prev?.expiresAt;
        const now0 = cur?.expiresAt;
        const now1 = prev?.expiresAt;
        if (was0 !== now0 || was1 !== now1) index.move(key, [was0, was1], [now0, now1]);
        // Reads hand out entries, never items: the new version can be written in place.
        existing.v = batchId;
        existing.cur = cur;
        existing.prev = prev;
      }
      if (cur === undefined) tombstones.push(key);
    }
    this.live.set(namespace, live);
  }

  async drop(namespace: string): Promise<void> {
    this.namespaces.delete(namespace);
    this.indexes.delete(namespace);
    this.versions.delete(namespace);
    this.live.delete(namespace);
    this.tombstones.delete(namespace);
  }

  /** Whether the namespace holds any key, live or tombstone (for tests of retirement). */
  has(namespace: string): boolean {
    return (this.namespaces.get(namespace)?.size ?? 0) > 0;
  }

  /** Number of live keys per namespace as of the latest writes (for tests and metrics). */
  size(namespace: string): number {
    return this.live.get(namespace) ?? 0;
  }

  /** The namespaces holding keys. */
  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  /** Up to `n` live entries as of the latest writes (to estimate the state's size from). */
  sample(namespace: string, n: number): Array<[string, StateEntry]> {
    const found: Array<[string, StateEntry]> = [];
    if (n <= 0) return found;
    for (const [key, item] of this.namespaces.get(namespace) ?? []) {
      if (item.cur === undefined) continue;
      found.push([key, item.cur]);
      if (found.length >= n) break;
    }
    return found;
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
