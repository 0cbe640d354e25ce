import { StateStoreMisuseError } from '../errors.js';
import type { BatchId } from '../types.js';
import {
  byExpiryThenKey,
  type ExpiryCursor,
  type StateEntry,
  type StateStore,
  type StateWrite,
} from './state-store.js';

/** Entries an eviction reads from the store at a time (`StateView.evict`). */
export const EVICTION_PAGE = 4096;

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
 * Everything the view knows about one key in this batch. One slot per key (instead of a map of
 * stored entries plus a map of writes) halves the map operations per key, which dominate the
 * cost of a batch that touches thousands of groups. A written slot doubles as its own
 * {@link StateWrite}: `entry` is the new entry, `base` the stored one it replaces.
 */
interface Slot<V> {
  readonly key: string;
  /** The entry as of the start of the batch (what the store returned), once loaded. */
  base: StateEntry<V> | undefined;
  /** The current entry: this batch's write if `written`, else `base`. */
  entry: StateEntry<V> | undefined;
  /** Whether `base` was read from the store (a write may come first; `load` then still reads). */
  loaded: boolean;
  written: boolean;
}

function loadedSlot<V>(key: string, stored: StateEntry<V> | undefined): Slot<V> {
  return { key, base: stored, entry: stored, loaded: true, written: false };
}

/**
 * One operator's view of its state during one batch: reads go to the store "as of" the batch
 * (the state before it) and are cached; writes stay in an overlay until the executor flushes
 * them after the batch's outputs are written (protocol step 7). Request counts therefore grow
 * with distinct keys touched, never with rows.
 */
export class StateView<V = unknown> {
  private readonly slots = new Map<string, Slot<V>>();
  /** Written slots in the order of their first write: the order of {@link writes}. */
  private readonly written: Slot<V>[] = [];
  /** The slot of the last key looked up: operators commonly `get` a key and then `set` it. */
  private last: Slot<V> | undefined;

  constructor(
    private readonly store: StateStore,
    readonly namespace: string,
    private readonly batchId: BatchId,
  ) {}

  /** Fetches the keys not yet read, in one store call. */
  async load(keys: Iterable<string>): Promise<void> {
    let missing: readonly string[];
    // Slots of `missing` where a write came before the load (rare); none for new keys.
    let writtenFirst: Array<Slot<V> | undefined> | undefined;
    if (this.slots.size === 0) missing = Array.isArray(keys) ? keys : [...keys];
    else {
      const unread: string[] = [];
      writtenFirst = [];
      for (const key of keys) {
        const slot = this.slots.get(key);
        if (slot === undefined || !slot.loaded) {
          unread.push(key);
          writtenFirst.push(slot);
        }
      }
      missing = unread;
    }
    if (missing.length === 0) return;
    const stored = await this.readStore(missing);
    for (let i = 0; i < missing.length; i++) {
      const slot = writtenFirst?.[i];
      // (A key listed twice gets the same slot twice over: harmless.)
      if (slot === undefined) this.slots.set(missing[i]!, loadedSlot(missing[i]!, stored[i]));
      else {
        slot.base = stored[i];
        slot.loaded = true;
      }
    }
  }

  /** The current entry of a loaded key (this batch's write if any, else the stored one). */
  get(key: string): StateEntry<V> | undefined {
    const slot = this.slotOf(key);
    if (slot === undefined) {
      throw new StateStoreMisuseError(
        `State key '${key}' of '${this.namespace}' was read before it was loaded.`,
      );
    }
    return slot.entry;
  }

  set(key: string, value: V, expiresAt?: number): void {
    this.write(key, expiresAt === undefined ? { value } : { value, expiresAt });
  }

  delete(key: string): void {
    this.write(key, undefined);
  }

  /** Live entries with `expiresAt ≤ bound`, this batch's writes included, by (expiresAt, key). */
  async expiring(bound: number): Promise<Array<[string, StateEntry<V>]>> {
    const stored = await this.store.expiring(this.namespace, bound, this.batchId);
    return this.mergeWithOverlay(
      stored,
      (entry) => entry.expiresAt !== undefined && entry.expiresAt <= bound,
    ).sort(byExpiryThenKey) as Array<[string, StateEntry<V>]>;
  }

  /**
   * Deletes every live entry with `expiresAt ≤ bound` (this batch's writes included), calling
   * `visit` with each before it goes, in (expiresAt, key) order: what `expiring` then `delete`
   * would do, but read from the store a page at a time ({@link EVICTION_PAGE} entries), so a
   * mass expiry holds its deletes and no more (not every expiring entry twice over, sorted).
   * Returns the number of entries evicted.
   */
  async evict(
    bound: number,
    visit?: (key: string, entry: StateEntry<V>) => void,
    pageSize = EVICTION_PAGE,
  ): Promise<number> {
    const readPage = this.store.expiringPage?.bind(this.store);
    if (readPage === undefined) {
      const expired = await this.expiring(bound);
      for (const [key, entry] of expired) {
        visit?.(key, entry);
        this.delete(key);
      }
      return expired.length;
    }
    // This batch's writes that expire by the bound, merged into the store's order as they come.
    const overlay: Slot<V>[] = [];
    for (const slot of this.written) {
      const expiresAt = slot.entry?.expiresAt;
      if (expiresAt !== undefined && expiresAt <= bound) overlay.push(slot);
    }
    overlay.sort((a, b) => byExpiryThenKey([a.key, a.entry!], [b.key, b.entry!]));
    let next = 0;
    let evicted = 0;
    const evictOverlay = (until?: [string, StateEntry]) => {
      while (next < overlay.length) {
        const slot = overlay[next]!;
        if (until !== undefined && byExpiryThenKey([slot.key, slot.entry!], until) > 0) return;
        next++;
        visit?.(slot.key, slot.entry!);
        this.delete(slot.key);
        evicted++;
      }
    };
    let after: ExpiryCursor | undefined;
    for (;;) {
      const page = await readPage(this.namespace, bound, this.batchId, after, pageSize);
      for (const pair of page) {
        evictOverlay(pair);
        const [key, entry] = pair as [string, StateEntry<V>];
        const slot = this.slots.get(key);
        if (slot === undefined) this.slots.set(key, loadedSlot(key, entry));
        else {
          if (!slot.loaded) {
            slot.base = entry;
            slot.loaded = true;
          }
          // Written this batch: the overlay holds its current entry (evicted above if due).
          if (slot.written) continue;
        }
        visit?.(key, entry);
        this.delete(key);
        evicted++;
      }
      if (page.length < pageSize) break;
      const [key, entry] = page[page.length - 1]!;
      after = { expiresAt: entry.expiresAt!, key };
    }
    evictOverlay();
    return evicted;
  }

