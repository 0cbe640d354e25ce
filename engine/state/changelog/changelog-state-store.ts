import { randomUUID } from 'node:crypto';
import { StateStoreMisuseError, StateTooLargeError } from '../../errors.js';
import type { BatchId } from '../../types.js';
import { MemoryStateStore } from '../memory-state-store.js';
import type {
  ExpiryCursor,
  StateBytes,
  StateEntry,
  StateStore,
  StateVersion,
  StateVersioning,
  StateWrite,
} from '../state-store.js';
import { removeGarbage } from './changelog-cleanup.js';
import {
  asChangelogVersion,
  CHANGELOG_LAYOUT,
  type ChangelogVersion,
  type OperatorChain,
  objectKey,
  objectName,
  operatorDir,
  sameVersion,
} from './changelog-layout.js';
import { loadVersion } from './changelog-reader.js';
import { encodeStateFile } from './state-file-format.js';
import { estimatePartitionMemory, type StateMemoryLimit } from './state-memory.js';
import type { StateObjects } from './state-objects.js';

export interface ChangelogStateStoreOptions {
  readonly objects: StateObjects;
  /** The query: state namespaces are `query#operator#partition` (see `stateNamespace`). */
  readonly query: string;
  /**
   * A batch writes a snapshot instead of its delta when that delta would be the chain's
   * `maxDeltas`-th, or when the chain's deltas already add up to more bytes than its snapshot
   * (loading them would then cost more than a new snapshot).
   * @default 10
   */
  readonly maxDeltas?: number;
  /** Partitions (shards) whose state a warm container keeps between invocations. @default 4 */
  readonly maxCachedPartitions?: number;
  /** Deep-copy values in and out (tests catch operators mutating state). @default false */
  readonly isolateValues?: boolean;
  /**
   * The memory a partition's state may take (estimated, `state-memory.ts`): a batch that would
   * leave more fails with `StateTooLargeError` before its commit. The handler derives it from the
   * function's memory. @default no limit
   */
  readonly memoryLimit?: StateMemoryLimit;
  /** Attempt ids. @default 12 random hex digits */
  readonly newAttemptId?: () => string;
}

export const DEFAULT_MAX_DELTAS = 10;
const DEFAULT_MAX_CACHED_PARTITIONS = 4;

/** One attempt at a batch of a partition: its id and the chains its writes produced. */
interface Attempt {
  readonly batchId: BatchId;
  readonly id: string;
  readonly chains: Map<string, OperatorChain>;
  /** Bytes this attempt wrote to object storage. */
  bytesWritten: number;
}

/** What a container holds for one partition: the warm cache. */
interface PartitionState {
  /** The state, with the same as-of-batch reads as the in-memory store. */
  readonly memory: MemoryStateStore;
  /** The committed version `memory` reflects (`undefined`: empty, nothing committed yet). */
  version: ChangelogVersion | undefined;
  /** Set by the first write of an attempt: `memory` is then `version` plus uncommitted writes. */
  dirty: boolean;
  /** The version the current attempt sealed; it becomes `version` if the next `open` names it. */
  sealed: ChangelogVersion | undefined;
  attempt: Attempt | undefined;
  /** Bytes read from object storage by the last load. */
  bytesRead: number;
  /** The estimated heap of the state, as of the last seal (`state-memory.ts`). */
  memoryBytes: number;
}

/**
 * The S3 changelog {@link StateStore} (docs/architecture.md, "State v2"): a partition's state
 * lives in memory, and each batch persists only what it changed, as one delta object per
 * stateful operator (or, when due, a snapshot of the operator's whole state), under keys that
 * hold the batch id and a fresh attempt id. The commit records the version {@link seal} returns:
 * the attempt and, per operator, the latest snapshot and the deltas after it.
 *
 * ```
 * open(partition, committed, N):
 *   if the cache holds exactly `committed` (its batch and attempt), or the version this
 *   container sealed and the commit then recorded: use it
 *   else: drop it; load every operator's snapshot + deltas of `committed`, in parallel
 *   start a new attempt (id) at N
 * write(namespace, N, writes):                       // per operator, after the batch's outputs
 *   apply to memory (as-of-batch versions, so a replay of N still reads the state before N)
 *   put <N>-<attempt>.delta.parquet, or a snapshot when the chain is long
 * seal(partition, N): the committed version with this attempt's chains
 * ```
 * A failed attempt leaves the cache dirty, so the next `open` reloads unless this very attempt
 * committed. Objects of attempts that never committed are never named, never read, and deleted
 * when the operator next snapshots (`changelog-cleanup.ts`). Cost per batch therefore grows
 * with the number of stateful operators, not with keys.
 */
export class ChangelogStateStore implements StateStore {
  readonly versioning: StateVersioning;
  private readonly objects: StateObjects;
  private readonly prefix: string;
  private readonly maxDeltas: number;
  private readonly maxCachedPartitions: number;
  private readonly isolateValues: boolean;
  private readonly newAttemptId: () => string;
  private readonly memoryLimit: StateMemoryLimit | undefined;
  /** The warm cache, least recently opened first. */
  private readonly partitions = new Map<string, PartitionState>();
  private readonly parsed = new Map<string, { partition: string; operatorId: string }>();

