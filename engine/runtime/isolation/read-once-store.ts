import type { StateEntry, StateStore, StateWrite } from '../../state/state-store.js';
import type { BatchId } from '../../types.js';
import { ProbeIoError } from './errors.js';

/**
 * A read-only view of a state store for probes: each read is made once and remembered (every probe
 * of a batch reads the same state as of the batch, and nothing writes meanwhile), writing is
 * refused, and a failed read becomes a {@link ProbeIoError} so it is never mistaken for a
 * deterministic failure of the batch.
 */
export class ReadOnceStateStore implements StateStore {
  private readonly entriesRead = new Map<string, Map<string, StateEntry | undefined>>();
  private readonly scans = new Map<string, Promise<Array<[string, StateEntry]>>>();

  constructor(private readonly store: StateStore) {}

  get limits() {
    return this.store.limits;
  }

  async getMany(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Map<string, StateEntry>> {
    const found = new Map<string, StateEntry>();
    const values = await this.getEach(namespace, keys, batchId);
    keys.forEach((key, i) => {
      const value = values[i];
      if (value !== undefined) found.set(key, value);
    });
    return found;
  }

  async getEach(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Array<StateEntry | undefined>> {
    let known = this.entriesRead.get(namespace);
    if (known === undefined) {
      known = new Map();
      this.entriesRead.set(namespace, known);
    }
    const missing = [...new Set(keys.filter((key) => !known.has(key)))];
    if (missing.length > 0) {
      const read = await guarded(() => this.store.getMany(namespace, missing, batchId));
      for (const key of missing) known.set(key, read.get(key));
    }
    // Copies: a user function that changes state it read must not change what later probes read.
    return keys.map((key) => {
      const entry = known.get(key);
      return entry === undefined ? undefined : structuredClone(entry);
    });
  }

  expiring(namespace: string, bound: number, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    return this.scan(`x#${namespace}#${bound}`, () => this.store.expiring(namespace, bound, batchId));
  }

  entries(namespace: string, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    return this.scan(`e#${namespace}`, () => this.store.entries(namespace, batchId));
  }

  async write(_namespace: string, _batchId: BatchId, _writes: readonly StateWrite[]): Promise<void> {
    throw new Error('A probe never writes state.');
  }

  async drop(_namespace: string): Promise<void> {
    throw new Error('A probe never drops state.');
  }

  /** Scans are shared between probes; callers get a copy (operators may sort in place or change values). */
  private async scan(
    id: string,
    read: () => Promise<Array<[string, StateEntry]>>,
  ): Promise<Array<[string, StateEntry]>> {
    let pending = this.scans.get(id);
    if (pending === undefined) {
      pending = guarded(read);
      this.scans.set(id, pending);
    }
    return structuredClone(await pending);
  }
}

async function guarded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new ProbeIoError(error);
  }
}