  /** Every live entry, this batch's writes included, by key. */
  async entries(): Promise<Array<[string, StateEntry<V>]>> {
    const stored = await this.store.entries(this.namespace, this.batchId);
    return this.mergeWithOverlay(stored, () => true).sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    ) as Array<[string, StateEntry<V>]>;
  }

  /**
   * The writes of this batch, each with the entry it replaces, in the order of first write.
   * Deleting a key that did not exist is no write. Call once the batch's operators are done.
   */
  writes(): StateWrite[] {
    const writes: StateWrite[] = [];
    for (const slot of this.written)
      if (slot.entry !== undefined || slot.base !== undefined) writes.push(slot);
    return writes;
  }

  counts(): StateChangeCounts {
    const counts: StateChangeCounts = { updated: 0, removed: 0, netAdded: 0 };
    for (const { entry, base } of this.written) {
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

  /** The stored entries of `keys`, aligned with them. */
  private async readStore(keys: readonly string[]): Promise<Array<StateEntry<V> | undefined>> {
    const maxKeyBytes = this.store.limits?.maxKeyBytes;
    if (maxKeyBytes !== undefined && keys.some((key) => tooLong(key, maxKeyBytes))) {
      // A key the backend cannot hold cannot be stored: read it as absent instead of sending a
      // request the backend rejects; writing it fails the batch's state-limit check.
      const storable = keys.filter((key) => !tooLong(key, maxKeyBytes));
      const found = storable.length === 0 ? [] : await this.readStorable(storable);
      const byKey = new Map(storable.map((key, i) => [key, found[i]]));
      return keys.map((key) => byKey.get(key));
    }
    return this.readStorable(keys);
  }

  private async readStorable(keys: readonly string[]): Promise<Array<StateEntry<V> | undefined>> {
    if (this.store.getEach !== undefined)
      return (await this.store.getEach(this.namespace, keys, this.batchId)) as Array<
        StateEntry<V> | undefined
      >;
    const found = await this.store.getMany(this.namespace, keys, this.batchId);
    return keys.map((key) => found.get(key) as StateEntry<V> | undefined);
  }

  private slotOf(key: string): Slot<V> | undefined {
    const last = this.last;
    if (last !== undefined && last.key === key) return last;
    const slot = this.slots.get(key);
    if (slot !== undefined) this.last = slot;
    return slot;
  }

  private write(key: string, entry: StateEntry<V> | undefined): void {
    let slot = this.slotOf(key);
    if (slot === undefined) {
      // Written before being loaded: the stored entry is read by a later `load`, if any.
      slot = { key, base: undefined, entry, loaded: false, written: true };
      this.slots.set(key, slot);
      this.written.push(slot);
      this.last = slot;
      return;
    }
    slot.entry = entry;
    if (!slot.written) {
      slot.written = true;
      this.written.push(slot);
    }
  }

  private mergeWithOverlay(
    stored: Array<[string, StateEntry]>,
    keep: (entry: StateEntry) => boolean,
  ): Array<[string, StateEntry]> {
    if (this.slots.size === 0) {
      // Nothing read or written yet (an eviction-only batch): all stored, nothing to overlay.
      for (const [key, entry] of stored) this.slots.set(key, loadedSlot(key, entry as StateEntry<V>));
      return stored;
    }
    const merged: Array<[string, StateEntry]> = [];
    for (const pair of stored) {
      const [key, entry] = pair;
      const slot = this.slots.get(key);
      if (slot === undefined) {
        // Now read, like a loaded key: a later `get` or `delete` of it is valid.
        this.slots.set(key, loadedSlot(key, entry as StateEntry<V>));
        merged.push(pair);
        continue;
      }
      if (!slot.loaded) {
        slot.base = entry as StateEntry<V>;
        slot.loaded = true;
      }
      if (!slot.written) merged.push(pair);
    }
    for (const { key, entry } of this.written)
      if (entry !== undefined && keep(entry)) merged.push([key, entry]);
    return merged;
  }
}

/** Whether `key` takes more than `maxBytes` bytes as UTF-8 (measured only when it could). */
function tooLong(key: string, maxBytes: number): boolean {
  return key.length * 3 > maxBytes && Buffer.byteLength(key, 'utf8') > maxBytes;
}