  constructor(options: ChangelogStateStoreOptions) {
    this.objects = options.objects;
    this.prefix = `${options.query}#`;
    this.maxDeltas = options.maxDeltas ?? DEFAULT_MAX_DELTAS;
    this.maxCachedPartitions = Math.max(1, options.maxCachedPartitions ?? DEFAULT_MAX_CACHED_PARTITIONS);
    this.isolateValues = options.isolateValues ?? false;
    this.memoryLimit = options.memoryLimit;
    this.newAttemptId = options.newAttemptId ?? (() => randomUUID().replaceAll('-', '').slice(0, 12));
    this.versioning = {
      open: (partition, version, batchId) => this.open(partition, version, batchId),
      seal: async (partition, batchId) => this.seal(partition, batchId),
      metrics: (partition) => this.bytesOf(partition),
    };
  }

  async getMany(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Map<string, StateEntry>> {
    return this.memoryOf(namespace).getMany(namespace, keys, batchId);
  }

  async getEach(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Array<StateEntry | undefined>> {
    return this.memoryOf(namespace).getEach(namespace, keys, batchId);
  }

  async expiring(namespace: string, bound: number, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    return this.memoryOf(namespace).expiring(namespace, bound, batchId);
  }

  async expiringPage(
    namespace: string,
    bound: number,
    batchId: BatchId,
    after: ExpiryCursor | undefined,
    limit: number,
  ): Promise<Array<[string, StateEntry]>> {
    return this.memoryOf(namespace).expiringPage(namespace, bound, batchId, after, limit);
  }

  async entries(namespace: string, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    return this.memoryOf(namespace).entries(namespace, batchId);
  }

  async write(namespace: string, batchId: BatchId, writes: readonly StateWrite[]): Promise<void> {
    const { partition, operatorId } = this.parse(namespace);
    const state = this.partitionOf(partition);
    const attempt = this.attemptAt(state, batchId);
    state.dirty = true;
    await state.memory.write(namespace, batchId, writes);
    const committed = state.version?.operators[operatorId] ?? { deltas: [], snapshotBytes: 0, deltaBytes: 0 };
    const name = objectName(batchId, attempt.id);
    const snapshotDue =
      committed.snapshot === undefined ||
      committed.deltas.length + 1 >= this.maxDeltas ||
      committed.deltaBytes > committed.snapshotBytes;
    if (writes.length === 0 && committed.snapshot !== undefined) return; // nothing changed
    let chain: OperatorChain;
    if (snapshotDue) {
      // The whole state after this batch: every key, in key order.
      const live = await state.memory.entries(namespace, batchId + 1);
      const body = encodeStateFile(live.map(([key, entry]) => ({ key, entry })));
      await this.objects.put(objectKey(partition, operatorId, name, 'snapshot'), body);
      attempt.bytesWritten += body.byteLength;
      chain = { snapshot: name, deltas: [], snapshotBytes: body.byteLength, deltaBytes: 0 };
      await removeGarbage(this.objects, partition, operatorId, committed, batchId);
    } else {
      const body = encodeStateFile(writes.map(({ key, entry }) => ({ key, entry })));
      await this.objects.put(objectKey(partition, operatorId, name, 'delta'), body);
      attempt.bytesWritten += body.byteLength;
      chain = {
        ...committed,
        deltas: [...committed.deltas, name],
        deltaBytes: committed.deltaBytes + body.byteLength,
      };
    }
    attempt.chains.set(operatorId, chain);
  }

  /** Bytes the last load of `partition` read, its current attempt wrote, and its sealed state holds. */
  bytesOf(partition: string): StateBytes {
    const state = this.partitions.get(partition);
    const version = state?.sealed ?? state?.version;
    let total = 0;
    for (const chain of Object.values(version?.operators ?? {}))
      total += chain.snapshotBytes + chain.deltaBytes;
    return {
      read: state?.bytesRead ?? 0,
      written: state?.attempt?.bytesWritten ?? 0,
      total,
      memory: state?.memoryBytes ?? 0,
    };
  }

  /** A deep copy of the cached state (namespace → key → entry), for comparing runs in tests. */
  snapshot(): Record<string, Record<string, StateEntry>> {
    const merged: Record<string, Record<string, StateEntry>> = {};
    for (const state of this.partitions.values()) Object.assign(merged, state.memory.snapshot());
    return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /**
   * Removes an operator's state of a partition: its cache and every changelog object under its
   * directory (a retired shard's state after a reshard, see `StateStore.drop`).
   */
  async drop(namespace: string): Promise<void> {
    const { partition, operatorId } = this.parse(namespace);
    this.partitions.delete(partition);
    const keys = await this.objects.list(operatorDir(partition, operatorId));
    if (keys.length > 0) await this.objects.delete(keys);
  }

  /** Whether the container holds `partition`'s state for exactly `version` (tests, metrics). */
  isCached(partition: string, version: StateVersion | undefined): boolean {
    const state = this.partitions.get(partition);
    return state !== undefined && !state.dirty && sameVersion(state.version, asChangelogVersion(version));
  }

  private async open(partition: string, version: StateVersion | undefined, batchId: BatchId): Promise<void> {
    const committed = asChangelogVersion(version);
    let state = this.partitions.get(partition);
    if (state !== undefined && state.sealed !== undefined && sameVersion(state.sealed, committed)) {
      // This container's attempt is what was committed: memory already holds it.
      state.version = state.sealed;
      state.dirty = false;
      state.bytesRead = 0;
    } else if (state === undefined || state.dirty || !sameVersion(state.version, committed)) {
      state = await this.load(partition, committed);
    } else state.bytesRead = 0;
    state.sealed = undefined;
    state.attempt = { batchId, id: this.newAttemptId(), chains: new Map(), bytesWritten: 0 };
    // Most recently opened last; the least recently opened partition leaves the cache first.
    this.partitions.delete(partition);
    this.partitions.set(partition, state);
    while (this.partitions.size > this.maxCachedPartitions) {
      const oldest = this.partitions.keys().next().value as string;
      this.partitions.delete(oldest);
    }
  }

  private seal(partition: string, batchId: BatchId): ChangelogVersion {
    const state = this.partitionOf(partition);
    const attempt = this.attemptAt(state, batchId);
    this.checkMemory(partition, state);
    const operators: Record<string, OperatorChain> = { ...state.version?.operators };
    for (const [operatorId, chain] of attempt.chains) operators[operatorId] = chain;
    const version: ChangelogVersion = {
      format: CHANGELOG_LAYOUT.formatVersion,
      batchId,
      attempt: attempt.id,
      operators,
    };
    state.sealed = version;
    return version;
  }

  /**
   * Estimates the heap the partition's state takes after this batch and refuses to seal a state
   * over the limit: the shard stops with an error that names the fix, instead of a later batch
   * (or its snapshot, which needs several times the state's size) running out of memory.
   */
  private checkMemory(partition: string, state: PartitionState): void {
    const { bytes: estimated, groups } = estimatePartitionMemory(state.memory);
    state.memoryBytes = estimated;
    const limit = this.memoryLimit;
    if (limit !== undefined && estimated > limit.bytes) {
      throw new StateTooLargeError({
        query: this.prefix.slice(0, -1),
        partition,
        estimatedBytes: estimated,
        groups,
        limitBytes: limit.bytes,
        limitSource: limit.source,
      });
    }
  }

  private async load(partition: string, version: ChangelogVersion | undefined): Promise<PartitionState> {
    this.partitions.delete(partition); // never leave a half-loaded cache behind
    const memory = new MemoryStateStore({ isolateValues: this.isolateValues });
    let bytesRead = 0;
    if (version !== undefined) {
      for (const [operatorId, loaded] of await loadVersion(this.objects, partition, version)) {
        const writes: StateWrite[] = [];
        for (const [key, entry] of loaded.entries) writes.push({ key, entry, base: undefined });
        await memory.write(`${this.prefix}${operatorId}#${partition}`, version.batchId, writes);
        bytesRead += loaded.bytes;
      }
    }
    return {
      memory,
      version,
      dirty: false,
      sealed: undefined,
      attempt: undefined,
      bytesRead,
      memoryBytes: estimatePartitionMemory(memory).bytes,
    };
  }

  /** The partition's state; one that was never opened starts empty (tests, local runs). */
  private partitionOf(partition: string): PartitionState {
    let state = this.partitions.get(partition);
    if (state === undefined) {
      state = {
        memory: new MemoryStateStore({ isolateValues: this.isolateValues }),
        version: undefined,
        dirty: false,
        sealed: undefined,
        attempt: undefined,
        bytesRead: 0,
        memoryBytes: 0,
      };
      this.partitions.set(partition, state);
    }
    return state;
  }

  private attemptAt(state: PartitionState, batchId: BatchId): Attempt {
    if (state.attempt === undefined || state.attempt.batchId !== batchId)
      state.attempt = { batchId, id: this.newAttemptId(), chains: new Map(), bytesWritten: 0 };
    return state.attempt;
  }

  private memoryOf(namespace: string): MemoryStateStore {
    return this.partitionOf(this.parse(namespace).partition).memory;
  }

  /** `query#operator#partition` → its parts (memoized: called on every read). */
  private parse(namespace: string): { partition: string; operatorId: string } {
    let parts = this.parsed.get(namespace);
    if (parts === undefined) {
      const last = namespace.lastIndexOf('#');
      if (!namespace.startsWith(this.prefix) || last < this.prefix.length) {
        throw new StateStoreMisuseError(
          `State namespace '${namespace}' is not '${this.prefix}<operator>#<partition>'; this changelog store serves one query.`,
          { namespace },
        );
      }
      parts = { partition: namespace.slice(last + 1), operatorId: namespace.slice(this.prefix.length, last) };
      this.parsed.set(namespace, parts);
    }
    return parts;
  }
}
