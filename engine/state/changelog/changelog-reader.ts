import type { StateEntry } from '../state-store.js';
import { type ChangelogVersion, chainObjects, type OperatorChain, objectKey } from './changelog-layout.js';
import { decodeStateFile, type StateFileRow } from './state-file-format.js';
import type { StateObjects } from './state-objects.js';

/** Parallel object reads while loading state: enough to hide S3 latency. */
export const LOAD_CONCURRENCY = 8;

/** An operator's state as of a version: the snapshot with the deltas after it applied in order. */
export interface LoadedState {
  readonly entries: Map<string, StateEntry>;
  /** Bytes read from object storage. */
  readonly bytes: number;
}

/**
 * Reads the objects of one operator's chain (all in parallel) and applies them oldest first:
 * a snapshot sets every key, a delta sets or deletes the keys it lists.
 */
export async function loadChain(
  objects: StateObjects,
  partition: string,
  operatorId: string,
  chain: OperatorChain,
): Promise<LoadedState> {
  const files = chainObjects(chain);
  let bytes = 0;
  const decoded = await mapLimited(files, LOAD_CONCURRENCY, async ({ name, kind }) => {
    const body = await objects.get(objectKey(partition, operatorId, name, kind));
    bytes += body.byteLength;
    return decodeStateFile(body);
  });
  const entries = new Map<string, StateEntry>();
  for (const rows of decoded) applyRows(entries, rows);
  return { entries, bytes };
}

/** Every operator's state as of a committed version, by operator id. */
export async function loadVersion(
  objects: StateObjects,
  partition: string,
  version: ChangelogVersion,
): Promise<Map<string, LoadedState>> {
  const operators = Object.entries(version.operators);
  const loaded = await Promise.all(
    operators.map(([operatorId, chain]) => loadChain(objects, partition, operatorId, chain)),
  );
  return new Map(operators.map(([operatorId], i) => [operatorId, loaded[i]!]));
}

function applyRows(entries: Map<string, StateEntry>, rows: readonly StateFileRow[]): void {
  for (const { key, entry } of rows) {
    if (entry === undefined) entries.delete(key);
    else entries.set(key, entry);
  }
}

/** Maps with at most `limit` calls in flight; results keep the input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
