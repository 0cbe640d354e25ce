import type { StateEntry } from '../state-store.js';
import { encodeStateValue } from './state-value-codec.js';

/**
 * Heap bytes a group takes per byte of its key and JSON value, in the changelog store's memory
 * (the versioned item, the entry, the value's objects, the map and expiry-index slots). Measured
 * on Node 20 with 100,000 groups: 5.7 for count aggregates (74 bytes of key and value per group,
 * 422 heap bytes), 5.9 for list-valued state (94 → 556).
 */
export const HEAP_BYTES_PER_STATE_BYTE = 6;

/** Groups sampled per operator for the estimate: enough for a stable mean, cheap per batch. */
export const STATE_SIZE_SAMPLE = 32;

/**
 * The heap an operator's state takes, estimated from its number of live groups and a sample
 * of them (key + JSON value + 8 bytes of expiry, times {@link HEAP_BYTES_PER_STATE_BYTE}).
 */
export function estimateStateMemory(groups: number, sample: ReadonlyArray<[string, StateEntry]>): number {
  if (groups === 0 || sample.length === 0) return 0;
  let bytes = 0;
  for (const [key, entry] of sample) bytes += key.length + encodeStateValue(entry.value).length + 8;
  return Math.round(groups * (bytes / sample.length) * HEAP_BYTES_PER_STATE_BYTE);
}

/** What {@link estimatePartitionMemory} reads: the in-memory store of one partition. */
export interface SizedState {
  namespaceNames(): string[];
  size(namespace: string): number;
  sample(namespace: string, n: number): Array<[string, StateEntry]>;
}

/** The estimated heap of every operator's state of a partition, and its live groups. */
export function estimatePartitionMemory(state: SizedState): { bytes: number; groups: number } {
  let bytes = 0;
  let groups = 0;
  for (const namespace of state.namespaceNames()) {
    const live = state.size(namespace);
    groups += live;
    bytes += estimateStateMemory(live, state.sample(namespace, STATE_SIZE_SAMPLE));
  }
  return { bytes, groups };
}

/** The memory a partition's state may take before a batch fails with `StateTooLargeError`. */
export interface StateMemoryLimit {
  readonly bytes: number;
  /** How the limit was derived, for the error message. */
  readonly source: string;
}

/** The default share of the function's memory a shard's state may take (see docs/architecture.md). */
export const DEFAULT_STATE_MEMORY_FRACTION = 0.2;

/** The limit for a function of `memoryMb` MB with `fraction` of it for state. */
export function stateMemoryLimit(
  memoryMb: number,
  fraction = DEFAULT_STATE_MEMORY_FRACTION,
): StateMemoryLimit {
  return {
    bytes: Math.floor(memoryMb * 2 ** 20 * fraction),
    source: `${Math.round(fraction * 100)}% of the function's ${memoryMb} MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE × SLUICE_STATE_MEMORY_FRACTION)`,
  };
}
