import type { BatchId } from '../types.js';

/** One group's state: a value and, optionally, when it expires (evicted once `expiresAt ≤ bound`). */
export interface StateEntry<V = unknown> {
  readonly value: V;
  readonly expiresAt?: number;
}

/**
 * A state write of batch N. `base` is the entry the operator read for batch N (the state before
 * N), so the store can keep it as the previous version: a replay of N reads `base` again.
 */
export interface StateWrite {
  readonly key: string;
  /** The new entry; `undefined` deletes the key (a tombstone until the next batch). */
  readonly entry: StateEntry | undefined;
  readonly base: StateEntry | undefined;
}

/**
 * What a state backend can hold per group, checked by the runtime before any state is written
 * (`runtime/state-limits.ts`): a group that would break a limit makes the batch fail
 * deterministically before its side effects, and poison isolation sets the record aside.
 */
export interface StateLimits {
  /** Bytes of an encoded group key (UTF-8), e.g. DynamoDB's 1,024-byte sort key. */
  readonly maxKeyBytes?: number;
  /** Bytes of one group's entry as JSON (UTF-8), e.g. well under DynamoDB's 400 KB item. */
  readonly maxEntryBytes?: number;
}

/**
 * Versioned key-value state, one namespace per (query, stateful operator, partition).
 *
 * Version contract (the same in memory and in DynamoDB): each key stores `{v, cur, prev}` where
 * `v` is the batch id that last wrote it. Reading "as of batch N" returns `v == N ? prev : cur`,
 * so replaying batch N after a crash — even after some of N's writes landed — sees exactly the
 * state that existed before N. Writing for batch N stores `{v: N, cur: entry, prev: base}`.
 * A key with `v > N` means batch N is older than what the store holds: a misuse error.
 *
 * Values handed to `write` belong to the store afterwards; values returned by reads must not be
 * mutated by the caller.
 *
 * `drop` (added for resharding, issue 15) removes a namespace outright: after a split or merge,
 * once every child of a closed shard has adopted its groups, the shard's state is never read
 * again (docs/architecture.md, "Retiring closed shards"). A backend implements it as its bulk
 * delete (DynamoDB: the partition's items; S3 changelog: the shard's snapshot and delta objects).
 */
export interface StateStore {
  /** What this backend can hold per group; the runtime checks writes against it. @default none */
  readonly limits?: StateLimits;
  /** Entries of `keys` as of the start of `batchId`; absent keys are missing from the map. */
  getMany(namespace: string, keys: readonly string[], batchId: BatchId): Promise<Map<string, StateEntry>>;
  /**
   * Optional: the same read as {@link getMany}, answered as an array aligned with `keys`
   * (`undefined` where absent). A store that can answer without building a map (the in-memory
   * one) saves two map operations per key on the hot path of every stateful operator.
   */
  getEach?(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Array<StateEntry | undefined>>;
  /** Entries whose `expiresAt ≤ bound` as of the start of `batchId`, ordered by (expiresAt, key). */
  expiring(namespace: string, bound: number, batchId: BatchId): Promise<Array<[string, StateEntry]>>;
  /**
   * Optional: one page of {@link expiring}, the entries strictly after `after` in (expiresAt, key)
   * order, at most `limit` of them. Operators evict through pages (`StateView.evict`), so a mass
   * expiry never holds every expiring entry, and its sorted copy, at once. Stores without it are
   * read with one `expiring` call.
   */
  expiringPage?(
    namespace: string,
    bound: number,
    batchId: BatchId,
    after: ExpiryCursor | undefined,
    limit: number,
  ): Promise<Array<[string, StateEntry]>>;
  /** Every entry of the namespace as of the start of `batchId`, ordered by key. */
  entries(namespace: string, batchId: BatchId): Promise<Array<[string, StateEntry]>>;
  /** Applies the writes of `batchId`. Idempotent: writing the same batch again gives the same state. */
  write(namespace: string, batchId: BatchId, writes: readonly StateWrite[]): Promise<void>;
  /**
   * Present on stores whose committed state is named by the commit itself (the S3 changelog
   * store): the batch runner hands them the version the last commit recorded before a batch
   * runs, and records the version they seal in the batch's commit. Stores that keep every
   * version per key (memory, DynamoDB) leave it out. The runner never looks inside a version.
   */
  readonly versioning?: StateVersioning;
  /** Removes every key and version of the namespace. Idempotent; nothing reads it afterwards. */
  drop(namespace: string): Promise<void>;
}

/**
 * An opaque, JSON-serializable description of a partition's committed state (for the S3
 * changelog store: the batch id, attempt id and object names that make it up). It travels in
 * {@link CommittedBatch.stateVersion}; only the store that sealed it reads it.
 */
export type StateVersion = Readonly<Record<string, unknown>>;

/**
 * The two calls a commit-versioned store needs around each batch of a partition (a shard):
 *
 * ```
 * open(partition, committed.stateVersion, N)   // before batch N: state = exactly that version
 * … operators read "as of N", the runner calls write(namespace, N, writes) per operator …
 * version = seal(partition, N)                  // after the writes, before the commit
 * commit({ …, stateVersion: version })          // conditional: only one attempt at N wins
 * ```
 * A store may keep state in memory between batches (a warm cache), but must use it only when
 * it reflects exactly the version `open` is given; an attempt whose commit failed must never
 * be mistaken for that version.
 */
export interface StateVersioning {
  /** Makes the partition's state the committed `version` (`undefined`: none yet) before batch `batchId`. */
  open(partition: string, version: StateVersion | undefined, batchId: BatchId): Promise<void>;
  /** Persists whatever the commit of `batchId` will name and returns the version to record. */
  seal(partition: string, batchId: BatchId): Promise<StateVersion>;
  /** Bytes the current batch of `partition` read and wrote, and the size of its sealed state. */
  metrics?(partition: string): StateBytes;
}

/** State bytes of one batch (progress `stateBytes`, metrics `StateBytesRead`/`Written`/`Total`). */
export interface StateBytes {
  /** Read from storage to load the state (0 when a warm container's cache served it). */
  readonly read: number;
  /** Written by this batch (deltas, snapshots). */
  readonly written: number;
  /** The stored size of the committed state: every operator's snapshot plus its deltas. */
  readonly total: number;
  /**
   * The heap the partition's state takes in the function's memory, estimated (stores that keep
   * state in memory: the S3 changelog store). Its limit fails a batch with `StateTooLargeError`.
   */
  readonly memory?: number;
}

/** Where a page of expiring entries ended: the last entry it returned. */
export interface ExpiryCursor {
  readonly expiresAt: number;
  readonly key: string;
}

/** Orders entries by expiry time, then key, the order in which eviction emits rows. */
export function byExpiryThenKey(a: [string, StateEntry], b: [string, StateEntry]): number {
  const ea = a[1].expiresAt ?? Number.POSITIVE_INFINITY;
  const eb = b[1].expiresAt ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
